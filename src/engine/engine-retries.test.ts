/**
 * Retries of failed attempts: backoff and jitter from the injected rng, budgets, errors that are
 * not retried, attempt timeouts, outputs over the limit, functions missing from the process.
 */
import { describe, expect, test } from "bun:test";
import { countingFunction, definitionOf, heldFunction, type setup, setupStarted } from "../../test/helpers/setup.ts";
import { ErrorNames, NonRetryableError, TaskTimeoutError } from "../domain/errors.ts";
import type { TaskFunction } from "../domain/function.ts";
import { MAX_OUTPUT_BYTES } from "./attempt.ts";

const T0 = 1_700_000_000_000;

describe("retries", () => {
  const failingTwice = (retry: Record<string, unknown>) =>
    definitionOf("j", { functionName: "fail", params: { times: 2, errorName: "Flaky" }, retry });
  const task = async (w: ReturnType<typeof setup>, id: string) => (await w.store.loadExecution(id))!.tasks[0]!;

  test("backoff without jitter: nextAttemptAt 1000 ms then 2000 ms after the failures", async () => {
    const w = await setupStarted();
    await w.register(failingTwice({ maxAttempts: 3, intervalSeconds: 1, backoffRate: 2, jitterStrategy: "NONE" }));
    const { id } = await w.engine.submit("j", {});
    await w.clock.flush();
    expect(await task(w, id)).toMatchObject({ status: "RETRYING", attempts: 1, nextAttemptAt: T0 + 1000, error: { name: "Flaky" } });
    await w.clock.advance(999);
    expect(await task(w, id)).toMatchObject({ status: "RETRYING", attempts: 1 });
    await w.clock.advance(1);
    expect(await task(w, id)).toMatchObject({ status: "RETRYING", attempts: 2, nextAttemptAt: T0 + 1000 + 2000 });
    await w.clock.advance(1999);
    expect(await task(w, id)).toMatchObject({ status: "RETRYING", attempts: 2 });
    await w.clock.advance(1);
    expect(await task(w, id)).toMatchObject({
      status: "COMPLETED",
      attempts: 3,
      output: { attempt: 3 },
      error: null,
      nextAttemptAt: null,
      startedAt: T0,
      endTime: T0 + 3000,
    });
    const events = (await w.store.events(id))!.filter((e) => e.taskId === "t1");
    expect(events.map((e) => [e.type, e.attempt, e.at, e.data])).toEqual([
      ["TaskStarted", 1, T0, null],
      [
        "TaskRetrying",
        1,
        T0,
        { error: { name: "Flaky", message: "failing on purpose (attempt 1)" }, nextAttemptAt: new Date(T0 + 1000).toISOString() },
      ],
      ["TaskStarted", 2, T0 + 1000, null],
      [
        "TaskRetrying",
        2,
        T0 + 1000,
        { error: { name: "Flaky", message: "failing on purpose (attempt 2)" }, nextAttemptAt: new Date(T0 + 3000).toISOString() },
      ],
      ["TaskStarted", 3, T0 + 3000, null],
      ["TaskCompleted", 3, T0 + 3000, null],
    ]);
    expect((await w.store.loadExecution(id))!.status).toBe("COMPLETED");
  });

  test("FULL jitter with a fixed rng: the exact delays", async () => {
    const w = await setupStarted({ rng: () => 0.25 });
    await w.register(failingTwice({ maxAttempts: 3, intervalSeconds: 2, backoffRate: 3, jitterStrategy: "FULL" }));
    const { id } = await w.engine.submit("j", {});
    await w.clock.flush();
    expect((await task(w, id)).nextAttemptAt).toBe(T0 + 500); // 0.25 × 2000
    await w.clock.advance(500);
    expect(await task(w, id)).toMatchObject({ attempts: 2, nextAttemptAt: T0 + 500 + 1500 }); // 0.25 × 6000
    await w.clock.advance(1500);
    expect((await task(w, id)).status).toBe("COMPLETED");
  });

  test("FULL jitter draws from the injected rng, one draw per retry", async () => {
    const draws: number[] = [];
    const values = [0.9, 0.1];
    const rng = () => {
      const v = values[draws.length]!;
      draws.push(v);
      return v;
    };
    const w = await setupStarted({ rng });
    await w.register(failingTwice({ maxAttempts: 3, intervalSeconds: 1, backoffRate: 2 }));
    const { id } = await w.engine.submit("j", {});
    await w.clock.flush();
    expect((await task(w, id)).nextAttemptAt).toBe(T0 + 900);
    await w.clock.advance(900);
    expect((await task(w, id)).nextAttemptAt).toBe(T0 + 900 + 200);
    await w.drain();
    expect(draws).toEqual([0.9, 0.1]);
  });

  test("attempts exhausted: task FAILED, dependents SKIPPED, execution FAILED once nothing runs", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
    await w.register(
      definitionOf(
        "j",
        {
          id: "bad",
          functionName: "fail",
          params: { errorName: "Broken", message: "no luck" },
          retry: { maxAttempts: 2, intervalSeconds: 1, jitterStrategy: "NONE" },
        },
        { id: "after", functionName: "noop" },
        { id: "last", functionName: "noop" },
        { id: "side", functionName: "held", dependsOn: [] },
      ),
    );
    const { id } = await w.engine.submit("j", {});
    await w.clock.advance(1000);
    const mid = await w.store.loadExecution(id);
    expect(mid!.tasks.map((t) => [t.taskId, t.status, t.attempts])).toEqual([
      ["bad", "FAILED", 2],
      ["after", "SKIPPED", 0],
      ["last", "SKIPPED", 0],
      ["side", "RUNNING", 1],
    ]);
    // An independent branch still running holds the execution open.
    expect(mid!.status).toBe("RUNNING");
    held.calls[0]!.finish("side done");
    await w.drain();
    const done = await w.store.loadExecution(id);
    expect(done).toMatchObject({
      status: "FAILED",
      output: null,
      error: { taskId: "bad", name: "Broken", message: "no luck" },
      endTime: T0 + 1000,
    });
    expect(done!.tasks[3]).toMatchObject({ status: "COMPLETED", output: "side done" });
    const types = (await w.store.events(id))!.map((e) => (e.taskId ? `${e.type}:${e.taskId}` : e.type));
    expect(types.slice(-5)).toEqual(["TaskFailed:bad", "TaskSkipped:after", "TaskSkipped:last", "TaskCompleted:side", "ExecutionFailed"]);
  });

  test("a plain task (no retry fields) runs once", async () => {
    const w = await setupStarted();
    await w.register(definitionOf("j", { functionName: "fail", params: { times: 1 } }));
    const { id } = await w.engine.submit("j", {});
    await w.drain();
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(w.clock.pending).toBe(0);
  });

  test("maxRetry n gives n retries", async () => {
    const w = await setupStarted();
    await w.register(definitionOf("j", { functionName: "fail", params: { times: 5 }, maxRetry: 2 }));
    const { id } = await w.engine.submit("j", {});
    await w.drain();
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "FAILED", attempts: 3 });
  });

  test("an error errorEquals does not match fails at once", async () => {
    const w = await setupStarted();
    await w.register(
      definitionOf("j", {
        functionName: "fail",
        params: { times: 3, errorName: "Other" },
        retry: { maxAttempts: 5, errorEquals: ["Flaky"] },
      }),
    );
    const { id } = await w.engine.submit("j", {});
    await w.clock.flush();
    expect(w.clock.pending).toBe(0);
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "FAILED", error: { taskId: "t1", name: "Other" } });
    expect((await w.store.loadExecution(id))!.tasks[0]!.attempts).toBe(1);
  });

  test("a NonRetryableError fails at once under States.ALL", async () => {
    const w = await setupStarted({
      functions: {
        refuse: () => {
          throw new NonRetryableError("bad input");
        },
      },
    });
    await w.register(definitionOf("j", { functionName: "refuse", retry: { maxAttempts: 5 } }));
    const { id } = await w.engine.submit("j", {});
    await w.clock.flush();
    expect(await w.store.loadExecution(id)).toMatchObject({
      status: "FAILED",
      error: { name: ErrorNames.NonRetryable, message: "bad input" },
    });
  });

  test("timeoutSeconds: the attempt fails with States.Timeout and is retried", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
    await w.register(
      definitionOf("j", { functionName: "held", timeoutSeconds: 2, retry: { maxAttempts: 2, intervalSeconds: 1, jitterStrategy: "NONE" } }),
    );
    const { id } = await w.engine.submit("j", {});
    await w.clock.advance(1999);
    expect((await w.store.loadExecution(id))!.tasks[0]!.status).toBe("RUNNING");
    await w.clock.advance(1);
    expect(held.calls[0]!.signal.aborted).toBe(true);
    expect(held.calls[0]!.signal.reason).toBeInstanceOf(TaskTimeoutError);
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({
      status: "RETRYING",
      attempts: 1,
      nextAttemptAt: T0 + 3000,
      error: { name: ErrorNames.Timeout, message: "attempt did not finish within timeoutSeconds=2" },
    });
    await w.clock.advance(1000);
    expect(held.calls.map((c) => c.attempt)).toEqual([1, 2]);
    held.calls[1]!.finish("second");
    // The timed-out attempt finishing late changes nothing.
    held.calls[0]!.finish("too late");
    await w.drain();
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "COMPLETED", attempts: 2, output: "second" });
  });

  test("timeouts are not retried under States.TaskFailed", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
    await w.register(
      definitionOf("j", { functionName: "held", timeoutSeconds: 1, retry: { maxAttempts: 3, errorEquals: ["States.TaskFailed"] } }),
    );
    const { id } = await w.engine.submit("j", {});
    await w.clock.advance(1000);
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "FAILED", error: { name: ErrorNames.Timeout } });
  });

  test("an output over the limit (4 MiB) fails the task, without retry", async () => {
    const big: TaskFunction = () => ({ blob: "x".repeat(MAX_OUTPUT_BYTES) });
    const w = await setupStarted({ functions: { big } });
    await w.register(definitionOf("j", { functionName: "big", retry: { maxAttempts: 3 } }, { functionName: "noop" }));
    const { id } = await w.engine.submit("j", {});
    await w.drain();
    const done = await w.store.loadExecution(id);
    expect(done).toMatchObject({ status: "FAILED", error: { taskId: "t1", name: ErrorNames.DataLimitExceeded } });
    expect(done!.tasks.map((t) => [t.status, t.attempts, t.output])).toEqual([
      ["FAILED", 1, null],
      ["SKIPPED", 0, null],
    ]);
  });

  test("a function missing from this process fails its task with States.Runtime", async () => {
    const first = await setupStarted({ functions: { gone: () => 1 } });
    await first.register(definitionOf("j", { functionName: "gone" }));
    const second = await setupStarted({ store: first.store, clock: first.clock });
    const { id } = await second.engine.submit("j", {});
    await second.drain();
    expect(await second.store.loadExecution(id)).toMatchObject({
      status: "FAILED",
      error: { name: ErrorNames.Runtime, message: 'no function named "gone" is registered in this Baton' },
    });
  });

  test("each retry calls the function once, with the next attempt number", async () => {
    const counting = countingFunction();
    let failuresLeft = 2;
    const w = await setupStarted({
      functions: {
        flaky: (ctx) => {
          counting.fn(ctx);
          if (failuresLeft-- > 0) throw new Error("again");
          return "ok";
        },
      },
    });
    await w.register(definitionOf("j", { functionName: "flaky", retry: { maxAttempts: 5, intervalSeconds: 0 } }));
    const { id } = await w.engine.submit("j", {});
    await w.drain();
    expect(counting.calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "COMPLETED", attempts: 3 });
  });
});
