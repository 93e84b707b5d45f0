/**
 * Bulk operations: created QUEUED with a starting cursor that, for a filter, lets
 * `listExecutions` see only the executions stored at creation; progress saved and read back;
 * the unfinished ones listed oldest first for a restart to resume; an interrupted one stays
 * interrupted whatever a batch in flight saves.
 */
import { describe, expect } from "bun:test";
import type { Store } from "../../../src/domain/store.ts";
import { newExecution, registered, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

const progress = { processed: 0, changed: 0, skipped: 0, failed: 0, lastError: null };

/** Every execution `listExecutions` gives from `cursor` on, following its pages. */
async function idsFrom(store: Store, cursor: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | null = cursor;
  while (next !== null) {
    const page = await store.listExecutions({ cursor: next, limit: 2 });
    ids.push(...page.executions.map((e) => e.id));
    next = page.nextCursor;
  }
  return ids;
}

export function operationTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, registered);

  describe("operations", () => {
    it("a new operation is QUEUED with nothing counted, and reads back as created", async (store) => {
      const created = await store.operations.createOperation(
        { id: "op-1", kind: "redrive", scope: { filter: { status: "FAILED", definitionId: "etl" } }, total: 7, actor: "alice" },
        T0,
      );
      expect(created).toMatchObject({
        id: "op-1",
        kind: "redrive",
        scope: { filter: { status: "FAILED", definitionId: "etl" } },
        status: "QUEUED",
        total: 7,
        processed: 0,
        changed: 0,
        skipped: 0,
        failed: 0,
        actor: "alice",
        createdAt: T0,
        startedAt: null,
        updatedAt: T0,
        endedAt: null,
        lastError: null,
      });
      expect(await store.operations.getOperation("op-1")).toEqual(created);
      expect(await store.operations.getOperation("op-2")).toBeNull();
    });

    it("a filter's starting cursor sees the executions stored at creation, none created after", async (store) => {
      for (const id of ["x1", "x2", "x3"]) await store.enqueue(newExecution(id), T0);
      const op = await store.operations.createOperation(
        { id: "op-1", kind: "cancel", scope: { filter: {} }, total: null, actor: null },
        T0,
      );
      for (const id of ["x4", "x5"]) await store.enqueue(newExecution(id), T0 + 1);
      expect(await idsFrom(store, op.cursor)).toEqual(["x3", "x2", "x1"]);
    });

    it("a selection keeps its ids in order and starts at the first", async (store) => {
      const op = await store.operations.createOperation(
        { id: "op-1", kind: "cancel", scope: { ids: ["b", "a", "c"] }, total: 3, actor: null },
        T0,
      );
      expect(op.scope).toEqual({ ids: ["b", "a", "c"] });
      expect(op.cursor).toBe("0");
    });

    it("progress is saved; RUNNING sets the start once, COMPLETED the end", async (store) => {
      await store.operations.createOperation({ id: "op-1", kind: "redrive", scope: { ids: ["a", "b"] }, total: 2, actor: null }, T0);
      expect(await store.operations.saveOperationProgress("op-1", { ...progress, status: "RUNNING", cursor: "0" }, T0 + 1)).toBe(true);
      await store.operations.saveOperationProgress(
        "op-1",
        { ...progress, status: "RUNNING", processed: 1, changed: 1, cursor: "1" },
        T0 + 2,
      );
      expect(await store.operations.getOperation("op-1")).toMatchObject({
        status: "RUNNING",
        startedAt: T0 + 1,
        updatedAt: T0 + 2,
        endedAt: null,
      });
      await store.operations.saveOperationProgress(
        "op-1",
        { status: "COMPLETED", processed: 2, changed: 1, skipped: 1, failed: 0, cursor: "2", lastError: null },
        T0 + 3,
      );
      expect(await store.operations.getOperation("op-1")).toMatchObject({
        status: "COMPLETED",
        processed: 2,
        changed: 1,
        skipped: 1,
        cursor: "2",
        startedAt: T0 + 1,
        endedAt: T0 + 3,
      });
      expect(await store.operations.saveOperationProgress("op-9", { ...progress, status: "RUNNING", cursor: "0" }, T0)).toBe(false);
    });

    it("a FAILED operation keeps its last error", async (store) => {
      await store.operations.createOperation({ id: "op-1", kind: "redrive", scope: { ids: ["a"] }, total: 1, actor: null }, T0);
      await store.operations.saveOperationProgress(
        "op-1",
        { ...progress, status: "FAILED", processed: 1, failed: 1, cursor: "1", lastError: "the disk is full" },
        T0 + 1,
      );
      expect(await store.operations.getOperation("op-1")).toMatchObject({
        status: "FAILED",
        failed: 1,
        lastError: "the disk is full",
        endedAt: T0 + 1,
      });
    });

    it("an interrupted operation ends now and stays so: a batch in flight saves its counts, not its status", async (store) => {
      await store.operations.createOperation({ id: "op-1", kind: "redrive", scope: { ids: ["a", "b"] }, total: 2, actor: null }, T0);
      await store.operations.saveOperationProgress("op-1", { ...progress, status: "RUNNING", cursor: "0" }, T0 + 1);
      expect(await store.operations.interruptOperation("op-1", T0 + 2)).toMatchObject({
        status: "INTERRUPTED",
        startedAt: T0 + 1,
        endedAt: T0 + 2,
      });
      await store.operations.saveOperationProgress(
        "op-1",
        { ...progress, status: "RUNNING", processed: 1, changed: 1, cursor: "1" },
        T0 + 3,
      );
      expect(await store.operations.getOperation("op-1")).toMatchObject({
        status: "INTERRUPTED",
        processed: 1,
        changed: 1,
        endedAt: T0 + 2,
      });
      expect(await store.operations.unfinishedOperations()).toEqual([]);
      expect(await store.operations.interruptOperation("op-9", T0)).toBeNull();
    });

    it("interrupting an operation that has ended leaves it as it is", async (store) => {
      await store.operations.createOperation({ id: "op-1", kind: "cancel", scope: { ids: [] }, total: 0, actor: null }, T0);
      await store.operations.saveOperationProgress("op-1", { ...progress, status: "COMPLETED", cursor: "0" }, T0 + 1);
      expect(await store.operations.interruptOperation("op-1", T0 + 2)).toMatchObject({ status: "COMPLETED", endedAt: T0 + 1 });
    });

    it("lists the newest first, and the unfinished ones oldest first", async (store) => {
      for (const id of ["op-1", "op-2", "op-3"])
        await store.operations.createOperation({ id, kind: "redrive", scope: { ids: [] }, total: 0, actor: null }, T0);
      await store.operations.saveOperationProgress("op-2", { ...progress, status: "COMPLETED", cursor: "0" }, T0 + 1);
      await store.operations.saveOperationProgress("op-3", { ...progress, status: "RUNNING", cursor: "0" }, T0 + 1);
      expect((await store.operations.listOperations(2)).map((o) => o.id)).toEqual(["op-3", "op-2"]);
      expect((await store.operations.unfinishedOperations()).map((o) => [o.id, o.status])).toEqual([
        ["op-1", "QUEUED"],
        ["op-3", "RUNNING"],
      ]);
    });
  });
}
