/**
 * Leases of remote attempts and the workers that poll for them, in the SQLite store: granting
 * one on a RUNNING attempt, extending it, ending it inside the `record` that applies the
 * attempt's outcome (or the cancel that ends its task), and the reads. Whether an attempt is
 * RUNNING is read from the execution's row, as `writes.ts` keeps it.
 */

import type { TaskStatus } from "../../domain/states.ts";
import type {
  Lease,
  LeaseEnd,
  LeaseGrant,
  LeaseSettlement,
  LiveLease,
  LiveLeases,
  NewLease,
  PollingWorker,
  WorkerInfo,
} from "../../domain/store.ts";
import { StaleStateError, type Step } from "../../domain/transitions.ts";
import { parseTasks, type StatesRow } from "./codec.ts";
import type { Statements } from "./statements.ts";

interface LeaseRow {
  lease_id: string;
  execution_id: string;
  task_id: string;
  attempt: number;
  worker_id: string;
  granted_at: number;
  expires_at: number;
  ended_at: number | null;
  end_kind: LeaseEnd | null;
  request_hash: string | null;
  task_status: TaskStatus | null;
}

const toLease = (r: LeaseRow): Lease => ({
  leaseId: r.lease_id,
  executionId: r.execution_id,
  taskId: r.task_id,
  attempt: r.attempt,
  workerId: r.worker_id,
  grantedAt: r.granted_at,
  expiresAt: r.expires_at,
  ended: r.ended_at === null ? null : { end: r.end_kind!, at: r.ended_at, requestHash: r.request_hash, taskStatus: r.task_status },
});

/** Why the attempt cannot be held now, or null when it is RUNNING in a RUNNING execution without a cancel request. */
function attemptGone(row: StatesRow | null, taskId: string, attempt: number): string | null {
  if (!row) return "its execution does not exist";
  if (row.status !== "RUNNING") return `its execution is ${row.status}`;
  const task = parseTasks(row.tasks).find((t) => t.taskId === taskId);
  if (!task) return `its execution has no task ${taskId}`;
  if (task.status !== "RUNNING" || task.attempts !== attempt) return `task ${taskId} is ${task.status} at attempt ${task.attempts}`;
  return null;
}

export function grantLease(s: Statements, l: NewLease, now: number): Lease {
  const row = s.taskStates.get({ id: l.executionId }) as (StatesRow & { seq: number }) | null;
  const gone = attemptGone(row, l.taskId, l.attempt) ?? (row?.cancel_requested_at != null ? "its execution is being cancelled" : null);
  if (gone) throw new StaleStateError(`could not lease attempt ${l.attempt} of task ${l.taskId} in execution ${l.executionId}: ${gone}`);
  const open = s.openLeaseOf.get({ seq: row!.seq, executionId: l.executionId, taskId: l.taskId, attempt: l.attempt }) as LeaseRow | null;
  if (open)
    throw new StaleStateError(`could not lease attempt ${l.attempt} of task ${l.taskId}: lease ${open.lease_id} on it has not ended`);
  s.insertLease.run({ ...l, seq: row!.seq, now });
  return { ...l, grantedAt: now, ended: null };
}

/**
 * A poll's grants in one write (one group-commit entry instead of one per lease): the worker is
 * seen, then each lease granted or refused alone. A refusal throws before its lease writes
 * anything, so catching it here keeps the others.
 */
export function grantLeases(s: Statements, worker: PollingWorker, ls: readonly NewLease[], now: number): LeaseGrant[] {
  s.seeWorker.run({ workerId: worker.workerId, functions: JSON.stringify(worker.functions), now });
  return ls.map((l) => {
    try {
      return { lease: grantLease(s, l, now) };
    } catch (err) {
      if (err instanceof StaleStateError) return { refused: err.message };
      throw err;
    }
  });
}

/** Extends a held lease; otherwise says why it is not held. */
export function heartbeatLease(s: Statements, leaseId: string, expiresAt: number, now: number) {
  const lease = s.lease.get({ leaseId }) as LeaseRow | null;
  if (!lease) return { outcome: "missing" as const };
  if (lease.ended_at !== null) return { outcome: "lost" as const, reason: `the lease ended (${lease.end_kind})` };
  if (lease.expires_at <= now)
    return { outcome: "lost" as const, reason: `the lease expired at ${new Date(lease.expires_at).toISOString()} without a heartbeat` };
  const row = s.taskStates.get({ id: lease.execution_id }) as StatesRow | null;
  const gone = attemptGone(row, lease.task_id, lease.attempt);
  if (gone) return { outcome: "lost" as const, reason: `the attempt ended: ${gone}` };
  if (s.extendLease.run({ leaseId, expiresAt, now }).changes !== 1) throw new StaleStateError(`could not extend lease ${leaseId}`);
  return { outcome: "held" as const, expiresAt, cancelRequested: row!.cancel_requested_at !== null };
}

/**
 * Inside `record`: ends the lease the steps settle (refused if it already ended), and every
 * open lease of a task a finish step cancels.
 */
export function endLeases(
  s: Statements,
  seq: number,
  executionId: string,
  steps: readonly Step[],
  lease: LeaseSettlement | undefined,
  now: number,
) {
  if (lease) {
    // One UPDATE guarded by the execution's seq, which the caller holds; the lease is read only to say why it was refused.
    const { leaseId, end, requestHash, taskStatus } = lease;
    if (s.endLeaseOf.run({ leaseId, seq, now, end, requestHash, taskStatus }).changes !== 1) {
      const found = s.leaseSeq.get({ leaseId }) as (Pick<LeaseRow, "end_kind"> & { execution_seq: number }) | null;
      if (found?.execution_seq !== seq) throw new StaleStateError(`lease ${leaseId} is not a lease of execution ${executionId}`);
      throw new StaleStateError(`could not end lease ${leaseId}: it has already ended (${found.end_kind})`);
    }
  }
  for (const step of steps)
    if (step.kind === "finish") for (const taskId of step.cancelTasks ?? []) s.endTaskLeases.run({ seq, taskId, now });
}

export function endStaleLease(s: Statements, leaseId: string, now: number): boolean {
  const lease = s.lease.get({ leaseId }) as LeaseRow | null;
  if (!lease || lease.ended_at !== null) return false;
  const row = s.taskStates.get({ id: lease.execution_id }) as StatesRow | null;
  if (attemptGone(row, lease.task_id, lease.attempt) === null) return false;
  const task = row ? parseTasks(row.tasks).find((t) => t.taskId === lease.task_id) : undefined;
  s.endLease.run({ leaseId, now, end: "expired", requestHash: null, taskStatus: task?.status ?? null });
  return true;
}

export const getLease = (s: Statements, leaseId: string): Lease | null => {
  const row = s.lease.get({ leaseId }) as LeaseRow | null;
  return row ? toLease(row) : null;
};

export const expiredLeases = (s: Statements, now: number): Lease[] => (s.expiredLeases.all({ now }) as LeaseRow[]).map(toLease);

export function openLeaseOf(s: Statements, executionId: string, taskId: string, attempt: number): Lease | null {
  const x = s.seqOf.get({ id: executionId }) as { seq: number } | null;
  if (!x) return null;
  const row = s.openLeaseOf.get({ seq: x.seq, executionId, taskId, attempt }) as LeaseRow | null;
  return row ? toLease(row) : null;
}

export function listWorkers(s: Statements, since: number, now: number): WorkerInfo[] {
  const rows = s.listWorkers.all({ since, now }) as { worker_id: string; functions: string; last_seen_at: number; leases: number }[];
  return rows.map((r) => ({
    workerId: r.worker_id,
    functions: JSON.parse(r.functions) as string[],
    lastSeenAt: r.last_seen_at,
    leases: r.leases,
  }));
}

interface LiveLeaseRow {
  lease_id: string;
  worker_id: string;
  execution_id: string;
  definition_id: string;
  definition_version: number;
  task_id: string;
  attempt: number;
  granted_at: number;
  expires_at: number;
}

/**
 * The leases held at `now`, soonest to expire first, from the open leases' partial index; each
 * task's function is read from its definition version, each version once.
 */
export function liveLeases(s: Statements, now: number, limit: number): LiveLeases {
  const rows = s.liveLeases.all({ now, limit }) as LiveLeaseRow[];
  const functions = new Map<string, Map<string, string>>();
  const functionOf = (r: LiveLeaseRow): string | null => {
    const key = `${r.definition_version}:${r.definition_id}`;
    let byTask = functions.get(key);
    if (!byTask) {
      const def = s.definitionVersion.get({ id: r.definition_id, version: r.definition_version }) as { body: string } | null;
      const tasks = def ? ((JSON.parse(def.body) as { tasks?: { id: string; functionName: string }[] }).tasks ?? []) : [];
      byTask = new Map(tasks.map((t) => [t.id, t.functionName]));
      functions.set(key, byTask);
    }
    return byTask.get(r.task_id) ?? null;
  };
  const leases = rows.map(
    (r): LiveLease => ({
      leaseId: r.lease_id,
      workerId: r.worker_id,
      executionId: r.execution_id,
      taskId: r.task_id,
      attempt: r.attempt,
      functionName: functionOf(r),
      grantedAt: r.granted_at,
      expiresAt: r.expires_at,
    }),
  );
  const total = rows.length < limit ? rows.length : (s.liveLeaseCount.get({ now }) as { n: number }).n;
  return { leases, more: total - rows.length };
}
