import { describe, expect, test } from "bun:test";
import { definitionOf, heldFunction, setup } from "../../test/helpers/setup.ts";
import { ConflictError, ErrorNames, ValidationError } from "../domain/errors.ts";

async function started(options: Parameters<typeof setup>[0] = {}) {
  const w = setup(options);
  await w.engine.start();
  return w;
}

const types = async (w: ReturnType<typeof setup>, id: string) =>
  (await w.store.events(id))!.map((e) => (e.taskId ? `${e.type}:${e.taskId}` : e.type));
const taskStates = async (w: ReturnType<typeof setup>, id: string) =>
  (await w.store.loadExecution(id))!.tasks.map((t) => [t.taskId, t.status, t.attempts]);

describe("cancel", () => {
  test("a QUEUED execution is CANCELLED at once and never runs; its slot was never taken", async () => {
    const held = heldFunction();
    const w = await started({ maxConcurrentJobs: 1, functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held" }));
    const first = await w.engine.submit("j", {});
    const second = await w.engine.submit("j", {});
    await w.clock.flush();
    expect(await w.engine.cancel(second.id)).toEqual({ outcome: "cancelled" });
    expect((await w.store.loadExecution(second.id))!.status).toBe("CANCELLED");
    expect(await taskStates(w, second.id)).toEqual([["t1", "CANCELLED", 0]]);
    held.calls[0]!.finish("ok");
    await w.drain();
    expect(held.calls.map((c) => c.executionId)).toEqual([first.id]);
    expect(await types(w, second.id)).toEqual(["ExecutionQueued", "ExecutionCancelRequested", "TaskCancelled:t1", "ExecutionCancelled"]);
  });

  test("a RUNNING execution aborts its attempt through the signal, cancels the rest, and frees the slot", async () => {
    const held = heldFunction();
    const w = await started({ maxConcurrentJobs: 1, functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held" }, { functionName: "noop" }));
    const e = await w.engine.submit("j", {});
    const next = await w.engine.submit("j", {});
    await w.clock.flush();
    expect(held.calls).toHaveLength(1);
    expect(await w.engine.cancel(e.id)).toEqual({ outcome: "requested" });
    await w.clock.flush();
    expect(held.calls[0]!.signal.aborted).toBe(true);
    // The attempt gets its grace period to return; it does here, so the execution ends now.
    held.calls[0]!.fail(new Error("aborted"));
    await w.clock.flush();
    expect((await w.store.loadExecution(e.id))!.status).toBe("CANCELLED");
    expect(await taskStates(w, e.id)).toEqual([
      ["t1", "CANCELLED", 1],
      ["t2", "CANCELLED", 0],
    ]);
    // The next execution got the slot.
    expect(held.calls.map((c) => c.executionId)).toEqual([e.id, next.id]);
    held.calls[1]!.finish("ok");
    await w.drain();
    expect(await types(w, e.id)).toEqual([
      "ExecutionQueued",
      "ExecutionStarted",
      "TaskStarted:t1",
      "ExecutionCancelRequested",
      "TaskCancelled:t1",
      "TaskCancelled:t2",
      "ExecutionCancelled",
    ]);
  });

  test("an attempt that ignores its signal is given the grace period, then the execution ends anyway", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held" }));
    const e = await w.engine.submit("j", {});
    await w.clock.flush();
    await w.engine.cancel(e.id);
    await w.clock.flush();
    expect((await w.store.loadExecution(e.id))!.status).toBe("RUNNING");
    await w.clock.advance(10_000);
    await w.clock.flush();
    expect((await w.store.loadExecution(e.id))!.status).toBe("CANCELLED");
  });

  test("during a backoff wait: the pending retry is dropped and the task is CANCELLED", async () => {
    const w = await started();
    await w.register(definitionOf("j", { functionName: "fail", params: { times: 5 }, retry: { maxAttempts: 5, intervalSeconds: 60 } }));
    const e = await w.engine.submit("j", {});
    await w.clock.flush();
    expect(await taskStates(w, e.id)).toEqual([["t1", "RETRYING", 1]]);
    await w.engine.cancel(e.id);
    await w.clock.flush();
    expect((await w.store.loadExecution(e.id))!.status).toBe("CANCELLED");
    expect(await taskStates(w, e.id)).toEqual([["t1", "CANCELLED", 1]]);
    expect(w.clock.pending).toBe(0);
  });

  test("a finished execution answers finished (the API's 409); an unknown one missing", async () => {
    const w = await started();
    await w.register(definitionOf("j", { functionName: "noop" }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect(await w.engine.cancel(e.id)).toEqual({ outcome: "finished", status: "COMPLETED" });
    expect(await w.engine.cancel("nope")).toEqual({ outcome: "missing" });
  });

  test("a cancel accepted before a restart is finished by the next start without running anything", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held" }));
    const e = await w.engine.submit("j", {});
    await w.clock.flush();
    // The request is committed, then the process "dies" before the run could end it.
    await w.store.cancel(e.id, w.clock.now());
    const again = setup({ store: w.store, clock: w.clock, functions: { held: held.fn } });
    await again.engine.start();
    await again.clock.flush();
    expect((await again.store.loadExecution(e.id))!.status).toBe("CANCELLED");
    expect(held.calls).toHaveLength(1);
  });
});

describe("redrive", () => {
  test("keeps completed tasks, resets the failed and skipped ones with a fresh budget; attempt numbers keep counting", async () => {
    const w = await started();
    await w.register(definitionOf("j", { functionName: "echo" }, { functionName: "fail", params: { times: 1 } }, { functionName: "noop" }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect(await taskStates(w, e.id)).toEqual([
      ["t1", "COMPLETED", 1],
      ["t2", "FAILED", 1],
      ["t3", "SKIPPED", 0],
    ]);
    const before = (await w.store.loadExecution(e.id))!.tasks[0]!.output;
    expect(await w.engine.redrive(e.id)).toEqual({ outcome: "redriven", reset: expect.arrayContaining(["t2", "t3"]) });
    await w.drain();
    const after = (await w.store.loadExecution(e.id))!;
    expect(after.status).toBe("COMPLETED");
    expect(after.tasks.map((t) => [t.taskId, t.status, t.attempts])).toEqual([
      ["t1", "COMPLETED", 1],
      ["t2", "COMPLETED", 2],
      ["t3", "COMPLETED", 1],
    ]);
    expect(after.tasks[0]!.output).toEqual(before);
    const history = await types(w, e.id);
    expect(history.filter((t) => t === "TaskStarted:t1")).toHaveLength(1);
    expect(history).toContain("ExecutionRedriven");
    expect(history.indexOf("ExecutionFailed")).toBeLessThan(history.indexOf("ExecutionRedriven"));
  });

  test("the retry budget starts again: a task with 2 attempts gets 2 more after a redrive", async () => {
    const w = await started();
    await w.register(definitionOf("j", { functionName: "fail", params: { times: 3 }, maxRetry: 1 }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect(await taskStates(w, e.id)).toEqual([["t1", "FAILED", 2]]);
    await w.engine.redrive(e.id);
    await w.drain();
    expect(await taskStates(w, e.id)).toEqual([["t1", "COMPLETED", 4]]);
  });

  test("only FAILED or CANCELLED executions; others are refused", async () => {
    const w = await started();
    await w.register(definitionOf("j", { functionName: "noop" }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect(await w.engine.redrive(e.id)).toEqual({ outcome: "refused", status: "COMPLETED" });
    expect(await w.engine.redrive("nope")).toEqual({ outcome: "missing" });
  });
});

describe("rerun from a task", () => {
  test("carries upstream tasks over with their outputs and runs the task and its dependents in a new execution", async () => {
    const w = await started();
    await w.register(
      definitionOf(
        "j",
        { functionName: "echo", params: { step: 1 } },
        { functionName: "echo", params: { step: 2 } },
        { functionName: "echo", params: { step: 3 } },
      ),
    );
    const e = await w.engine.submit("j", { v: 1 });
    await w.drain();
    const original = (await w.store.loadExecution(e.id))!;
    const rerun = await w.engine.rerun(e.id, "t2", { v: 2 });
    await w.drain();
    const done = (await w.store.loadExecution(rerun.id))!;
    expect(done).toMatchObject({ status: "COMPLETED", rerunOf: e.id, input: { v: 2 } });
    expect(done.tasks.map((t) => [t.taskId, t.status, t.carriedOver])).toEqual([
      ["t1", "COMPLETED", true],
      ["t2", "COMPLETED", false],
      ["t3", "COMPLETED", false],
    ]);
    expect(done.tasks[0]!.output).toEqual(original.tasks[0]!.output);
    // t2 saw the carried output of t1 and the new input.
    expect(done.tasks[1]!.output).toMatchObject({ input: { v: 2 }, results: { t1: original.tasks[0]!.output } });
    expect(await w.store.rerunsOf(e.id)).toEqual([rerun.id]);
    expect(await types(w, e.id)).toContain("ExecutionRerunCreated");
    expect((await types(w, rerun.id)).filter((t) => t.startsWith("TaskStarted"))).toEqual(["TaskStarted:t2", "TaskStarted:t3"]);
  });

  test("an unknown task is a ValidationError; a task whose upstream did not complete is a ConflictError", async () => {
    const w = await started();
    await w.register(definitionOf("j", { functionName: "fail" }, { functionName: "noop" }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    await expect(w.engine.rerun(e.id, "nope")).rejects.toBeInstanceOf(ValidationError);
    await expect(w.engine.rerun(e.id, "t2")).rejects.toBeInstanceOf(ConflictError);
    const again = await w.engine.rerun(e.id, "t1");
    expect(again.rerunOf).toBe(e.id);
  });
});

describe("idempotent and delayed starts", () => {
  test("the same key and body return the first execution; a different body is a conflict; keys are per definition", async () => {
    const w = await started();
    await w.register(definitionOf("a", { functionName: "noop" }));
    await w.register(definitionOf("b", { functionName: "noop" }));
    const [x, y] = await Promise.all([
      w.engine.submitWith("a", { n: 1 }, { idempotencyKey: "k" }),
      w.engine.submitWith("a", { n: 1 }, { idempotencyKey: "k" }),
    ]);
    expect(x!.execution.id).toBe(y!.execution.id);
    expect([x!.created, y!.created].sort()).toEqual([false, true]);
    await expect(w.engine.submitWith("a", { n: 2 }, { idempotencyKey: "k" })).rejects.toBeInstanceOf(ConflictError);
    const other = await w.engine.submitWith("b", { n: 1 }, { idempotencyKey: "k" });
    expect(other.created).toBe(true);
    await w.drain();
    expect((await w.store.systemCounts(0)).completedCount).toBe(2);
  });

  test("a key expires after the retention period", async () => {
    const w = setup();
    const engine = new (w.engine.constructor as typeof import("./engine.ts").Engine)({
      store: w.store,
      functions: w.functions,
      clock: w.clock,
      idempotencyRetentionMs: 1000,
    });
    await engine.start();
    await engine.catalog.register(definitionOf("a", { functionName: "noop" }));
    const first = await engine.submitWith("a", {}, { idempotencyKey: "k" });
    await w.clock.advance(1001);
    const second = await engine.submitWith("a", {}, { idempotencyKey: "k" });
    expect(second.created).toBe(true);
    expect(second.execution.id).not.toBe(first.execution.id);
    await engine.stop(0);
  });

  test("runAt: QUEUED with its time shown, admitted no earlier, and kept across a restart", async () => {
    const w = await started();
    await w.register(definitionOf("j", { functionName: "noop" }));
    const runAt = w.clock.now() + 60_000;
    const { execution } = await w.engine.submitWith("j", {}, { runAt });
    expect(execution).toMatchObject({ status: "QUEUED", runAt });
    await w.clock.advance(59_000);
    expect((await w.store.loadExecution(execution.id))!.status).toBe("QUEUED");
    // Restart before it is due.
    await w.engine.stop(0);
    const again = setup({ store: w.store, clock: w.clock });
    await again.engine.start();
    await again.clock.advance(999);
    expect((await again.store.loadExecution(execution.id))!.status).toBe("QUEUED");
    await again.clock.advance(1);
    await again.drain();
    const done = (await again.store.loadExecution(execution.id))!;
    expect(done.status).toBe("COMPLETED");
    expect(done.startedAt).toBeGreaterThanOrEqual(runAt);
  });
});

describe("execution timeout", () => {
  test("aborts running attempts and ends FAILED with States.Timeout; unfinished tasks are CANCELLED", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn } });
    await w.register({ ...definitionOf("j", { functionName: "held" }, { functionName: "noop" }), timeoutSeconds: 5 });
    const e = await w.engine.submit("j", {});
    await w.clock.flush();
    await w.clock.advance(5_000);
    await w.clock.flush();
    expect(held.calls[0]!.signal.aborted).toBe(true);
    const done = (await w.store.loadExecution(e.id))!;
    expect(done).toMatchObject({ status: "FAILED", error: { taskId: null, name: ErrorNames.Timeout } });
    expect(done.tasks.map((t) => t.status)).toEqual(["CANCELLED", "CANCELLED"]);
    expect(await types(w, e.id)).toContain("ExecutionTimedOut");
  });
});

describe("continueOnFailure and handlers", () => {
  test("a failing task with continueOnFailure lets its dependents run with its error, and the execution completes", async () => {
    const w = await started();
    await w.register(
      definitionOf("j", { functionName: "fail", params: { errorName: "Flaky" }, continueOnFailure: true }, { functionName: "echo" }),
    );
    const e = await w.engine.submit("j", {});
    await w.drain();
    const done = (await w.store.loadExecution(e.id))!;
    expect(done.status).toBe("COMPLETED");
    expect(done.tasks.map((t) => t.status)).toEqual(["FAILED", "COMPLETED"]);
    expect(done.tasks[1]!.output).toMatchObject({ results: { t1: { error: { name: "Flaky" } } } });
  });

  test("without it, the dependents are SKIPPED and the execution FAILED", async () => {
    const w = await started();
    await w.register(definitionOf("j", { functionName: "fail" }, { functionName: "echo" }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect((await w.store.loadExecution(e.id))!.tasks.map((t) => t.status)).toEqual(["FAILED", "SKIPPED"]);
  });

  test("onFailure then onExit run after a failure, see the outcome, and a failing handler changes nothing", async () => {
    const seen: unknown[] = [];
    const w = await started({
      functions: {
        watch: (ctx) => {
          seen.push({ task: ctx.taskId, status: ctx.execution?.status, failed: ctx.execution?.failedTasks });
          if (ctx.params.boom) throw new Error("handler broke");
          return { noted: true };
        },
      },
    });
    await w.register({
      ...definitionOf("j", { functionName: "fail", params: { errorName: "Bad" } }),
      handlers: {
        onSuccess: { functionName: "watch" },
        onFailure: { functionName: "watch", params: { boom: true } },
        onExit: { functionName: "watch" },
      },
    });
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect(seen).toEqual([
      { task: "handler:onFailure", status: "FAILED", failed: ["t1"] },
      { task: "handler:onExit", status: "FAILED", failed: ["t1"] },
    ]);
    const done = (await w.store.loadExecution(e.id))!;
    expect(done).toMatchObject({ status: "FAILED", handlersPending: false });
    const finished = (await w.store.events(e.id))!
      .filter((ev) => ev.type === "HandlerFinished")
      .map((ev) => [ev.data?.handler, ev.data?.status]);
    expect(finished).toEqual([
      ["onFailure", "FAILED"],
      ["onExit", "COMPLETED"],
    ]);
  });

  test("handlers interrupted by a restart run again at the next start", async () => {
    const held = heldFunction();
    const w = await started({ functions: { held: held.fn } });
    await w.register({ ...definitionOf("j", { functionName: "noop" }), handlers: { onSuccess: { functionName: "held" } } });
    const e = await w.engine.submit("j", {});
    await w.clock.flush();
    expect(held.calls).toHaveLength(1);
    expect((await w.store.loadExecution(e.id))!).toMatchObject({ status: "COMPLETED", handlersPending: true });
    // "Crash": a new engine on the same store, the old handler never finished.
    const again = setup({ store: w.store, clock: w.clock, functions: { held: held.fn } });
    await again.engine.start();
    await again.clock.flush();
    expect(held.calls).toHaveLength(2);
    held.calls[1]!.finish({ ok: 1 });
    await again.drain();
    expect((await again.store.loadExecution(e.id))!.handlersPending).toBe(false);
  });
});

describe("data flow", () => {
  test("params templates resolve before each attempt, keeping JSON types, from input, upstream outputs, execution and attempt", async () => {
    const w = await started();
    await w.register({
      id: "flow",
      tasks: [
        { id: "fetch", functionName: "echo", params: { items: [{ id: 7 }] } },
        {
          id: "use",
          functionName: "echo",
          params: {
            n: "{{input.order.n}}",
            first: "{{tasks.fetch.output.params.items.0}}",
            label: "order {{input.order.n}} in {{execution.id}} try {{task.attempt}}",
          },
        },
      ],
    });
    const e = await w.engine.submit("flow", { order: { n: 42 } });
    await w.drain();
    const done = (await w.store.loadExecution(e.id))!;
    expect(done.status).toBe("COMPLETED");
    expect((done.tasks[1]!.output as { params: unknown }).params).toEqual({ n: 42, first: { id: 7 }, label: `order 42 in ${e.id} try 1` });
  });

  test("a template that resolves to nothing fails the attempt at once, naming the path", async () => {
    const w = await started();
    await w.register({ id: "flow", tasks: [{ id: "use", functionName: "echo", params: { n: "{{input.missing}}" }, maxRetry: 3 }] });
    const e = await w.engine.submit("flow", {});
    await w.drain();
    const done = (await w.store.loadExecution(e.id))!;
    expect(done.status).toBe("FAILED");
    expect(done.tasks[0]).toMatchObject({ status: "FAILED", attempts: 1 });
    expect(done.tasks[0]!.error!.message).toContain("{{input.missing}}");
    expect(done.tasks[0]!.error!.message).not.toContain("undefined");
  });
});
