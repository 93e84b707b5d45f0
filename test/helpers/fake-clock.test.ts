import { describe, expect, test } from "bun:test";
import { FakeClock } from "./fake-clock.ts";
import { deferred, seededRng, sequentialIds } from "./setup.ts";

describe("FakeClock", () => {
  test("fires due timers in time order, ties in the order set, with now() at each due time", async () => {
    const clock = new FakeClock(1000);
    const fired: [string, number][] = [];
    clock.setTimer(() => fired.push(["c", clock.now()]), 30);
    clock.setTimer(() => fired.push(["a", clock.now()]), 10);
    clock.setTimer(() => fired.push(["b1", clock.now()]), 20);
    clock.setTimer(() => fired.push(["b2", clock.now()]), 20);
    clock.setTimer(() => fired.push(["late", clock.now()]), 31);
    await clock.advance(30);
    expect(fired).toEqual([
      ["a", 1010],
      ["b1", 1020],
      ["b2", 1020],
      ["c", 1030],
    ]);
    expect(clock.now()).toBe(1030);
    expect(clock.pending).toBe(1);
  });

  test("a timer set by a timer fires in the same advance when due within it", async () => {
    const clock = new FakeClock(0);
    const fired: number[] = [];
    clock.setTimer(() => {
      fired.push(clock.now());
      clock.setTimer(() => fired.push(clock.now()), 5);
    }, 5);
    await clock.advance(10);
    expect(fired).toEqual([5, 10]);
  });

  test("promise chains started by a timer settle before the next timer fires", async () => {
    const clock = new FakeClock(0);
    const log: string[] = [];
    clock.setTimer(() => {
      void (async () => {
        for (let i = 0; i < 20; i++) await Promise.resolve();
        log.push("chain done");
      })();
    }, 1);
    clock.setTimer(() => log.push("second timer"), 2);
    await clock.advance(2);
    expect(log).toEqual(["chain done", "second timer"]);
  });

  test("cancelled timers never fire; negative delays fire at once", async () => {
    const clock = new FakeClock(0);
    let fired = 0;
    clock.setTimer(() => fired++, 5).cancel();
    clock.setTimer(() => fired++, -100);
    expect(clock.nextDue()).toBe(0);
    await clock.advance(0);
    expect(fired).toBe(1);
    await clock.advance(100);
    expect(fired).toBe(1);
    expect(clock.pending).toBe(0);
  });

  test("advanceToNext jumps to the earliest timer; false when none", async () => {
    const clock = new FakeClock(0);
    let fired = false;
    clock.setTimer(() => (fired = true), 500);
    expect(await clock.advanceToNext()).toBe(true);
    expect([fired, clock.now()]).toEqual([true, 500]);
    expect(await clock.advanceToNext()).toBe(false);
  });

  test("flush lets pending promises settle without moving time", async () => {
    const clock = new FakeClock(7);
    const d = deferred<number>();
    let seen = 0;
    void d.promise.then((v) => (seen = v));
    d.resolve(3);
    await clock.flush();
    expect([seen, clock.now()]).toEqual([3, 7]);
  });

  test("time never goes backwards", async () => {
    await expect(new FakeClock(0).advance(-1)).rejects.toThrow(RangeError);
  });
});

test("seededRng is deterministic, in [0, 1), and differs by seed", () => {
  const a = seededRng(1);
  const b = seededRng(1);
  const xs = Array.from({ length: 1000 }, () => a());
  expect(Array.from({ length: 1000 }, () => b())).toEqual(xs);
  expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
  expect(new Set(xs).size).toBeGreaterThan(990);
  expect(seededRng(2)()).not.toBe(seededRng(1)());
});

test("sequentialIds sort in creation order", () => {
  const next = sequentialIds();
  expect([next(), next(), next()]).toEqual(["exec-0001", "exec-0002", "exec-0003"]);
});
