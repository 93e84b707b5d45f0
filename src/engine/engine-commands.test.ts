/**
 * The commands on executions already stored: cancel (QUEUED, RUNNING, during a backoff, across
 * a restart), redrive with a fresh retry budget, and rerun from a task.
 */
import { describe, expect, test } from "bun:test";
import { definitionOf, heldFunction, setup, setupStarted, type TestWorld } from "../../test/helpers/setup.ts";
import { ConflictError, ValidationError } from "../domain/errors.ts";

const types = async (w: TestWorld, id: string) => (await w.store.events(id))!.map((e) => (e.taskId ? `${e.type}:${e.taskId}` : e.type));
const taskStates = async (w: TestWorld, id: string) =>
  (await w.store.loadExecution(id))!.tasks.map((t) => [t.taskId, t.status, t.attempts]);

describe("cancel", () => {
  test("a QUEUED execution is CANCELLED at once and never runs; its slot was never taken", async () => {
    const held = heldFunction();
    const w = await setupStarted({ maxConcurrentJobs: 1, functions: { held: held.fn } });
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
    const w = await setupStarted({ maxConcurrentJobs: 1, functions: { held: held.fn } });
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
    const w = await setupStarted({ functions: { held: held.fn } });
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
    const w = await setupStarted();
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
    const w = await setupStarted();
    await w.register(definitionOf("j", { functionName: "noop" }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect(await w.engine.cancel(e.id)).toEqual({ outcome: "finished", status: "COMPLETED" });
    expect(await w.engine.cancel("nope")).toEqual({ outcome: "missing" });
  });

  test("a cancel accepted before a restart is finished by the next start without running anything", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
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
    const w = await setupStarted();
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
    const w = await setupStarted();
    await w.register(definitionOf("j", { functionName: "fail", params: { times: 3 }, maxRetry: 1 }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect(await taskStates(w, e.id)).toEqual([["t1", "FAILED", 2]]);
    await w.engine.redrive(e.id);
    await w.drain();
    expect(await taskStates(w, e.id)).toEqual([["t1", "COMPLETED", 4]]);
  });

  test("only FAILED or CANCELLED executions; others are refused", async () => {
    const w = await setupStarted();
    await w.register(definitionOf("j", { functionName: "noop" }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect(await w.engine.redrive(e.id)).toEqual({ outcome: "refused", status: "COMPLETED" });
    expect(await w.engine.redrive("nope")).toEqual({ outcome: "missing" });
  });
});

describe("rerun from a task", () => {
  test("carries upstream tasks over with their outputs and runs the task and its dependents in a new execution", async () => {
    const w = await setupStarted();
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
    const w = await setupStarted();
    await w.register(definitionOf("j", { functionName: "fail" }, { functionName: "noop" }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    await expect(w.engine.rerun(e.id, "nope")).rejects.toBeInstanceOf(ValidationError);
    await expect(w.engine.rerun(e.id, "t2")).rejects.toBeInstanceOf(ConflictError);
    const again = await w.engine.rerun(e.id, "t1");
    expect(again.rerunOf).toBe(e.id);
  });
});
