import { afterEach, describe, expect, spyOn, test } from "bun:test";
import { taskContext } from "../../test/helpers/task-context.ts";
import { ErrorNames } from "../domain/errors.ts";
import { task1Function, task2Function, task3Function } from "./demo.ts";
import { abortableSleep, msParam, sleep } from "./sleep.ts";

const ctx = taskContext;

/** Records the delays given to setTimeout without changing what it does. */
function watchTimeouts(): number[] {
  const delays: number[] = [];
  const original = globalThis.setTimeout;
  const spy = spyOn(globalThis, "setTimeout").mockImplementation(((fn: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return original(fn, ms);
  }) as typeof setTimeout);
  restore.push(() => spy.mockRestore());
  return delays;
}
const restore: (() => void)[] = [];
afterEach(() => {
  for (const r of restore.splice(0)) r();
});

describe("abortableSleep", () => {
  test("waits the given time", async () => {
    const delays = watchTimeouts();
    const slept = await abortableSleep(5, new AbortController().signal);
    expect(delays).toEqual([5]);
    expect(slept).toBeGreaterThanOrEqual(4);
  });

  test("returns early when the signal fires, and clears its timer", async () => {
    const controller = new AbortController();
    const clear = spyOn(globalThis, "clearTimeout");
    restore.push(() => clear.mockRestore());
    const started = performance.now();
    const sleeping = abortableSleep(60_000, controller.signal);
    controller.abort();
    expect(await sleeping).toBeLessThan(1000);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(clear).toHaveBeenCalledTimes(1);
  });

  test("returns 0 at once when the signal has already fired", async () => {
    const controller = new AbortController();
    controller.abort();
    const delays = watchTimeouts();
    expect(await abortableSleep(60_000, controller.signal)).toBe(0);
    expect(delays).toEqual([]);
  });
});

describe("msParam", () => {
  test("params.ms, or the fallback when absent", () => {
    expect(msParam(ctx({ ms: 250 }), 7)).toBe(250);
    expect(msParam(ctx({ ms: 0 }), 7)).toBe(0);
    expect(msParam(ctx({}), 7)).toBe(7);
  });

  test("anything but a finite non-negative number is non-retryable", () => {
    for (const ms of [-1, "10", null, Number.POSITIVE_INFINITY, Number.NaN]) {
      expect(() => msParam(ctx({ ms }), 0)).toThrow(expect.objectContaining({ name: ErrorNames.NonRetryable }));
    }
  });
});

describe("sleep", () => {
  test("sleeps params.ms (default 0)", async () => {
    const delays = watchTimeouts();
    await sleep(ctx({ ms: 3 }));
    await sleep(ctx({}));
    expect(delays).toEqual([3, 0]);
  });

  test("returns early on abort", async () => {
    const controller = new AbortController();
    const sleeping = sleep(ctx({ ms: 60_000 }, controller.signal));
    controller.abort();
    const { sleptMs } = await sleeping;
    expect(sleptMs).toBeLessThan(1000);
  });
});

describe("demo functions", () => {
  test("sleep 10 s, 8 s and 5 s by default", async () => {
    const delays = watchTimeouts();
    const controller = new AbortController();
    const runs = [task1Function, task2Function, task3Function].map((fn) =>
      Promise.resolve(fn(ctx({}, controller.signal))).then(
        () => "returned",
        (err: Error) => err.message,
      ),
    );
    controller.abort(new Error("stop"));
    // Cut short, they do not claim to be done: they throw the signal's reason.
    expect(await Promise.all(runs)).toEqual(["stop", "stop", "stop"]);
    expect(delays).toEqual([10_000, 8_000, 5_000]);
  });

  test("respect params.ms and return {task, sleptMs}, logging once", async () => {
    const delays = watchTimeouts();
    const logs: string[] = [];
    const out = (await task2Function(ctx({ ms: 2 }, undefined, (m) => logs.push(m)))) as { task: string; sleptMs: number };
    expect(delays).toEqual([2]);
    expect(out.task).toBe("task2");
    expect(out.sleptMs).toBeGreaterThanOrEqual(1);
    expect(logs).toEqual(["task2 done"]);
  });

  test("reject a bad params.ms as non-retryable", async () => {
    await expect(task3Function(ctx({ ms: -5 }))).rejects.toMatchObject({ name: ErrorNames.NonRetryable });
  });
});
