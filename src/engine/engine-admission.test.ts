/**
 * Admission and starts: first in, first out under the limit, the direct path of a start that
 * finds a free slot, `idle()`, and the start options (idempotency keys, delayed starts).
 */
import { describe, expect, test } from "bun:test";
import { definitionOf, heldFunction, setup, setupStarted } from "../../test/helpers/setup.ts";
import { ConflictError } from "../domain/errors.ts";

const T0 = 1_700_000_000_000;

describe("admission", () => {
  test("first in, first out with limit 1", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn }, maxConcurrentJobs: 1 });
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
    const w = await setupStarted({ functions: { held: held.fn }, maxConcurrentJobs: 2 });
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
    const w = await setupStarted({ functions: { held: held.fn }, maxConcurrentJobs: 10 });
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
    const w = await setupStarted({ functions: { held: held.fn }, maxConcurrentJobs: 1 });
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

describe("idempotent and delayed starts", () => {
  test("the same key and body return the first execution; a different body is a conflict; keys are per definition", async () => {
    const w = await setupStarted();
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
    const w = await setupStarted();
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
