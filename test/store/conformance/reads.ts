/** Reads: executions listed newest first and paged, counts kept right by every write, and the history in order. */
import { describe, expect } from "bun:test";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../../../src/domain/states.ts";
import type { Store } from "../../../src/domain/store.ts";
import { completeTask, finishExecution, startAttempt } from "../../helpers/store-steps.ts";
import { allExecutions, enqueued, err, loaded, newExecution, registered, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

const ids = (page: { executions: { id: string }[] }) => page.executions.map((e) => e.id);

/** The counts as they follow from the executions listed: what `systemCounts` must say. */
async function countedFromList(store: Store, queuedLimit: number) {
  const all = await allExecutions(store);
  const of = (status: string) => all.filter((e) => e.status === status).map((e) => e.id);
  return {
    running: of("RUNNING"),
    queued: of("QUEUED").slice(0, queuedLimit),
    queuedCount: of("QUEUED").length,
    completedCount: of("COMPLETED").length,
    byStatus: Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, of(s).length])) as Record<ExecutionStatus, number>,
  };
}

export function readTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, async (store) => {
    await registered(store, "job");
    await registered(store, "other");
  });

  describe("listExecutions", () => {
    it("newest first, filtered by status and definition, paged by cursor to the end", async (store) => {
      await enqueued(store, 3, "j", "job"); // j1 j2 j3
      await enqueued(store, 2, "o", "other"); // o1 o2
      await store.admit("j1", T0);
      await store.admit("o1", T0);

      expect(ids(await store.listExecutions({ limit: 10 }))).toEqual(["o2", "o1", "j3", "j2", "j1"]);
      expect(ids(await store.listExecutions({ limit: 10, status: "RUNNING" }))).toEqual(["o1", "j1"]);
      expect(ids(await store.listExecutions({ limit: 10, definitionId: "job" }))).toEqual(["j3", "j2", "j1"]);
      expect(ids(await store.listExecutions({ limit: 10, definitionId: "job", status: "QUEUED" }))).toEqual(["j3", "j2"]);
      expect(ids(await store.listExecutions({ limit: 10, status: "COMPLETED" }))).toEqual([]);
      expect(await store.listExecutions({ limit: 10, definitionId: "nope" })).toEqual({ executions: [], nextCursor: null });

      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listExecutions({ limit: 2, ...(cursor ? { cursor } : {}) });
        seen.push(...ids(page));
        expect(page.executions.length).toBeLessThanOrEqual(2);
        cursor = page.nextCursor ?? undefined;
        pages++;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(["o2", "o1", "j3", "j2", "j1"]);

      const first = await store.listExecutions({ limit: 1, definitionId: "job" });
      const second = await store.listExecutions({ limit: 5, definitionId: "job", cursor: first.nextCursor! });
      expect([ids(first), ids(second), second.nextCursor]).toEqual([["j3"], ["j2", "j1"], null]);

      // A cursor with both filters pages the same way.
      const both = await store.listExecutions({ limit: 1, definitionId: "job", status: "QUEUED" });
      expect(ids(both)).toEqual(["j3"]);
      expect(ids(await store.listExecutions({ limit: 5, definitionId: "job", status: "QUEUED", cursor: both.nextCursor! }))).toEqual([
        "j2",
      ]);

      // Exactly `limit` rows left: no further page.
      expect((await store.listExecutions({ limit: 5 })).nextCursor).toBeNull();
    });

    it("a listed execution is the record loadExecution gives, without its tasks", async (store) => {
      await store.enqueue(newExecution("e1", { runAt: T0 + 9 }), T0);
      await store.enqueue(newExecution("e2"), T0);
      await store.admit("e2", T0 + 1, [{ taskId: "a", attempt: 1 }]);
      await store.record(
        "e2",
        [{ kind: "finish", status: "FAILED", output: null, error: { taskId: "a", ...err }, cancelTasks: ["a"] }],
        T0 + 2,
      );
      for (const e of (await store.listExecutions({ limit: 10 })).executions) {
        const { tasks: _, ...record } = await loaded(store, e.id);
        expect(e).toEqual(record);
      }
    });

    it("by created time: from is inclusive, to exclusive, with the other filters and the cursor", async (store) => {
      await enqueued(store, 5); // e1..e5 created at T0 + 1..5
      const range = { createdFrom: T0 + 2, createdTo: T0 + 5 };
      expect(ids(await store.listExecutions({ limit: 10, createdFrom: T0 + 4 }))).toEqual(["e5", "e4"]);
      expect(ids(await store.listExecutions({ limit: 10, createdTo: T0 + 3 }))).toEqual(["e2", "e1"]);
      expect(ids(await store.listExecutions({ limit: 10, definitionId: "job", ...range }))).toEqual(["e4", "e3", "e2"]);
      expect(ids(await store.listExecutions({ limit: 10, createdFrom: T0 + 9 }))).toEqual([]);
      expect(ids(await store.listExecutions({ limit: 10, createdTo: T0 }))).toEqual([]);
      await store.admit("e3", T0);
      expect(ids(await store.listExecutions({ limit: 10, status: "QUEUED", ...range }))).toEqual(["e4", "e2"]);
      const first = await store.listExecutions({ limit: 2, definitionId: "job", ...range });
      const rest = await store.listExecutions({ limit: 2, definitionId: "job", ...range, cursor: first.nextCursor! });
      expect([ids(first), ids(rest), rest.nextCursor]).toEqual([["e4", "e3"], ["e2"], null]);
    });

    it("by error name: FAILED executions whose error has that name, with the other filters and the cursor", async (store) => {
      await enqueued(store, 4); // e1..e4 at T0 + 1..4
      for (const i of [1, 2]) await store.enqueue(newExecution(`o${i}`, { definitionId: "other" }), T0 + 4 + i); // o1, o2 at T0 + 5, 6
      const fail = async (id: string, name: string | null) => {
        await store.admit(id, T0 + 10);
        await finishExecution(store, id, "FAILED", null, name === null ? null : { name, message: "m", taskId: "a" }, T0 + 10);
      };
      await fail("e1", "Boom");
      await fail("e2", "Timeout");
      await fail("e3", "Boom");
      await fail("o1", "Boom");
      await fail("o2", null);
      await store.admit("e4", T0 + 10);
      await finishExecution(store, "e4", "COMPLETED", null, null, T0 + 11);
      expect(ids(await store.listExecutions({ limit: 10, errorName: "Boom" }))).toEqual(["o1", "e3", "e1"]);
      expect(ids(await store.listExecutions({ limit: 10, errorName: "Boom", definitionId: "job" }))).toEqual(["e3", "e1"]);
      expect(ids(await store.listExecutions({ limit: 10, errorName: "Boom", status: "FAILED", createdTo: T0 + 3 }))).toEqual(["e1"]);
      expect(ids(await store.listExecutions({ limit: 10, errorName: "Boom", status: "COMPLETED" }))).toEqual([]);
      expect(ids(await store.listExecutions({ limit: 10, errorName: "boom" }))).toEqual([]);
      const first = await store.listExecutions({ limit: 2, errorName: "Boom" });
      const rest = await store.listExecutions({ limit: 2, errorName: "Boom", cursor: first.nextCursor! });
      expect([ids(first), ids(rest), rest.nextCursor]).toEqual([["o1", "e3"], ["e1"], null]);
      // A redriven execution is not FAILED any more.
      await store.redrive("e3", T0 + 12);
      expect(ids(await store.listExecutions({ limit: 10, errorName: "Boom" }))).toEqual(["o1", "e1"]);
    });

    it("a page started before new executions arrive goes on where it was", async (store) => {
      await enqueued(store, 3);
      const first = await store.listExecutions({ limit: 2 });
      await enqueued(store, 2, "n");
      const rest = await store.listExecutions({ limit: 10, cursor: first.nextCursor! });
      expect([ids(first), ids(rest)]).toEqual([["e3", "e2"], ["e1"]]);
    });
  });

  describe("systemCounts", () => {
    it("every RUNNING id, the first queued ids, exact counts", async (store) => {
      await enqueued(store, 6);
      await store.admit("e1", T0);
      await store.admit("e2", T0);
      await finishExecution(store, "e1", "COMPLETED", null, null, T0);
      expect(await store.systemCounts(2)).toEqual({
        running: ["e2"],
        queued: ["e3", "e4"],
        queuedCount: 4,
        completedCount: 1,
        byStatus: { QUEUED: 4, RUNNING: 1, COMPLETED: 1, FAILED: 0, CANCELLED: 0 },
      });
      expect((await store.systemCounts(100)).queued).toEqual(["e3", "e4", "e5", "e6"]);
      expect((await store.systemCounts(0)).queued).toEqual([]);
    });

    it("stay right across every kind of write, refused ones included", async (store) => {
      const check = async () => expect(await store.systemCounts(2)).toEqual(await countedFromList(store, 2));
      const writes: (() => Promise<unknown>)[] = [
        () => enqueued(store, 5),
        () => store.enqueueStarted(newExecution("s1"), T0, [{ taskId: "a", attempt: 1 }]),
        () => store.enqueueOnce(newExecution("k1"), { key: "k", requestHash: "h", notBefore: 0 }, T0),
        () => store.enqueueOnce(newExecution("k2"), { key: "k", requestHash: "h", notBefore: 0 }, T0),
        () => store.enqueueOnce(newExecution("k3"), { key: "k2", requestHash: "h", notBefore: 0 }, T0, [{ taskId: "a", attempt: 1 }]),
        () => store.admit("e1", T0, [{ taskId: "a", attempt: 1 }]),
        () => store.admit("e2", T0),
        () => store.admit("e3", T0),
        () => completeTask(store, "e1", "a", 1, 1, T0),
        () => finishExecution(store, "e1", "COMPLETED", null, null, T0),
        () => store.record("e2", [{ kind: "finish", status: "FAILED", output: null, error: null }], T0),
        () => store.cancel("e4", T0),
        () => store.cancel("e3", T0),
        () => store.record("e3", [{ kind: "finish", status: "CANCELLED", output: null, error: null, cancelTasks: ["a", "b", "c"] }], T0),
        () => store.redrive("e2", T0),
        () => store.redrive("e4", T0),
        () => store.enqueue(newExecution("r1", { rerunOf: "e1", tasks: [{ taskId: "a", name: "A", carried: { output: 1 } }] }), T0),
        () => store.resume("s1", T0),
        () => store.recover(1, T0),
        () => store.admit("e2", T0),
        () => startAttempt(store, "e2", "a", 1, T0),
        () => store.record("e2", [{ kind: "finish", status: "FAILED", output: null, error: null, timedOut: true, cancelTasks: ["a"] }], T0),
        // Refused: each must leave the counts as they were.
        () => finishExecution(store, "e5", "COMPLETED", null, null, T0),
        () => finishExecution(store, "e1", "FAILED", null, null, T0),
        () => store.admit("e1", T0),
        () => store.enqueue(newExecution("e5"), T0),
        () => store.enqueueStarted(newExecution("x1"), T0, [{ taskId: "a", attempt: 2 }]),
        () => store.redrive("e5", T0),
        () => store.resume("e5", T0),
      ];
      await check();
      for (const write of writes) {
        await write().catch(() => {});
        await check();
      }
      expect(await store.systemCounts(2)).toMatchObject({ completedCount: 1 });
    });
  });

  describe("failuresSince", () => {
    it("FAILED executions created since then, grouped by definition and error name, largest first, the scan bounded", async (store) => {
      await enqueued(store, 5); // e1..e5 at T0 + 1..5
      for (const i of [1, 2, 3]) await store.enqueue(newExecution(`o${i}`, { definitionId: "other" }), T0 + 5 + i); // o1..o3 at T0 + 6..8
      const fail = async (id: string, name: string | null, at: number) => {
        await store.admit(id, at);
        await finishExecution(store, id, "FAILED", null, name === null ? null : { name, message: "m", taskId: "a" }, at);
      };
      await fail("e1", "Boom", T0 + 10); // created before the window
      await fail("e2", "Boom", T0 + 11);
      await fail("e3", "Boom", T0 + 12);
      await fail("e4", "Timeout", T0 + 13);
      await fail("o3", null, T0 + 14);
      await store.admit("e5", T0);
      await finishExecution(store, "e5", "COMPLETED", null, null, T0 + 15);
      const boom = { definitionId: "job", errorName: "Boom", count: 2, lastAt: T0 + 12 };
      const timeout = { definitionId: "job", errorName: "Timeout", count: 1, lastAt: T0 + 13 };
      const other = { definitionId: "other", errorName: null, count: 1, lastAt: T0 + 14 };
      expect(await store.failuresSince(T0 + 2, 10, 100)).toEqual({ groups: [boom, timeout, other], counted: 4, capped: false });
      // Fewer groups returned, all of them counted.
      expect(await store.failuresSince(T0 + 2, 1, 100)).toEqual({ groups: [boom], counted: 4, capped: false });
      // A bounded scan counts the newest failures by creation: o3 and e4, not e2 and e3.
      expect(await store.failuresSince(T0 + 2, 10, 2)).toEqual({ groups: [timeout, other], counted: 2, capped: true });
      expect(await store.failuresSince(T0 + 100, 10, 100)).toEqual({ groups: [], counted: 0, capped: false });
    });
  });

  describe("activity", () => {
    it("executions created in each stretch and how many of them failed, a stretch's failures counted up to the scan", async (store) => {
      await enqueued(store, 5); // e1..e5 at T0 + 1..5
      for (const i of [1, 2, 3]) await store.enqueue(newExecution(`o${i}`, { definitionId: "other" }), T0 + 5 + i); // o1..o3 at T0 + 6..8
      for (const id of ["e2", "e3", "o2"]) {
        await store.admit(id, T0 + 10);
        await finishExecution(store, id, "FAILED", null, { name: "Boom", message: "m", taskId: "a" }, T0 + 11);
      }
      const b = (from: number, created: number, failed: number, capped = false) => ({ from, created, failed, capped });
      // Stretches of 3 ms from T0: [T0, T0+3) holds e1 e2, [T0+3, T0+6) e3 e4 e5, [T0+6, T0+9) o1 o2 o3, then nothing.
      expect(await store.activity(T0, 3, 4, 100)).toEqual([b(T0, 2, 1), b(T0 + 3, 3, 1), b(T0 + 6, 3, 1), b(T0 + 9, 0, 0)]);
      expect(await store.activity(T0, 9, 1, 2)).toEqual([b(T0, 8, 2, true)]);
      expect(await store.activity(T0 - 10, 5, 2, 100)).toEqual([b(T0 - 10, 0, 0), b(T0 - 5, 0, 0)]);
    });
  });

  describe("events", () => {
    it("come in order with strictly increasing seq, numbered across the whole store; unknown execution is null", async (store) => {
      await store.enqueue(newExecution("e1"), T0);
      await store.enqueue(newExecution("e2"), T0);
      await store.admit("e1", T0 + 1);
      await store.admit("e2", T0 + 1);
      await startAttempt(store, "e1", "a", 1, T0 + 2, false);
      const events = (await store.events("e1"))!;
      expect(events.map((e) => [e.type, e.at, e.executionId])).toEqual([
        ["ExecutionQueued", T0, "e1"],
        ["ExecutionStarted", T0 + 1, "e1"],
        ["TaskStarted", T0 + 2, "e1"],
      ]);
      const seqs = events.map((e) => e.seq);
      expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
      // seq orders the events of the whole store: e2's events sit between e1's.
      const e2 = (await store.events("e2"))!;
      expect(e2[0]!.seq).toBeGreaterThan(events[0]!.seq);
      expect(e2[0]!.seq).toBeLessThan(events[1]!.seq);
      expect(await store.events("ghost")).toBeNull();
    });

    it("the events of one write keep their order, and a refused write appends none", async (store) => {
      await store.enqueue(newExecution("e1"), T0);
      await store.admit("e1", T0 + 1, [{ taskId: "a", attempt: 1 }]);
      await store.record(
        "e1",
        [
          { kind: "complete", taskId: "a", attempt: 1, output: { n: 1 } },
          { kind: "start", taskId: "b", attempt: 1 },
        ],
        T0 + 2,
      );
      await expect(
        store.record(
          "e1",
          [
            { kind: "fail", taskId: "b", attempt: 1, error: err, skip: [] },
            { kind: "complete", taskId: "c", attempt: 1, output: null },
          ],
          T0 + 3,
        ),
      ).rejects.toThrow();
      await store.record("e1", [{ kind: "retry", taskId: "b", attempt: 1, error: err, nextAttemptAt: T0 + 9 }], T0 + 4);
      const events = (await store.events("e1"))!;
      expect(events.map((e) => [e.type, e.taskId, e.attempt, e.at])).toEqual([
        ["ExecutionQueued", null, null, T0],
        ["ExecutionStarted", null, null, T0 + 1],
        ["TaskStarted", "a", 1, T0 + 1],
        ["TaskCompleted", "a", 1, T0 + 2],
        ["TaskStarted", "b", 1, T0 + 2],
        ["TaskRetrying", "b", 1, T0 + 4],
      ]);
      const seqs = events.map((e) => e.seq);
      expect(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!)).toBe(true);
    });
  });
}
