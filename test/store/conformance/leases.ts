/**
 * Leases of remote attempts: granted only on a RUNNING attempt, extended by heartbeats while
 * held, ended in the same commit as the attempt's outcome (and refused a second time, with
 * nothing of that write kept), ended with their task by a cancel, listed when expired, and
 * the workers seen with the leases they hold, and the leases held now.
 */
import { describe, expect } from "bun:test";
import type { LeaseSettlement, NewLease, Store } from "../../../src/domain/store.ts";
import { StaleStateError } from "../../../src/domain/transitions.ts";
import { startAttempt } from "../../helpers/store-steps.ts";
import { err, eventTypes, newExecution, registered, T0, taskOf } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

/** e1 RUNNING with task a RUNNING at attempt 1. */
async function attemptRunning(store: Store): Promise<void> {
  await registered(store);
  await store.enqueue(newExecution("e1"), T0);
  await store.admit("e1", T0, [{ taskId: "a", attempt: 1 }]);
}

const lease = (overrides: Partial<NewLease> = {}): NewLease => ({
  leaseId: "l1",
  executionId: "e1",
  taskId: "a",
  attempt: 1,
  workerId: "w1",
  expiresAt: T0 + 30_000,
  ...overrides,
});

const settled = (overrides: Partial<LeaseSettlement> = {}): LeaseSettlement => ({
  leaseId: "l1",
  end: "completed",
  requestHash: "h1",
  taskStatus: "COMPLETED",
  ...overrides,
});

export function leaseTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, attemptRunning);

  describe("leases", () => {
    it("a granted lease is open, heartbeats extend it, and it reads back", async (store) => {
      expect(await store.grantLease(lease(), T0 + 1)).toEqual({ ...lease(), grantedAt: T0 + 1, ended: null });
      expect(await store.heartbeatLease("l1", T0 + 40_000, T0 + 10_000)).toEqual({
        outcome: "held",
        expiresAt: T0 + 40_000,
        cancelRequested: false,
      });
      expect(await store.getLease("l1")).toMatchObject({ expiresAt: T0 + 40_000, ended: null });
      expect(await store.openLeaseOf("e1", "a", 1)).toMatchObject({ leaseId: "l1" });
      expect(await store.openLeaseOf("e1", "a", 2)).toBeNull();
      expect(await store.getLease("nope")).toBeNull();
    });

    it("is refused on an attempt that is not RUNNING, twice on one attempt, and after a cancel request", async (store) => {
      await expect(store.grantLease(lease({ taskId: "b" }), T0)).rejects.toThrow(StaleStateError);
      await expect(store.grantLease(lease({ attempt: 2 }), T0)).rejects.toThrow(StaleStateError);
      await expect(store.grantLease(lease({ executionId: "ghost" }), T0)).rejects.toThrow(StaleStateError);
      await store.grantLease(lease(), T0);
      await expect(store.grantLease(lease({ leaseId: "l2" }), T0)).rejects.toThrow("lease l1 on it has not ended");
      await startAttempt(store, "e1", "b", 1, T0);
      await store.cancel("e1", T0 + 1);
      await expect(store.grantLease(lease({ leaseId: "l3", taskId: "b" }), T0 + 2)).rejects.toThrow("being cancelled");
      expect(await store.getLease("l3")).toBeNull();
    });

    it("one poll's grants are one write: the worker is seen, and each lease is granted or refused on its own", async (store) => {
      await startAttempt(store, "e1", "b", 1, T0);
      const grants = await store.grantLeases(
        { workerId: "w1", functions: ["noop"] },
        [lease(), lease({ leaseId: "l2" }), lease({ leaseId: "l3", taskId: "b" }), lease({ leaseId: "l4", taskId: "c" })],
        T0 + 1,
      );
      expect(grants).toEqual([
        { lease: { ...lease(), grantedAt: T0 + 1, ended: null } },
        { refused: "could not lease attempt 1 of task a: lease l1 on it has not ended" },
        { lease: { ...lease({ leaseId: "l3", taskId: "b" }), grantedAt: T0 + 1, ended: null } },
        { refused: "could not lease attempt 1 of task c in execution e1: task c is PENDING at attempt 0" },
      ]);
      expect(await store.getLease("l2")).toBeNull();
      expect(await store.getLease("l4")).toBeNull();
      expect(await store.grantLeases({ workerId: "w2", functions: ["resize"] }, [], T0 + 2)).toEqual([]);
      expect(await store.listWorkers(T0, T0 + 3)).toEqual([
        { workerId: "w1", functions: ["noop"], lastSeenAt: T0 + 1, leases: 2 },
        { workerId: "w2", functions: ["resize"], lastSeenAt: T0 + 2, leases: 0 },
      ]);
    });

    it("a heartbeat after expiry, or for an unknown lease, finds it lost and changes nothing", async (store) => {
      await store.grantLease(lease(), T0);
      const lost = await store.heartbeatLease("l1", T0 + 90_000, T0 + 30_000);
      expect(lost).toEqual({ outcome: "lost", reason: `the lease expired at ${new Date(T0 + 30_000).toISOString()} without a heartbeat` });
      expect((await store.getLease("l1"))!.expiresAt).toBe(T0 + 30_000);
      expect(await store.heartbeatLease("nope", T0 + 90_000, T0)).toEqual({ outcome: "missing" });
    });

    it("a heartbeat tells of a cancel request while the attempt still runs", async (store) => {
      await store.grantLease(lease(), T0);
      await store.cancel("e1", T0 + 1);
      expect(await store.heartbeatLease("l1", T0 + 31_000, T0 + 2)).toEqual({
        outcome: "held",
        expiresAt: T0 + 31_000,
        cancelRequested: true,
      });
    });

    it("a record under a lease ends it in the same commit; a second one is refused and keeps nothing", async (store) => {
      await store.grantLease(lease(), T0);
      await store.record("e1", [{ kind: "complete", taskId: "a", attempt: 1, output: { n: 1 } }], T0 + 5, settled());
      expect((await store.getLease("l1"))!.ended).toEqual({ end: "completed", at: T0 + 5, requestHash: "h1", taskStatus: "COMPLETED" });
      const again = store.record("e1", [{ kind: "start", taskId: "b", attempt: 1 }], T0 + 6, settled({ requestHash: "h2" }));
      await expect(again).rejects.toThrow("it has already ended (completed)");
      expect((await taskOf(store, "e1", "b")).status).toBe("PENDING");
      expect(await store.heartbeatLease("l1", T0 + 60_000, T0 + 7)).toEqual({ outcome: "lost", reason: "the lease ended (completed)" });
      expect(await store.openLeaseOf("e1", "a", 1)).toBeNull();
    });

    it("a refused step under a lease leaves the lease open", async (store) => {
      await store.grantLease(lease(), T0);
      const stale = store.record("e1", [{ kind: "complete", taskId: "a", attempt: 2, output: null }], T0 + 5, settled());
      await expect(stale).rejects.toThrow(StaleStateError);
      expect((await store.getLease("l1"))!.ended).toBeNull();
    });

    it("a lease of another execution cannot settle this one", async (store) => {
      await store.grantLease(lease(), T0);
      await store.enqueue(newExecution("e2"), T0);
      await store.admit("e2", T0, [{ taskId: "a", attempt: 1 }]);
      const wrong = store.record("e2", [{ kind: "complete", taskId: "a", attempt: 1, output: null }], T0 + 5, settled());
      await expect(wrong).rejects.toThrow("is not a lease of execution e2");
      expect((await taskOf(store, "e2", "a")).status).toBe("RUNNING");
    });

    it("expired leases are listed soonest first until an expiry step ends them", async (store) => {
      await startAttempt(store, "e1", "b", 1, T0);
      await store.grantLease(lease({ leaseId: "late", taskId: "b", expiresAt: T0 + 20_000 }), T0);
      await store.grantLease(lease({ leaseId: "early", expiresAt: T0 + 10_000 }), T0);
      expect(await store.expiredLeases(T0 + 9_999)).toEqual([]);
      expect((await store.expiredLeases(T0 + 20_000)).map((l) => l.leaseId)).toEqual(["early", "late"]);
      const timeout = { name: "States.HeartbeatTimeout", message: "no heartbeat" };
      const retry = { kind: "retry" as const, taskId: "a", attempt: 1, error: timeout, nextAttemptAt: T0 + 21_000 };
      await store.record(
        "e1",
        [retry],
        T0 + 20_000,
        settled({ leaseId: "early", end: "expired", requestHash: null, taskStatus: "RETRYING" }),
      );
      expect((await store.expiredLeases(T0 + 20_000)).map((l) => l.leaseId)).toEqual(["late"]);
      expect((await taskOf(store, "e1", "a")).error).toEqual(timeout);
    });

    it("a finish that cancels a task ends its open lease", async (store) => {
      await store.grantLease(lease(), T0);
      await store.cancel("e1", T0 + 1);
      const finish = { kind: "finish" as const, status: "CANCELLED" as const, output: null, error: null, cancelTasks: ["a", "b", "c"] };
      await store.record("e1", [finish], T0 + 2);
      expect((await store.getLease("l1"))!.ended).toEqual({ end: "cancelled", at: T0 + 2, requestHash: null, taskStatus: "CANCELLED" });
      expect(await eventTypes(store, "e1")).toContain("TaskCancelled:a");
      expect(await store.heartbeatLease("l1", T0 + 60_000, T0 + 3)).toEqual({ outcome: "lost", reason: "the lease ended (cancelled)" });
    });

    it("a stale lease (its attempt ended without it) can be ended; one whose attempt runs cannot", async (store) => {
      await store.grantLease(lease(), T0);
      expect(await store.endStaleLease("l1", T0 + 1)).toBe(false);
      expect((await store.getLease("l1"))!.ended).toBeNull();
      await store.record("e1", [{ kind: "fail", taskId: "a", attempt: 1, error: err, skip: [] }], T0 + 2);
      expect(await store.endStaleLease("l1", T0 + 3)).toBe(true);
      expect((await store.getLease("l1"))!.ended).toEqual({ end: "expired", at: T0 + 3, requestHash: null, taskStatus: "FAILED" });
      expect(await store.endStaleLease("l1", T0 + 4)).toBe(false);
      expect(await store.expiredLeases(T0 + 60_000)).toEqual([]);
      expect(await store.endStaleLease("nope", T0)).toBe(false);
    });

    it("a heartbeat after the attempt ended another way finds it lost", async (store) => {
      await store.grantLease(lease(), T0);
      await store.record("e1", [{ kind: "fail", taskId: "a", attempt: 1, error: err, skip: [] }], T0 + 1);
      const hb = await store.heartbeatLease("l1", T0 + 60_000, T0 + 2);
      expect(hb).toEqual({ outcome: "lost", reason: "the attempt ended: task a is FAILED at attempt 1" });
    });

    it("workers seen since a time, with the leases they hold now", async (store) => {
      await store.seeWorker("w2", ["resize"], T0);
      await store.seeWorker("w1", ["noop"], T0 - 1);
      await store.seeWorker("w1", ["noop", "resize"], T0 + 1);
      await store.seeWorker("old", ["noop"], T0 - 700_000);
      await store.grantLease(lease(), T0);
      expect(await store.listWorkers(T0 - 600_000, T0 + 2)).toEqual([
        { workerId: "w1", functions: ["noop", "resize"], lastSeenAt: T0 + 1, leases: 1 },
        { workerId: "w2", functions: ["resize"], lastSeenAt: T0, leases: 0 },
      ]);
      // An expired lease is not held.
      expect((await store.listWorkers(T0 - 600_000, T0 + 30_000))[0]!.leases).toBe(0);
    });

    it("the leases held now, by every worker, soonest to expire first, with their function; capped with a count of the rest", async (store) => {
      expect(await store.liveLeases(T0, 10)).toEqual({ leases: [], more: 0 });
      const remote = { id: "remote", tasks: [{ id: "a", functionName: "resize", remote: true }] };
      await registered(store, "remote", remote);
      await store.enqueue(newExecution("e2", { definitionId: "remote", tasks: [{ taskId: "a", name: "A" }] }), T0);
      await store.admit("e2", T0, [{ taskId: "a", attempt: 1 }]);
      await startAttempt(store, "e1", "b", 1, T0);
      await store.grantLease(lease(), T0 + 1);
      await store.grantLease(lease({ leaseId: "l2", taskId: "b", workerId: "w2", expiresAt: T0 + 20_000 }), T0 + 2);
      await store.grantLease(lease({ leaseId: "l3", executionId: "e2", expiresAt: T0 + 40_000 }), T0 + 3);
      const l1 = {
        leaseId: "l1",
        workerId: "w1",
        executionId: "e1",
        taskId: "a",
        attempt: 1,
        functionName: "noop",
        grantedAt: T0 + 1,
        expiresAt: T0 + 30_000,
      };
      const l2 = { ...l1, leaseId: "l2", workerId: "w2", taskId: "b", grantedAt: T0 + 2, expiresAt: T0 + 20_000 };
      const l3 = { ...l1, leaseId: "l3", executionId: "e2", functionName: "resize", grantedAt: T0 + 3, expiresAt: T0 + 40_000 };
      expect(await store.liveLeases(T0 + 4, 10)).toEqual({ leases: [l2, l1, l3], more: 0 });
      expect(await store.liveLeases(T0 + 4, 2)).toEqual({ leases: [l2, l1], more: 1 });
      // A heartbeat moves a lease's expiry, and its place.
      await store.heartbeatLease("l2", T0 + 35_000, T0 + 5);
      expect((await store.liveLeases(T0 + 6, 10)).leases.map((l) => l.leaseId)).toEqual(["l1", "l2", "l3"]);
      // An ended lease is not held, nor one whose expiry has come.
      await store.record("e1", [{ kind: "complete", taskId: "a", attempt: 1, output: null }], T0 + 7, settled());
      expect(await store.liveLeases(T0 + 8, 10)).toEqual({ leases: [{ ...l2, expiresAt: T0 + 35_000 }, l3], more: 0 });
      expect(await store.liveLeases(T0 + 35_000, 10)).toEqual({ leases: [l3], more: 0 });
      expect(await store.liveLeases(T0 + 40_000, 10)).toEqual({ leases: [], more: 0 });
    });
  });
}
