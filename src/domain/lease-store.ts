/**
 * The leases of remote attempts and the workers that poll for them: part of the store's ports
 * (`store.ts` re-exports everything here; `Store` extends `LeaseStore`).
 */
import type { TaskStatus } from "./states.ts";

/** How a lease ended: by the worker (`completed`, `failed`), by Baton (`expired`, `timedOut`), or with its execution (`cancelled`). */
export type LeaseEnd = "completed" | "failed" | "expired" | "timedOut" | "cancelled";

/** A worker's hold on one RUNNING attempt of a remote task. */
export interface Lease {
  leaseId: string;
  executionId: string;
  taskId: string;
  attempt: number;
  workerId: string;
  grantedAt: number;
  expiresAt: number;
  /** Null while the lease has not ended. */
  ended: { end: LeaseEnd; at: number; requestHash: string | null; taskStatus: TaskStatus | null } | null;
}

/** A new lease: granted on a RUNNING attempt of a RUNNING execution with no cancel request. */
export type NewLease = Pick<Lease, "leaseId" | "executionId" | "taskId" | "attempt" | "workerId" | "expiresAt">;

/** A lease ended by a `record`: what the worker's call was (its hash) and the task's status after it, to answer a repeat. */
export interface LeaseSettlement {
  leaseId: string;
  end: Exclude<LeaseEnd, "cancelled">;
  requestHash: string | null;
  taskStatus: TaskStatus;
}

export type HeartbeatResult =
  | { outcome: "held"; expiresAt: number; cancelRequested: boolean }
  /** Why the lease is not held any more, for the worker's operator. */
  | { outcome: "lost"; reason: string }
  | { outcome: "missing" };

/** A worker polling for the functions it runs. */
export interface PollingWorker {
  workerId: string;
  functions: readonly string[];
}

/** One lease of `grantLeases`: granted, or refused with the reason `grantLease` would throw. */
export type LeaseGrant = { lease: Lease } | { refused: string };

/** A worker seen polling, with the number of leases it holds. */
export interface WorkerInfo {
  workerId: string;
  functions: string[];
  lastSeenAt: number;
  leases: number;
}

/** A lease held now (not ended, not expired): which attempt, of which function, by which worker. */
export interface LiveLease {
  leaseId: string;
  workerId: string;
  executionId: string;
  taskId: string;
  attempt: number;
  /** The task's function, as the execution's definition version names it (null only if that version does not name the task). */
  functionName: string | null;
  grantedAt: number;
  /** Moved forward by each heartbeat (the lease's length after it); the last heartbeat itself is not kept. */
  expiresAt: number;
}

/** The leases held now, soonest to expire first, at most the limit asked; `more` counts the others. */
export interface LiveLeases {
  leases: LiveLease[];
  more: number;
}

/** Leases of remote attempts and the workers that poll for them. */
export interface LeaseStore {
  /**
   * Grants a lease. Refused with `StaleStateError` when the attempt is not RUNNING any more,
   * its execution has a cancel request, or another lease on it has neither ended nor expired.
   */
  grantLease(lease: NewLease, now: number): Promise<Lease>;
  /**
   * One poll's grants in one write: remembers that `worker` polled at `now`, then grants each
   * lease as `grantLease` would, in order. A lease refused (for the reasons `grantLease` throws)
   * is answered `{ refused }` and does not stop the others; a storage fault rejects the whole
   * call with nothing applied.
   */
  grantLeases(worker: PollingWorker, leases: readonly NewLease[], now: number): Promise<LeaseGrant[]>;
  /** Moves a held lease's expiry to `expiresAt`; a lease that ended, expired or whose attempt ended is lost. */
  heartbeatLease(leaseId: string, expiresAt: number, now: number): Promise<HeartbeatResult>;
  getLease(leaseId: string): Promise<Lease | null>;
  /**
   * Ends an open lease whose attempt is not RUNNING any more (it ended without the lease, e.g. a
   * timeout while the grant was being written). False, changing nothing, while the attempt runs.
   */
  endStaleLease(leaseId: string, now: number): Promise<boolean>;
  /** Leases not ended whose expiry is at or before `now`, soonest first. */
  expiredLeases(now: number): Promise<Lease[]>;
  /** The lease on this attempt that has not ended, if any (expired or not). */
  openLeaseOf(executionId: string, taskId: string, attempt: number): Promise<Lease | null>;
  /** Remembers that `workerId` polled for `functions` at `now`. */
  seeWorker(workerId: string, functions: readonly string[], now: number): Promise<void>;
  /** Workers seen at or after `since`, by id, with the leases they hold at `now`. */
  listWorkers(since: number, now: number): Promise<WorkerInfo[]>;
  /** The leases held at `now` (not ended, expiring after `now`) by every worker, soonest to expire first, at most `limit`. */
  liveLeases(now: number, limit: number): Promise<LiveLeases>;
}
