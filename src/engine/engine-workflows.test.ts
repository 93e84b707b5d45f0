/**
 * What a definition asks of a run: the execution's own timeout, continueOnFailure, the
 * onSuccess/onFailure/onExit handlers (also across a restart), and params templates.
 */
import { describe, expect, test } from "bun:test";
import { definitionOf, heldFunction, setup, setupStarted, type TestWorld } from "../../test/helpers/setup.ts";
import { ErrorNames } from "../domain/errors.ts";

const types = async (w: TestWorld, id: string) => (await w.store.events(id))!.map((e) => (e.taskId ? `${e.type}:${e.taskId}` : e.type));
const _taskStates = async (w: TestWorld, id: string) =>
  (await w.store.loadExecution(id))!.tasks.map((t) => [t.taskId, t.status, t.attempts]);

describe("execution timeout", () => {
  test("aborts running attempts and ends FAILED with States.Timeout; unfinished tasks are CANCELLED", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
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
    const w = await setupStarted();
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
    const w = await setupStarted();
    await w.register(definitionOf("j", { functionName: "fail" }, { functionName: "echo" }));
    const e = await w.engine.submit("j", {});
    await w.drain();
    expect((await w.store.loadExecution(e.id))!.tasks.map((t) => t.status)).toEqual(["FAILED", "SKIPPED"]);
  });

  test("onFailure then onExit run after a failure, see the outcome, and a failing handler changes nothing", async () => {
    const seen: unknown[] = [];
    const w = await setupStarted({
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
    const w = await setupStarted({ functions: { held: held.fn } });
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

  test("after a redrive, a restart runs the new outcome's handlers even if they ran for the old one", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
    await w.register({ ...definitionOf("j", { functionName: "fail" }), handlers: { onFailure: { functionName: "held" } } });
    const e = await w.engine.submit("j", {});
    await w.clock.flush();
    held.calls[0]!.finish({ ok: 1 });
    await w.drain();
    expect((await w.store.loadExecution(e.id))!).toMatchObject({ status: "FAILED", handlersPending: false });
    await w.engine.redrive(e.id);
    await w.clock.flush();
    expect(held.calls).toHaveLength(2);
    // "Crash" while the second outcome's onFailure runs: it must run again at the next start.
    const again = setup({ store: w.store, clock: w.clock, functions: { held: held.fn } });
    await again.engine.start();
    await again.clock.flush();
    expect(held.calls).toHaveLength(3);
    held.calls[2]!.finish({ ok: 2 });
    await again.drain();
    expect((await again.store.loadExecution(e.id))!.handlersPending).toBe(false);
  });
});

describe("data flow", () => {
  test("params templates resolve before each attempt, keeping JSON types, from input, upstream outputs, execution and attempt", async () => {
    const w = await setupStarted();
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
    const w = await setupStarted();
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
