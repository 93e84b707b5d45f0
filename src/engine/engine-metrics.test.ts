/**
 * What the engine tells its metrics port, on the fake clock: one call per committed fact, with
 * the durations the clock says, for a success, retries then a failure, an attempt's timeout,
 * cancels of a RUNNING and a QUEUED execution, a wait in the queue, and schedule fires.
 */
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import { definition, definitionOf, heldFunction, setupStarted } from "../../test/helpers/setup.ts";
import type { EngineMetrics } from "../domain/metrics.ts";

const MIN = 60_000;

/** Every call, in order, as [method, ...arguments]. */
function recordingMetrics(): EngineMetrics & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  const at =
    (name: string) =>
    (...args: unknown[]) =>
      void calls.push([name, ...args]);
  return {
    calls,
    executionStarted: at("executionStarted"),
    executionFinished: at("executionFinished"),
    attemptEnded: at("attemptEnded"),
    retryScheduled: at("retryScheduled"),
    scheduleFired: at("scheduleFired"),
    scheduleMissed: at("scheduleMissed"),
  };
}

const noRetry = { maxAttempts: 1 };

describe("engine metrics", () => {
  test("a success: started without waiting, the attempt and the execution with their durations", async () => {
    const metrics = recordingMetrics();
    const held = heldFunction();
    const w = await setupStarted({ metrics, functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held" }, { functionName: "noop", dependsOn: ["t1"] }));
    await w.engine.submit("j", {});
    await w.clock.flush();
    await w.clock.advance(500);
    held.calls[0]!.finish({ ok: true });
    await w.drain();
    expect(metrics.calls).toEqual([
      ["executionStarted", "j", 0],
      ["attemptEnded", "j", "completed", 500],
      ["attemptEnded", "j", "completed", 0],
      ["executionFinished", "j", "COMPLETED", 500],
    ]);
  });

  test("retries then a failure: each failed attempt, each retry, the end; the retrying gauge during the backoff", async () => {
    const metrics = recordingMetrics();
    const w = await setupStarted({ metrics });
    const retry = { maxAttempts: 3, intervalSeconds: 1, backoffRate: 2, jitterStrategy: "NONE" };
    await w.register(definitionOf("j", { functionName: "fail", params: { errorName: "Flaky" }, retry }));
    await w.engine.submit("j", {});
    await w.clock.flush();
    expect(w.engine.retrying()).toBe(1);
    await w.drain();
    expect(w.engine.retrying()).toBe(0);
    expect(metrics.calls).toEqual([
      ["executionStarted", "j", 0],
      ["attemptEnded", "j", "failed", 0],
      ["retryScheduled", "j"],
      ["attemptEnded", "j", "failed", 0],
      ["retryScheduled", "j"],
      ["attemptEnded", "j", "failed", 0],
      ["executionFinished", "j", "FAILED", 3000],
    ]);
  });

  test("an attempt's timeout is its own outcome", async () => {
    const metrics = recordingMetrics();
    const held = heldFunction();
    const w = await setupStarted({ metrics, functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held", timeoutSeconds: 2, retry: noRetry }));
    await w.engine.submit("j", {});
    await w.drain();
    expect(metrics.calls).toEqual([
      ["executionStarted", "j", 0],
      ["attemptEnded", "j", "timed_out", 2000],
      ["executionFinished", "j", "FAILED", 2000],
    ]);
  });

  test("cancels: a RUNNING execution's aborted attempt is not an outcome; a QUEUED one ends without a duration; the queue wait", async () => {
    const metrics = recordingMetrics();
    const held = heldFunction();
    const w = await setupStarted({ metrics, maxConcurrentJobs: 1, functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held" }));
    const first = await w.engine.submit("j", {});
    const second = await w.engine.submit("j", {});
    const third = await w.engine.submit("j", {});
    await w.clock.advance(300);
    await w.engine.cancel(third.id);
    await w.engine.cancel(first.id);
    held.calls[0]!.finish(); // after the abort: not recorded
    await w.clock.flush();
    await w.clock.advance(200);
    held.calls[1]!.finish();
    await w.drain();
    expect(second.status).toBe("QUEUED");
    expect(metrics.calls).toEqual([
      ["executionStarted", "j", 0],
      ["executionFinished", "j", "CANCELLED", null],
      ["executionFinished", "j", "CANCELLED", 300],
      ["executionStarted", "j", 300],
      ["attemptEnded", "j", "completed", 200],
      ["executionFinished", "j", "COMPLETED", 200],
    ]);
  });

  test("schedules: each fire that starts an execution, and the fires recorded as missed", async () => {
    const metrics = recordingMetrics();
    const w = await setupStarted({ metrics, clock: new FakeClock(1_700_000_040_000) });
    await w.register(
      definition({ id: "cron", schedules: [{ id: "every", cron: "* * * * *", catchupWindowSeconds: 120, overlap: "allow" }] }),
    );
    await w.clock.advance(MIN);
    await w.clock.jump(30 * MIN);
    await w.clock.advanceToNext();
    await w.drain();
    const scheduleCalls = metrics.calls.filter(([name]) => String(name).startsWith("schedule"));
    expect(scheduleCalls).toEqual([
      ["scheduleFired", "cron"],
      ["scheduleMissed", "cron", 27],
      ["scheduleFired", "cron"],
      ["scheduleFired", "cron"],
      ["scheduleFired", "cron"],
    ]);
  });

  test("slot time: slots held, summed over slots, and the part the task functions ran", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held" }));
    expect(w.engine.slotTime()).toEqual({ busy: 0, functions: 0 });
    await w.engine.submit("j", {});
    await w.engine.submit("j", {});
    await w.clock.flush();
    await w.clock.advance(500);
    held.calls[0]!.finish({ ok: true });
    await w.clock.advance(250);
    held.calls[1]!.finish({ ok: true });
    await w.drain();
    // Both held a slot while their functions ran; on the fake clock a commit takes no time.
    expect(w.engine.slotTime()).toEqual({ busy: 1.25, functions: 1.25 });
  });
});
