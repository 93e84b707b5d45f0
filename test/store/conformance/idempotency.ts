/** Idempotent starts: `enqueueOnce` under a key scoped to the definition, and the purge of old keys. */
import { describe, expect } from "bun:test";
import type { IdempotencyKey } from "../../../src/domain/store.ts";
import { eventTypes, everything, loaded, newExecution, registered, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

const key = (over: Partial<IdempotencyKey> = {}): IdempotencyKey => ({ key: "k1", requestHash: "h1", notBefore: 0, ...over });

export function idempotencyTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, async (store) => {
    await registered(store);
    await registered(store, "other");
  });

  describe("enqueueOnce", () => {
    it("a new key creates the execution, as enqueue would", async (store) => {
      const result = await store.enqueueOnce(newExecution("e1"), key(), T0);
      expect(result).toEqual({ outcome: "created", execution: await loaded(store, "e1") });
      expect(result.outcome === "created" && result.execution.status).toBe("QUEUED");
      expect(await eventTypes(store, "e1")).toEqual(["ExecutionQueued"]);
    });

    it("with start, a created execution is stored RUNNING with those attempts", async (store) => {
      const result = await store.enqueueOnce(newExecution("e1"), key(), T0, [{ taskId: "a", attempt: 1 }]);
      expect(result).toEqual({ outcome: "created", execution: await loaded(store, "e1") });
      expect(await loaded(store, "e1")).toMatchObject({ status: "RUNNING", startedAt: T0 });
      expect(await eventTypes(store, "e1")).toEqual(["ExecutionQueued", "ExecutionStarted", "TaskStarted:a"]);
    });

    it("the same key and request return the first execution and create nothing", async (store) => {
      await store.enqueueOnce(newExecution("e1"), key(), T0, [{ taskId: "a", attempt: 1 }]);
      const before = await everything(store);
      const { tasks: _, ...first } = await loaded(store, "e1");
      expect(await store.enqueueOnce(newExecution("e2"), key(), T0 + 1)).toEqual({ outcome: "existing", execution: first });
      // A start asked again is not started again.
      expect(await store.enqueueOnce(newExecution("e3"), key(), T0 + 2, [{ taskId: "a", attempt: 1 }])).toEqual({
        outcome: "existing",
        execution: first,
      });
      expect(await everything(store)).toEqual(before);
      expect(await store.loadExecution("e2")).toBeNull();
    });

    it("the existing execution is returned as it is now, not as it was created", async (store) => {
      await store.enqueueOnce(newExecution("e1"), key(), T0);
      await store.cancel("e1", T0 + 1);
      const result = await store.enqueueOnce(newExecution("e2"), key(), T0 + 2);
      expect(result.outcome === "existing" && result.execution).toMatchObject({ id: "e1", status: "CANCELLED", endTime: T0 + 1 });
    });

    it("the same key with another request is a conflict naming the first execution", async (store) => {
      await store.enqueueOnce(newExecution("e1"), key(), T0);
      const before = await everything(store);
      expect(await store.enqueueOnce(newExecution("e2"), key({ requestHash: "h2" }), T0 + 1)).toEqual({
        outcome: "conflict",
        executionId: "e1",
      });
      expect(await everything(store)).toEqual(before);
    });

    it("keys are scoped to the definition", async (store) => {
      await store.enqueueOnce(newExecution("e1"), key(), T0);
      const result = await store.enqueueOnce(newExecution("o1", { definitionId: "other" }), key({ requestHash: "h2" }), T0 + 1);
      expect(result.outcome).toBe("created");
      expect((await loaded(store, "o1")).definitionId).toBe("other");
      // Both keys now answer for their own definition.
      expect(await store.enqueueOnce(newExecution("e2"), key(), T0 + 2)).toMatchObject({ outcome: "existing", execution: { id: "e1" } });
      expect(await store.enqueueOnce(newExecution("o2", { definitionId: "other" }), key({ requestHash: "h2" }), T0 + 2)).toMatchObject({
        outcome: "existing",
        execution: { id: "o1" },
      });
    });

    it("an expired key (created before notBefore) is replaced: a new execution, and the key now names it", async (store) => {
      await store.enqueueOnce(newExecution("e1"), key(), T0);
      // Expired for the same request as for another one.
      const renewed = await store.enqueueOnce(newExecution("e2"), key({ notBefore: T0 + 1 }), T0 + 10);
      expect(renewed).toMatchObject({ outcome: "created", execution: { id: "e2", createdAt: T0 + 10 } });
      expect(await store.enqueueOnce(newExecution("e3"), key({ notBefore: T0 }), T0 + 11)).toMatchObject({
        outcome: "existing",
        execution: { id: "e2" },
      });
      expect(await store.enqueueOnce(newExecution("e4"), key({ requestHash: "h2", notBefore: T0 + 11 }), T0 + 12)).toMatchObject({
        outcome: "created",
        execution: { id: "e4" },
      });
      // A key created exactly at notBefore still holds.
      expect(await store.enqueueOnce(newExecution("e5"), key({ requestHash: "h2", notBefore: T0 + 12 }), T0 + 13)).toMatchObject({
        outcome: "existing",
        execution: { id: "e4" },
      });
      // The first executions stay; only the key moved on.
      expect((await store.listExecutions({ limit: 10 })).executions.map((e) => e.id)).toEqual(["e4", "e2", "e1"]);
    });

    it("a refused creation stores no key", async (store) => {
      await expect(store.enqueueOnce(newExecution("e1"), key(), T0, [{ taskId: "a", attempt: 2 }])).rejects.toThrow();
      expect(await store.loadExecution("e1")).toBeNull();
      expect(await store.enqueueOnce(newExecution("e2"), key(), T0 + 1)).toMatchObject({ outcome: "created", execution: { id: "e2" } });
    });
  });

  describe("purgeIdempotencyKeys", () => {
    it("deletes the keys created before the given time and says how many; their executions stay", async (store) => {
      await store.enqueueOnce(newExecution("e1"), key({ key: "old" }), T0);
      await store.enqueueOnce(newExecution("e2"), key({ key: "older" }), T0 - 1);
      await store.enqueueOnce(newExecution("e3"), key({ key: "new" }), T0 + 10);
      expect(await store.purgeIdempotencyKeys(T0 + 10)).toBe(2);
      expect(await store.purgeIdempotencyKeys(T0 + 10)).toBe(0);
      expect((await loaded(store, "e1")).status).toBe("QUEUED");
      // A purged key starts a new execution; a kept one still answers.
      expect(await store.enqueueOnce(newExecution("e4"), key({ key: "old" }), T0 + 20)).toMatchObject({ outcome: "created" });
      expect(await store.enqueueOnce(newExecution("e5"), key({ key: "new" }), T0 + 20)).toMatchObject({
        outcome: "existing",
        execution: { id: "e3" },
      });
    });

    it("is 0 on a store without keys", async (store) => {
      expect(await store.purgeIdempotencyKeys(T0)).toBe(0);
    });
  });
}
