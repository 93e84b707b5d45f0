/**
 * Running one execution end to end on a fake clock: tasks in order, outputs passed along,
 * branches at once, the version it started with; and the write-ahead rule under group commit
 * (nothing runs, and nothing ends, before the write it depends on has committed).
 */
import { describe, expect, test } from "bun:test";
import { definitionOf, heldFunction, setupStarted } from "../../test/helpers/setup.ts";
import { NotFoundError } from "../domain/errors.ts";
import type { TaskFunction } from "../domain/function.ts";

const T0 = 1_700_000_000_000;

describe("running an execution", () => {
  test("a sequence runs in order, passes outputs along and completes", async () => {
    const w = await setupStarted();
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
    const w = await setupStarted({ functions: { held: held.fn } });
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
    const w = await setupStarted({ functions: { held: held.fn } });
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
    const w = await setupStarted({
      functions: { look: (ctx) => void seen.push({ e: ctx.executionId, t: ctx.taskId, a: ctx.attempt, i: ctx.input, p: ctx.params }) },
    });
    await w.register(definitionOf("j", { functionName: "look", params: { k: "v" } }));
    await w.engine.submit("j", { x: 1 });
    await w.drain();
    expect(seen).toEqual([{ e: "exec-0001", t: "t1", a: 1, i: { x: 1 }, p: { k: "v" } }]);
  });

  test("an unknown definition is NotFoundError and nothing is stored", async () => {
    const w = await setupStarted();
    await expect(w.engine.submit("nope", {})).rejects.toBeInstanceOf(NotFoundError);
    expect((await w.store.listExecutions({ limit: 10 })).executions).toEqual([]);
  });

  test("an execution runs the version it started with", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
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

describe("write-ahead ordering under group commit", () => {
  test("no function runs, and no execution is terminal, before the write it depends on committed", async () => {
    const calls: string[] = [];
    const trace =
      (name: string): TaskFunction =>
      () =>
        void calls.push(name);
    const w = await setupStarted({ functions: { ta: trace("a"), tb: trace("b") } });
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
    const w = await setupStarted({ maxConcurrentJobs: 3 });
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
