/**
 * `Engine.stop(graceMs)`: stop admitting, let running attempts finish within the grace,
 * interrupt the rest so the next start re-runs them. The grace is a real timer: keep it small.
 */
import { describe, expect, test } from "bun:test";
import { definitionOf, heldFunction, setup } from "../../test/helpers/setup.ts";
import { byHand, runningByHand } from "../../test/helpers/store-state.ts";
import { ShutdownError, UnavailableError } from "../domain/errors.ts";

const T0 = 1_700_000_000_000;

describe("stop", () => {
  test("with nothing running resolves at once; then submit is UnavailableError", async () => {
    const w = setup();
    await w.engine.start();
    await w.register(definitionOf("j", {}));
    expect(await w.engine.stop(10_000)).toEqual({ interrupted: 0 });
    await expect(w.engine.submit("j", {})).rejects.toBeInstanceOf(UnavailableError);
    expect((await w.store.listExecutions({ limit: 10 })).executions).toEqual([]);
  });

  test("stops admitting and waits for running attempts, which are recorded", async () => {
    const held = heldFunction();
    const w = setup({ functions: { held: held.fn }, maxConcurrentJobs: 1 });
    await w.engine.start();
    await w.register(definitionOf("j", { functionName: "held" }, { functionName: "held" }));
    const first = await w.engine.submit("j", {});
    const second = await w.engine.submit("j", {});
    await w.clock.flush();

    let stopped: { interrupted: number } | undefined;
    const stopping = w.engine.stop(10_000).then((r) => (stopped = r));
    await expect(w.engine.submit("j", {})).rejects.toBeInstanceOf(UnavailableError);
    await w.clock.flush();
    expect(stopped).toBeUndefined();
    expect(held.calls[0]!.signal.aborted).toBe(false);

    held.calls[0]!.finish("done in time");
    await stopping;
    expect(stopped).toEqual({ interrupted: 0 });
    // The attempt was recorded; nothing new started, inside the execution or outside it.
    const run = await w.store.loadExecution(first.id);
    expect(run!.tasks.map((t) => [t.status, t.output])).toEqual([
      ["COMPLETED", "done in time"],
      ["PENDING", null],
    ]);
    expect(run!.status).toBe("RUNNING");
    expect((await w.store.loadExecution(second.id))!.status).toBe("QUEUED");
    expect(held.calls).toHaveLength(1);
  });

  test("interrupts after the grace: the task stays RUNNING and a new engine re-runs the same attempt", async () => {
    const held = heldFunction();
    const w = setup({ functions: { held: held.fn } });
    await w.engine.start();
    await w.register(definitionOf("j", { functionName: "held", retry: { maxAttempts: 2 } }));
    const { id } = await w.engine.submit("j", {});
    await w.clock.flush();

    expect(await w.engine.stop(20)).toEqual({ interrupted: 1 });
    expect(held.calls[0]!.signal.reason).toBeInstanceOf(ShutdownError);
    held.calls[0]!.finish("ignored its signal, finished late");
    await w.clock.flush();
    const left = await w.store.loadExecution(id);
    expect(left).toMatchObject({ status: "RUNNING" });
    expect(left!.tasks[0]).toMatchObject({ status: "RUNNING", attempts: 1, error: null, output: null });

    const again = heldFunction();
    const next = setup({ store: w.store, clock: w.clock, functions: { held: again.fn } });
    await next.engine.start();
    await next.clock.flush();
    expect(again.calls.map((c) => c.attempt)).toEqual([1]);
    again.calls[0]!.finish("second run");
    await next.drain();
    expect((await next.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "COMPLETED", attempts: 1, output: "second run" });
    expect((await next.store.events(id))!.filter((e) => e.taskId === "t1").map((e) => [e.type, e.attempt, e.data])).toEqual([
      ["TaskStarted", 1, null],
      ["TaskStarted", 1, { resumed: true }],
      ["TaskCompleted", 1, null],
    ]);
  });

  test("a pending retry stays persisted and its timer is cancelled", async () => {
    const w = setup();
    await w.engine.start();
    await w.register(
      definitionOf("j", {
        functionName: "fail",
        params: { times: 1 },
        retry: { maxAttempts: 2, intervalSeconds: 10, jitterStrategy: "NONE" },
      }),
    );
    const { id } = await w.engine.submit("j", {});
    await w.clock.flush();
    expect(w.clock.pending).toBe(1);
    expect(await w.engine.stop(20)).toEqual({ interrupted: 0 });
    expect(w.clock.pending).toBe(0);
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "RETRYING", attempts: 1, nextAttemptAt: T0 + 10_000 });

    const next = setup({ store: w.store, clock: w.clock });
    await next.engine.start();
    await next.clock.advance(9_999);
    expect((await next.store.loadExecution(id))!.tasks[0]!.status).toBe("RETRYING");
    await next.clock.advance(1);
    expect((await next.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "COMPLETED", attempts: 2 });
  });

  test("a stop right after start starts no recovered attempt once it has returned", async () => {
    const held = heldFunction();
    const w = setup({ functions: { held: held.fn } });
    await w.register(definitionOf("j", { functionName: "held" }));
    const id = await runningByHand(w, "j", "e1", T0);
    await byHand(w.store, id, T0).start("t1", 1);

    await w.engine.start();
    expect(await w.engine.stop(20)).toEqual({ interrupted: 0 });
    await w.clock.flush();
    expect(held.calls).toEqual([]);
    expect((await w.store.loadExecution(id))!.tasks[0]).toMatchObject({ status: "RUNNING", attempts: 1 });
  });
});
