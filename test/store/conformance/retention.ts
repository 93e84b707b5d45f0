/**
 * Retention: `deleteExpired` removes terminal executions that ended before the cutoff (or the
 * oldest beyond the cap), oldest first (by creation), with everything that belongs to them, at most `limit` per
 * call, and never one that is unfinished, has handlers left, or is pointed at by a stored rerun.
 */
import { describe, expect } from "bun:test";
import type { ExpiryRule, Store } from "../../../src/domain/store.ts";
import { completeTask, finishExecution } from "../../helpers/store-steps.ts";
import { newExecution, registered, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

const rule = (over: Partial<ExpiryRule> = {}): ExpiryRule => ({ endedBefore: null, keepAtMost: 0, limit: 500, ...over });

/**
 * `id` started under an idempotency key, its task a run under a lease that ends with its output,
 * then the execution COMPLETED at `endAt`: a row in every table retention must clear.
 */
async function completedAt(store: Store, id: string, endAt: number): Promise<void> {
  await store.enqueueOnce(newExecution(id), { key: `key-${id}`, requestHash: "h1", notBefore: 0 }, T0, [{ taskId: "a", attempt: 1 }]);
  await store.grantLease({ leaseId: `lease-${id}`, executionId: id, taskId: "a", attempt: 1, workerId: "w1", expiresAt: T0 + 30_000 }, T0);
  await store.record(id, [{ kind: "complete", taskId: "a", attempt: 1, output: { a: id } }], T0 + 1, {
    leaseId: `lease-${id}`,
    end: "completed",
    requestHash: "r1",
    taskStatus: "COMPLETED",
  });
  await store.record(
    id,
    [
      { kind: "start", taskId: "b", attempt: 1, resumed: false },
      { kind: "complete", taskId: "b", attempt: 1, output: null },
      { kind: "start", taskId: "c", attempt: 1, resumed: false },
      { kind: "complete", taskId: "c", attempt: 1, output: null },
    ],
    endAt,
  );
  await finishExecution(store, id, "COMPLETED", { a: id }, null, endAt);
}

/** Which of `ids` are still stored. */
async function stored(store: Store, ids: string[]): Promise<string[]> {
  const found = await Promise.all(ids.map((id) => store.loadExecution(id)));
  return ids.filter((_, i) => found[i] !== null);
}

export function retentionTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, (store) => registered(store));

  describe("retention: deleteExpired", () => {
    it("deletes terminal executions ended before the cutoff with their events, outputs, leases and keys", async (store) => {
      await completedAt(store, "old", T0 + 10);
      await completedAt(store, "new", T0 + 20);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 20 }))).toBe(1);
      expect(await stored(store, ["old", "new"])).toEqual(["new"]);
      expect(await store.events("old")).toBeNull();
      expect(await store.getLease("lease-old")).toBeNull();
      expect(await store.getLease("lease-new")).not.toBeNull();
      expect(await store.rerunsOf("old")).toEqual([]);
      // The key is gone with its execution: the same key with another request starts a new one, no conflict.
      const again = await store.enqueueOnce(newExecution("old2"), { key: "key-old", requestHash: "h2", notBefore: 0 }, T0 + 30);
      expect(again.outcome).toBe("created");
      const conflict = await store.enqueueOnce(newExecution("new2"), { key: "key-new", requestHash: "h2", notBefore: 0 }, T0 + 30);
      expect(conflict).toEqual({ outcome: "conflict", executionId: "new" });
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 20 }))).toBe(0);
    });

    it("never deletes a QUEUED or RUNNING execution, whatever the cutoff or the cap", async (store) => {
      await store.enqueue(newExecution("queued"), T0);
      await store.enqueueStarted(newExecution("running"), T0, [{ taskId: "a", attempt: 1 }]);
      await store.enqueue(newExecution("cancelled"), T0);
      await store.cancel("cancelled", T0 + 1);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 1_000_000, keepAtMost: 1 }))).toBe(1);
      expect(await stored(store, ["queued", "running", "cancelled"])).toEqual(["queued", "running"]);
      const counts = await store.systemCounts(10);
      expect({ running: counts.running, queued: counts.queued, queuedCount: counts.queuedCount }).toEqual({
        running: ["running"],
        queued: ["queued"],
        queuedCount: 1,
      });
    });

    it("a redriven execution is unfinished again and stays", async (store) => {
      await store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "a", attempt: 1 }]);
      await store.record(
        "e1",
        [{ kind: "fail", taskId: "a", attempt: 1, error: { name: "Boom", message: "no" }, skip: ["b", "c"] }],
        T0 + 1,
      );
      await store.record("e1", [{ kind: "finish", status: "FAILED", output: null, error: null }], T0 + 1);
      await store.redrive("e1", T0 + 2);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 100 }))).toBe(0);
      expect(await stored(store, ["e1"])).toEqual(["e1"]);
    });

    it("deletes at most `limit` per call, oldest first (by creation, not by end), and the counts follow", async (store) => {
      for (let i = 5; i >= 1; i--) await completedAt(store, `e${i}`, T0 + 10 * i); // e5 created first, e1 ended first
      const all = ["e1", "e2", "e3", "e4", "e5"];
      expect((await store.systemCounts(0)).completedCount).toBe(5);
      expect(await store.countExpired(rule({ endedBefore: T0 + 1000 }), 100)).toBe(5);
      expect(await store.countExpired(rule({ endedBefore: T0 + 1000 }), 3)).toBe(3);
      expect(await store.countExpired(rule({ keepAtMost: 1 }), 3)).toBe(3);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 1000, limit: 2 }))).toBe(2);
      expect(await stored(store, all)).toEqual(["e1", "e2", "e3"]);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 1000, limit: 2 }))).toBe(2);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 1000, limit: 2 }))).toBe(1);
      expect(await stored(store, all)).toEqual([]);
      expect((await store.systemCounts(0)).completedCount).toBe(0);
      expect(await store.countExpired(rule({ endedBefore: T0 + 1000 }), 100)).toBe(0);
    });

    it("keeps an execution whose handlers have not all finished, until the last one has", async (store) => {
      await store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "a", attempt: 1 }]);
      await store.record("e1", [{ kind: "finish", status: "FAILED", output: null, error: null, handlersPending: true }], T0 + 1);
      await store.handlerStarted("e1", "onFailure", T0 + 2);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 100, keepAtMost: 1 }))).toBe(0);
      await store.handlerFinished("e1", "onFailure", { status: "COMPLETED", output: null }, true, T0 + 3);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 100 }))).toBe(1);
    });

    it("keeps an original while a stored rerun points at it; it goes once the rerun is gone", async (store) => {
      await completedAt(store, "orig", T0 + 10);
      const rerun = newExecution("rerun", {
        rerunOf: "orig",
        tasks: [
          { taskId: "a", name: "A", carried: { output: { a: "orig" } } },
          { taskId: "b", name: "B" },
          { taskId: "c", name: "C" },
        ],
      });
      await store.enqueueStarted(rerun, T0 + 20, [{ taskId: "b", attempt: 1 }]);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 1000 }))).toBe(0);
      await completeTask(store, "rerun", "b", 1, null, T0 + 30);
      await store.record("rerun", [{ kind: "start", taskId: "c", attempt: 1, resumed: false }], T0 + 30);
      await completeTask(store, "rerun", "c", 1, null, T0 + 30);
      await finishExecution(store, "rerun", "COMPLETED", null, null, T0 + 30);
      // The rerun goes first (nothing points at it); its original only after, in a later call.
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 1000 }))).toBe(1);
      expect(await stored(store, ["orig", "rerun"])).toEqual(["orig"]);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 1000 }))).toBe(1);
      expect(await stored(store, ["orig", "rerun"])).toEqual([]);
    });

    it("with a cap, the oldest terminal executions (by creation) go until no more than the cap are stored", async (store) => {
      for (let i = 1; i <= 4; i++) await completedAt(store, `e${i}`, T0 + 100 - i); // e1 created first, e4 ended first
      await store.enqueue(newExecution("queued"), T0);
      // 5 stored, at most 2 kept: three go, the queued one counts but stays.
      expect(await store.countExpired(rule({ keepAtMost: 2 }), 100)).toBe(3);
      expect(await store.deleteExpired(rule({ keepAtMost: 2, limit: 2 }))).toBe(2);
      expect(await stored(store, ["e1", "e2", "e3", "e4", "queued"])).toEqual(["e3", "e4", "queued"]);
      expect(await store.deleteExpired(rule({ keepAtMost: 2 }))).toBe(1);
      expect(await stored(store, ["e1", "e2", "e3", "e4", "queued"])).toEqual(["e4", "queued"]);
      expect(await store.deleteExpired(rule({ keepAtMost: 2 }))).toBe(0);
    });

    it("the cutoff and the cap together: everything before the cutoff, then the cap's excess", async (store) => {
      for (let i = 1; i <= 5; i++) await completedAt(store, `e${i}`, T0 + 10 * i);
      expect(await store.deleteExpired(rule({ endedBefore: T0 + 25, keepAtMost: 2 }))).toBe(3);
      expect(await stored(store, ["e1", "e2", "e3", "e4", "e5"])).toEqual(["e4", "e5"]);
    });

    it("no cutoff and no cap deletes nothing; releaseFreePages answers how many pages are still free", async (store) => {
      await completedAt(store, "e1", T0 + 10);
      expect(await store.deleteExpired(rule())).toBe(0);
      expect(await store.countExpired(rule(), 100)).toBe(0);
      expect(await store.releaseFreePages(100)).toBeGreaterThanOrEqual(0);
    });
  });
}
