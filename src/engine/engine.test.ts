import { describe, expect, test } from "bun:test";
import { countingFunction, definitionOf, heldFunction, setup } from "../../test/helpers/setup.ts";
import { ErrorNames, NonRetryableError, NotFoundError, TaskTimeoutError } from "../domain/errors.ts";
import type { TaskFunction } from "../domain/function.ts";
import { MAX_OUTPUT_BYTES } from "./attempt.ts";

const T0 = 1_700_000_000_000;

async function started(options: Parameters<typeof setup>[0] = {}) {
  const w = setup(options);
  await w.engine.start();
  return w;
}

describe("running an execution", () => {
  test("a sequence runs in order, passes outputs along and completes", async () => {
    const w = await started();
    await w.register(definitionOf("seq", { functionName: "echo", params: { p: 1 } }, { functionName: "echo" }));
    const e = await w.engine.submit("seq", { order: 7 });
    // A slot was free and nobody waiting: stored RUNNING, its first task started, in the same commit.
    expect(e).toMatchObject({
      id: "exec-0001",
      status: "RUNNING",
      definitionId: "seq",
      definitionVersion: 1,
      createdAt: T0,
      startedAt: T0,
    });
    await w.drain();
    const done = await w.store.loadExecution(e.id);
    const t1Output = { input: { order: 7 }, params: { p: 1 }, results: {} };
    expect(done).toMatchObject({ status: "COMPLETED", startedAt: T0, endTime: T0, error: null });
    expect(done!.tasks.map((t) => [t.taskId, t.status, t.attempts])).toEqual([
      ["t1", "COMPLETED", 1],
      ["t2", "COMPLETED", 1],
    ]);
    expect(done!.tasks[1]!.output).toEqual({ input: { order: 7 }, params: {}, results: { t1: t1Output } });
    // The execution's output is the outputs of the tasks nothing depends on.
    expect(done!.output).toEqual({ t2: done!.tasks[1]!.output });
    expect((await w.store.events(e.id))!.map((ev) => [ev.type, ev.taskId, ev.attempt])).toEqual([
      ["ExecutionQueued", null, null],
      ["ExecutionStarted", null, null],
      ["TaskStarted", "t1", 1],
      ["TaskCompleted", "t1", 1],
      ["TaskStarted", "t2", 1],
      ["TaskCompleted", "t2", 1],
      ["ExecutionCompleted", null, null],
    ]);
  });

  test("a task does not start before its dependency completes", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn } });
    await w.register(definitionOf("seq", { functionName: "held" }, { functionName: "held" }));
    await w.engine.submit("seq", {});
    await w.clock.flush();
    expect(held.calls.map((c) => c.taskId)).toEqual(["t1"]);
    held.calls[0]!.finish("one");
    await w.clock.flush();
    expect(held.calls.map((c) => [c.taskId, c.results])).toEqual([
      ["t1", {}],
      ["t2", { t1: "one" }],
    ]);
    held.calls[1]!.finish();
    await w.drain();
  });

  test("a DAG's independent branches run at the same time", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn } });
    await w.register(
      definitionOf(
        "dag",
        { id: "a", functionName: "noop" },
        { id: "b", functionName: "held", dependsOn: ["a"] },
        { id: "c", functionName: "held", dependsOn: ["a"] },
        {
          id: "d",
          functionName: "echo",
          dependsOn: ["b", "c"],
        },
      ),
    );
    const e = await w.engine.submit("dag", {});
    await w.clock.flush();
    // Both started, neither finished.
    expect(held.calls.map((c) => c.taskId).sort()).toEqual(["b", "c"]);
    expect(held.active).toBe(2);
    const running = await w.store.loadExecution(e.id);
    expect(running!.tasks.map((t) => t.status)).toEqual(["COMPLETED", "RUNNING", "RUNNING", "PENDING"]);
    held.calls.find((c) => c.taskId === "c")!.finish("C");
    await w.clock.flush();
    expect((await w.store.loadExecution(e.id))!.tasks[3]!.status).toBe("PENDING");
    held.calls.find((c) => c.taskId === "b")!.finish("B");
    await w.drain();
    const done = await w.store.loadExecution(e.id);
    expect(done!.status).toBe("COMPLETED");
    expect(done!.tasks[3]!.output).toMatchObject({ results: { b: "B", c: "C" } });
  });

  test("the function gets executionId, taskId, attempt, input and params", async () => {
    const seen: unknown[] = [];
    const w = await started({
      functions: { look: (ctx) => void seen.push({ e: ctx.executionId, t: ctx.taskId, a: ctx.attempt, i: ctx.input, p: ctx.params }) },
    });
    await w.register(definitionOf("j", { functionName: "look", params: { k: "v" } }));
    await w.engine.submit("j", { x: 1 });
    await w.drain();
    expect(seen).toEqual([{ e: "exec-0001", t: "t1", a: 1, i: { x: 1 }, p: { k: "v" } }]);
  });

  test("an unknown definition is NotFoundError and nothing is stored", async () => {
    const w = await started();
    await expect(w.engine.submit("nope", {})).rejects.toBeInstanceOf(NotFoundError);
    expect((await w.store.listExecutions({ limit: 10 })).executions).toEqual([]);
  });

  test("an execution runs the version it started with", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held", params: { v: 1 } }));
    const first = await w.engine.submit("j", {});
    await w.clock.flush();
    expect((await w.register(definitionOf("j", { functionName: "held", params: { v: 2 } }))).version).toBe(2);
    const second = await w.engine.submit("j", {});
    await w.clock.flush();
    expect(held.calls.map((c) => [c.executionId, c.params])).toEqual([
      [first.id, { v: 1 }],
      [second.id, { v: 2 }],
    ]);
    expect(second.definitionVersion).toBe(2);
    for (const c of held.calls) c.finish();
    await w.drain();
  });
});

describe("admission", () => {
  test("first in, first out with limit 1", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn }, maxConcurrentJobs: 1 });
    await w.register(definitionOf("j", { functionName: "held" }));
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push((await w.engine.submit("j", { i })).id);
    for (let i = 0; i < 4; i++) {
      await w.clock.flush();
      expect(held.calls.map((c) => c.executionId)).toEqual(ids.slice(0, i + 1));
      expect(held.active).toBe(1);
      expect(w.engine.queuedIds(10)).toEqual(ids.slice(i + 1));
      expect((await w.store.systemCounts(10)).running).toEqual([ids[i]!]);
      held.calls[i]!.finish();
    }
    await w.drain();
    const events = await Promise.all(ids.map(async (id) => (await w.store.events(id))!.find((e) => e.type === "ExecutionStarted")!.seq));
    expect(events).toEqual([...events].sort((a, b) => a - b));
  });

  test("a start that finds a free slot and no queue is stored RUNNING, with or without a key; a replay gives its slot back", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn }, maxConcurrentJobs: 2 });
    await w.register(definitionOf("j", { functionName: "held" }));
    const first = await w.engine.submitWith("j", {}, { idempotencyKey: "k" });
    expect(first.execution).toMatchObject({ status: "RUNNING", startedAt: T0 });
    // The replay takes the free slot while it looks the key up, then must hand it back.
    const replay = await w.engine.submitWith("j", {}, { idempotencyKey: "k" });
    expect(replay).toMatchObject({ created: false, execution: { id: first.execution.id } });
    const second = await w.engine.submit("j", {});
    expect(second.status).toBe("RUNNING");
    // Both slots taken: the next one waits its turn, stored QUEUED.
    const third = await w.engine.submit("j", {});
    expect(third.status).toBe("QUEUED");
    await w.clock.flush();
    expect(held.active).toBe(2);
    expect(w.engine.queuedIds(10)).toEqual([third.id]);
    held.calls[0]!.finish();
    await w.clock.flush();
    expect((await w.store.systemCounts(10)).running.sort()).toEqual([second.id, third.id].sort());
    for (const call of held.calls.slice(1)) call.finish();
    await w.drain();
    expect((await w.store.systemCounts(10)).completedCount).toBe(3);
  });

  test("the limit is never exceeded: 50 executions, limit 10, exactly 10 at once", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn }, maxConcurrentJobs: 10 });
    await w.register(definitionOf("j", { functionName: "held" }));
    for (let i = 0; i < 50; i++) await w.engine.submit("j", { i });
    await w.clock.flush();
    expect(held.active).toBe(10);
    let finished = 0;
    while (finished < 50) {
      const counts = await w.store.systemCounts(100);
      expect(counts.running.length).toBeLessThanOrEqual(10);
      expect(w.engine.running).toBeLessThanOrEqual(10);
      expect(counts.running.length + counts.queuedCount + counts.completedCount).toBe(50);
      expect(held.calls.length).toBe(Math.min(50, finished + 10));
      held.calls[finished]!.finish();
      finished++;
      await w.clock.flush();
    }
    await w.drain();
    expect(held.calls).toHaveLength(50);
    expect(held.maxActive).toBe(10);
    expect((await w.store.systemCounts(10)).completedCount).toBe(50);
  });

  test("idle() resolves once nothing is queued or running", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn }, maxConcurrentJobs: 1 });
    await w.register(definitionOf("j", { functionName: "held" }));
    await w.engine.submit("j", {});
    await w.engine.submit("j", {});
    let idle = false;
    void w.engine.idle().then(() => (idle = true));
    await w.clock.flush();
    held.calls[0]!.finish();
    await w.clock.flush();
    expect(idle).toBe(false);
    held.calls[1]!.finish();
    await w.clock.flush();
    expect(idle).toBe(true);
  });
});

describe("retries", () => {
  const failingTwice = (retry: Record<string, unknown>) =>
    definitionOf("j", { functionName: "fail", params: { times: 2, errorName: "Flaky" }, retry });
  const task = async (w: ReturnType<typeof setup>, id: string) => (await w.store.loadExecution(id))!.tasks[0]!;

  test("backoff without jitter: nextAttemptAt 1000 ms then 2000 ms after the failures", async () => {
    const w = await started();
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
    const w = await started({ rng: () => 0.25 });
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
    const w = await started({ rng });
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
    const w = await started({ functions: { held: held.fn } });
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
    const w = await started();
    await w.register(definitionOf("j", { functionName: "fail", params: { times: 1 } }));
    const { id } = await w.engine.submit("j", {});
    await w.drain();
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(w.clock.pending).toBe(0);
  });

  test("maxRetry n gives n retries", async () => {
    const w = await started();
    await w.register(definitionOf("j", { functionName: "fail", params: { times: 5 }, maxRetry: 2 }));
    const { id } = await w.engine.submit("j", {});
    await w.drain();
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "FAILED", attempts: 3 });
  });

  test("an error errorEquals does not match fails at once", async () => {
    const w = await started();
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
    const w = await started({
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
    const w = await started({ functions: { held: held.fn } });
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
    const w = await started({ functions: { held: held.fn } });
    await w.register(
      definitionOf("j", { functionName: "held", timeoutSeconds: 1, retry: { maxAttempts: 3, errorEquals: ["States.TaskFailed"] } }),
    );
    const { id } = await w.engine.submit("j", {});
    await w.clock.advance(1000);
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "FAILED", error: { name: ErrorNames.Timeout } });
  });

  test("an output over 1 MiB fails the task, without retry", async () => {
    const big: TaskFunction = () => ({ blob: "x".repeat(MAX_OUTPUT_BYTES) });
    const w = await started({ functions: { big } });
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
    const first = await started({ functions: { gone: () => 1 } });
    await first.register(definitionOf("j", { functionName: "gone" }));
    const second = await started({ store: first.store, clock: first.clock });
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
    const w = await started({
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

describe("write-ahead ordering under group commit", () => {
  test("no function runs, and no execution is terminal, before the write it depends on committed", async () => {
    const calls: string[] = [];
    const trace =
      (name: string): TaskFunction =>
      () =>
        void calls.push(name);
    const w = await started({ functions: { ta: trace("a"), tb: trace("b") } });
    // Every record the engine makes is held until the test lets it commit.
    const held: { steps: string; release: () => void }[] = [];
    const record = w.store.record.bind(w.store);
    w.store.record = (id, steps, now) =>
      new Promise<void>((resolve, reject) => {
        held.push({
          steps: steps.map((s) => `${s.kind}:${"taskId" in s ? s.taskId : s.status}`).join(","),
          release: () => record(id, steps, now).then(resolve, reject),
        });
      });
    await w.register(definitionOf("two", { functionName: "ta" }, { functionName: "tb" }));
    const e = await w.engine.submit("two", {});
    // Admission started task a in its own commit, so a runs; its completion is then held.
    for (let i = 0; i < 20 && held.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(["a"]);
    expect(held.map((h) => h.steps)).toEqual(["complete:t1,start:t2"]);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(["a"]); // b waits for the commit of "complete a, start b"
    held.shift()!.release();
    for (let i = 0; i < 20 && held.length === 0; i++) await new Promise((r) => setImmediate(r));
    expect(calls).toEqual(["a", "b"]);
    expect(held.map((h) => h.steps)).toEqual(["complete:t2,finish:COMPLETED"]);
    expect((await w.store.loadExecution(e.id))!.status).toBe("RUNNING");
    held.shift()!.release();
    await w.engine.idle();
    expect((await w.store.loadExecution(e.id))!.status).toBe("COMPLETED");
  });

  test("the limit holds in the database at every commit, also when a finishing execution hands its slot on", async () => {
    const w = await started({ maxConcurrentJobs: 3 });
    await w.register(definitionOf("one", { functionName: "noop" }));
    const record = w.store.record.bind(w.store);
    const admit = w.store.admit.bind(w.store);
    let maxRunning = 0;
    const check = async () => {
      const counts = await w.store.systemCounts(0);
      maxRunning = Math.max(maxRunning, counts.running.length);
    };
    w.store.record = async (...args) => {
      await record(...args);
      await check();
    };
    w.store.admit = async (...args) => {
      const out = await admit(...args);
      await check();
      return out;
    };
    await Promise.all(Array.from({ length: 30 }, () => w.engine.submit("one", {})));
    await w.drain();
    expect(maxRunning).toBe(3);
    expect((await w.store.systemCounts(0)).completedCount).toBe(30);
  });
});
