/**
 * Delayed starts: `runOnce(now)` queues what is due, in `runAt` order, and nothing else; the
 * service keeps one timer on the clock, for the earliest; a cancelled execution is dropped.
 * Last, the same through the engine.
 */
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../test/helpers/fake-clock.ts";
import { definitionOf, heldFunction, setupStarted } from "../../../test/helpers/setup.ts";
import { DelayedStarts } from "./delayed-starts.ts";

const T0 = 1_700_000_000_000;

const ref = (id: string) => ({ id, definitionId: "job", definitionVersion: 1, priority: 0, concurrencyKey: null });

function service() {
  const clock = new FakeClock(T0);
  const queued: string[] = [];
  const delayed = new DelayedStarts({ clock, enqueue: (ref) => queued.push(ref.id) });
  return { clock, queued, delayed };
}

describe("runOnce(now)", () => {
  test("queues only what is due, by runAt, ties in the order added", () => {
    const { queued, delayed } = service();
    delayed.add(ref("late"), T0 + 300);
    delayed.add(ref("a"), T0 + 100);
    delayed.add(ref("b"), T0 + 100);
    delayed.add(ref("first"), T0 + 50);
    expect(delayed.runOnce(T0 + 49)).toEqual([]);
    expect(delayed.runOnce(T0 + 100)).toEqual(["first", "a", "b"]);
    expect(queued).toEqual(["first", "a", "b"]);
    expect(delayed.size).toBe(1);
    expect(delayed.runOnce(T0 + 299)).toEqual([]);
    expect(delayed.runOnce(T0 + 10_000)).toEqual(["late"]);
    expect(queued).toEqual(["first", "a", "b", "late"]);
    expect(delayed.size).toBe(0);
  });

  test("a dropped (cancelled) execution is never queued", () => {
    const { queued, delayed } = service();
    delayed.add(ref("x"), T0 + 100);
    delayed.add(ref("y"), T0 + 200);
    delayed.add(ref("z"), T0 + 200);
    expect(delayed.drop("y")).toBe(true);
    expect(delayed.drop("y")).toBe(false);
    expect(delayed.drop("never-added")).toBe(false);
    expect(delayed.runOnce(T0 + 1000)).toEqual(["x", "z"]);
    expect(queued).toEqual(["x", "z"]);
  });

  test("adding an id again moves it to its new time", () => {
    const { delayed } = service();
    delayed.add(ref("x"), T0 + 100);
    delayed.add(ref("y"), T0 + 200);
    delayed.add(ref("x"), T0 + 300);
    expect(delayed.size).toBe(2);
    expect(delayed.runOnce(T0 + 250)).toEqual(["y"]);
    expect(delayed.runOnce(T0 + 300)).toEqual(["x"]);
  });
});

describe("start/stop on the clock", () => {
  test("nothing is armed before start; then one timer, for the earliest runAt", async () => {
    const { clock, queued, delayed } = service();
    delayed.add(ref("b"), T0 + 1000);
    expect(clock.pending).toBe(0);
    delayed.start();
    delayed.add(ref("a"), T0 + 500);
    delayed.add(ref("c"), T0 + 2000);
    expect(clock.pending).toBe(1);
    expect(clock.nextDue()).toBe(T0 + 500);
    await clock.advance(499);
    expect(queued).toEqual([]);
    await clock.advance(1);
    expect(queued).toEqual(["a"]);
    expect(clock.nextDue()).toBe(T0 + 1000);
    await clock.advance(1500);
    expect(queued).toEqual(["a", "b", "c"]);
    expect(clock.pending).toBe(0);
  });

  test("dropping the earliest re-arms for the next; dropping the last leaves no timer", () => {
    const { clock, delayed } = service();
    delayed.start();
    delayed.add(ref("a"), T0 + 100);
    delayed.add(ref("b"), T0 + 200);
    delayed.drop("a");
    expect(clock.pending).toBe(1);
    expect(clock.nextDue()).toBe(T0 + 200);
    delayed.drop("b");
    expect(clock.pending).toBe(0);
  });

  test("a runAt already past is queued at the next turn of the clock", async () => {
    const { clock, queued, delayed } = service();
    delayed.start();
    delayed.add(ref("past"), T0 - 5000);
    expect(clock.nextDue()).toBe(T0);
    await clock.advance(0);
    expect(queued).toEqual(["past"]);
  });

  test("stop cancels the timer and forgets the schedule (the store keeps it for the next start)", async () => {
    const { clock, queued, delayed } = service();
    delayed.start();
    delayed.add(ref("a"), T0 + 100);
    delayed.stop();
    expect(clock.pending).toBe(0);
    expect(delayed.size).toBe(0);
    delayed.add(ref("b"), T0 + 100);
    await clock.advance(1000);
    expect(queued).toEqual([]);
  });
});

describe("in the engine", () => {
  test("a delayed execution cancelled before its runAt never runs and leaves no timer", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held" }));
    const { execution } = await w.engine.submitWith("j", {}, { runAt: T0 + 60_000 });
    expect(w.clock.pending).toBe(1);
    expect(await w.engine.cancel(execution.id)).toEqual({ outcome: "cancelled" });
    expect(w.clock.pending).toBe(0);
    await w.clock.advance(120_000);
    expect(held.calls).toEqual([]);
    expect((await w.store.loadExecution(execution.id))!.status).toBe("CANCELLED");
  });

  test("delayed executions due at once are admitted in runAt order", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn }, maxConcurrentJobs: 1 });
    await w.register(definitionOf("j", { functionName: "held" }));
    const later = (await w.engine.submitWith("j", {}, { runAt: T0 + 2000 })).execution.id;
    const sooner = (await w.engine.submitWith("j", {}, { runAt: T0 + 1000 })).execution.id;
    await w.clock.advance(2000);
    expect(held.calls.map((c) => c.executionId)).toEqual([sooner]);
    expect(w.engine.queuedIds(10)).toEqual([later]);
    held.calls[0]!.finish();
    await w.clock.flush();
    held.calls[1]!.finish();
    await w.drain();
    expect(held.calls.map((c) => c.executionId)).toEqual([sooner, later]);
  });
});
