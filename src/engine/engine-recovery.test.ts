/**
 * Recovery at start: a new Engine on a store left by a previous process (one that crashed
 * mid-run, or a state written by hand) resumes every unfinished execution.
 */
import { describe, expect, test } from "bun:test";
import { countingFunction, definitionOf, heldFunction, setup } from "../../test/helpers/setup.ts";
import { byHand, enqueueByHand, runningByHand } from "../../test/helpers/store-state.ts";
import { failTask, startAttempt } from "../../test/helpers/store-steps.ts";

const T0 = 1_700_000_000_000;
const taskRows = async (w: ReturnType<typeof setup>, id: string) =>
  (await w.store.loadExecution(id))!.tasks.map((t) => [t.taskId, t.status, t.attempts]);

describe("recovery", () => {
  test("a crashed execution resumes at its first unfinished task; COMPLETED tasks never re-run", async () => {
    // Process A runs t1, is inside t2 when it "crashes" (is abandoned with its attempt unfinished).
    const a1 = countingFunction();
    const aHeld = heldFunction();
    const a = setup({ functions: { first: a1.fn, second: aHeld.fn, third: countingFunction().fn } });
    await a.engine.start();
    await a.register(definitionOf("j", { functionName: "first" }, { functionName: "second" }, { functionName: "third" }));
    const { id } = await a.engine.submit("j", { n: 1 });
    await a.clock.flush();
    expect(a1.calls).toHaveLength(1);
    expect(aHeld.calls).toHaveLength(1);
    expect(await taskRows(a, id)).toEqual([
      ["t1", "COMPLETED", 1],
      ["t2", "RUNNING", 1],
      ["t3", "PENDING", 0],
    ]);

    // Process B: same store, fresh functions.
    const b1 = countingFunction();
    const bHeld = heldFunction();
    const b3 = countingFunction();
    const b = setup({ store: a.store, clock: a.clock, functions: { first: b1.fn, second: bHeld.fn, third: b3.fn } });
    expect(await b.engine.start()).toEqual({ resumed: 1, queued: 0 });
    await b.clock.flush();
    expect(b1.calls).toEqual([]);
    expect(bHeld.calls.map((c) => [c.taskId, c.attempt, c.results])).toEqual([
      ["t2", 1, { t1: { executionId: id, taskId: "t1", attempt: 1 } }],
    ]);
    bHeld.calls[0]!.finish("two");
    await b.drain();
    expect(b1.calls).toEqual([]);
    expect(b3.calls).toHaveLength(1);
    expect(await b.store.loadExecution(id)).toMatchObject({ status: "COMPLETED" });
    const events = (await b.store.events(id))!.map((e) => [e.type, e.taskId, e.attempt, e.data]);
    expect(events.slice(2)).toEqual([
      ["TaskStarted", "t1", 1, null],
      ["TaskCompleted", "t1", 1, null],
      ["TaskStarted", "t2", 1, null],
      ["ExecutionResumed", null, null, null],
      ["TaskStarted", "t2", 1, { resumed: true }],
      ["TaskCompleted", "t2", 1, null],
      ["TaskStarted", "t3", 1, null],
      ["TaskCompleted", "t3", 1, null],
      ["ExecutionCompleted", null, null, null],
    ]);
  });

  test("a task left RUNNING re-runs with the same attempt number", async () => {
    const counting = countingFunction();
    const w = setup({ functions: { f: counting.fn } });
    await w.register(definitionOf("j", { functionName: "f", retry: { maxAttempts: 3, intervalSeconds: 1 } }));
    const id = await runningByHand(w, "j", "e1", T0);
    const hand = byHand(w.store, id, T0);
    await hand.retrying("t1", 1, T0 + 500);
    await hand.start("t1", 2);
    await w.engine.start();
    await w.drain();
    expect(counting.calls.map((c) => c.attempt)).toEqual([2]);
    expect(await taskRows(w, id)).toEqual([["t1", "COMPLETED", 2]]);
  });

  test("re-running an interrupted attempt does not spend the retry budget", async () => {
    const w = setup();
    // Fails on attempt 1 only; two attempts allowed.
    await w.register(
      definitionOf("j", {
        functionName: "fail",
        params: { times: 1 },
        retry: { maxAttempts: 2, intervalSeconds: 1, jitterStrategy: "NONE" },
      }),
    );
    const id = await runningByHand(w, "j", "e1", T0);
    await byHand(w.store, id, T0).start("t1", 1);
    await w.engine.start();
    await w.clock.flush();
    // The re-run attempt 1 failed and a retry is still allowed.
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "RETRYING", attempts: 1, nextAttemptAt: T0 + 1000 });
    await w.drain();
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "COMPLETED", attempts: 2, output: { attempt: 2 } });
  });

  test("a RETRYING task waits until its stored nextAttemptAt", async () => {
    const counting = countingFunction();
    const w = setup({ functions: { f: counting.fn } });
    await w.register(definitionOf("j", { functionName: "f", retry: { maxAttempts: 3, intervalSeconds: 100 } }));
    const id = await runningByHand(w, "j", "e1", T0);
    await byHand(w.store, id, T0).retrying("t1", 1, T0 + 5000);
    await w.clock.advance(2000); // the restart happens 2 s later
    await w.engine.start();
    await w.clock.advance(2999);
    expect(counting.calls).toEqual([]);
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "RETRYING", nextAttemptAt: T0 + 5000 });
    await w.clock.advance(1);
    expect(counting.calls.map((c) => c.attempt)).toEqual([2]);
    const started = (await w.store.events(id))!.filter((e) => e.type === "TaskStarted");
    expect(started.map((e) => [e.attempt, e.at])).toEqual([
      [1, T0],
      [2, T0 + 5000],
    ]);
    await w.drain();
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "COMPLETED" });
  });

  test("a RETRYING task whose time has passed runs at once", async () => {
    const counting = countingFunction();
    const w = setup({ functions: { f: counting.fn } });
    await w.register(definitionOf("j", { functionName: "f", retry: { maxAttempts: 3 } }));
    const id = await runningByHand(w, "j", "e1", T0);
    await byHand(w.store, id, T0).retrying("t1", 1, T0 + 1000);
    await w.clock.advance(60_000);
    await w.engine.start();
    await w.clock.advance(0);
    expect(counting.calls.map((c) => c.attempt)).toEqual([2]);
  });

  test("RUNNING executions resume first, then QUEUED ones in their order", async () => {
    const held = heldFunction();
    const w = setup({ functions: { held: held.fn }, maxConcurrentJobs: 2 });
    await w.register(definitionOf("j", { functionName: "held" }));
    await enqueueByHand(w, "j", "e1", T0);
    await runningByHand(w, "j", "e2", T0);
    await enqueueByHand(w, "j", "e3", T0);
    await runningByHand(w, "j", "e4", T0);
    await enqueueByHand(w, "j", "e5", T0);
    expect(await w.engine.start()).toEqual({ resumed: 2, queued: 3 });
    for (let i = 0; i < 5; i++) {
      await w.clock.flush();
      held.calls[i]!.finish();
    }
    await w.drain();
    expect(held.calls.map((c) => c.executionId)).toEqual(["e2", "e4", "e1", "e3", "e5"]);
    expect(held.maxActive).toBe(2);
  });

  test("never more than the limit during recovery, also when more were RUNNING than the new limit", async () => {
    const held = heldFunction();
    const w = setup({ functions: { held: held.fn }, maxConcurrentJobs: 3 });
    await w.register(definitionOf("j", { functionName: "held" }, { functionName: "noop" }));
    const ids = Array.from({ length: 10 }, (_, i) => `e${String(i + 1).padStart(2, "0")}`);
    for (const id of ids.slice(0, 6)) await runningByHand(w, "j", id, T0);
    for (const id of ids.slice(6)) await enqueueByHand(w, "j", id, T0);
    // Two of the RUNNING ones were inside t1, one of them beyond the new limit.
    await byHand(w.store, "e02", T0).start("t1", 1);
    await byHand(w.store, "e05", T0).start("t1", 1);

    expect(await w.engine.start()).toEqual({ resumed: 3, queued: 7 });
    await w.clock.flush();
    const counts = await w.store.systemCounts(100);
    expect(counts.running).toEqual(["e01", "e02", "e03"]);
    expect(counts.queued).toEqual(["e04", "e05", "e06", "e07", "e08", "e09", "e10"]);
    for (const id of ["e04", "e05", "e06"]) expect((await w.store.events(id))!.map((e) => e.type)).toContain("ExecutionRequeued");
    expect(held.active).toBe(3);

    for (let done = 0; done < 10; done++) {
      expect((await w.store.systemCounts(100)).running.length).toBeLessThanOrEqual(3);
      expect(held.active).toBeLessThanOrEqual(3);
      held.calls[done]!.finish();
      await w.clock.flush();
    }
    await w.drain();
    expect(held.maxActive).toBe(3);
    expect(held.calls.map((c) => c.executionId)).toEqual(ids);
    // Tasks that were RUNNING re-ran as the same attempt, requeued or not.
    expect(held.calls.filter((c) => c.executionId === "e02" || c.executionId === "e05").map((c) => c.attempt)).toEqual([1, 1]);
    expect((await w.store.systemCounts(100)).completedCount).toBe(10);
  });

  test("an execution whose tasks all completed before the crash is finished without running anything", async () => {
    const counting = countingFunction();
    const w = setup({ functions: { f: counting.fn } });
    await w.register(definitionOf("j", { functionName: "f" }, { functionName: "f" }));
    const id = await runningByHand(w, "j", "e1", T0);
    const hand = byHand(w.store, id, T0);
    await hand.complete("t1", 1, "one");
    await hand.complete("t2", 1, "two");
    await w.engine.start();
    await w.drain();
    expect(counting.calls).toEqual([]);
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "COMPLETED", output: { t2: "two" } });
  });

  test("an execution with a failed branch resumes its other branch, then fails", async () => {
    const counting = countingFunction();
    const w = setup({ functions: { f: counting.fn } });
    await w.register(
      definitionOf(
        "j",
        { id: "bad", functionName: "f" },
        { id: "after", functionName: "f" },
        { id: "side", functionName: "f", dependsOn: [] },
      ),
    );
    const id = await runningByHand(w, "j", "e1", T0);
    await startAttempt(w.store, id, "bad", 1, T0, false);
    await failTask(w.store, id, "bad", 1, { name: "Boom", message: "m" }, ["after"], T0);
    await startAttempt(w.store, id, "side", 1, T0, false);
    await w.engine.start();
    await w.drain();
    expect(counting.calls.map((c) => [c.taskId, c.attempt])).toEqual([["side", 1]]);
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "FAILED", error: { taskId: "bad", name: "Boom", message: "m" } });
  });

  test("start() runs once", async () => {
    const w = setup();
    await w.engine.start();
    await expect(w.engine.start()).rejects.toThrow("engine already started");
  });
});
