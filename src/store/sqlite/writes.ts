/**
 * Every write to executions, as functions run inside one group-commit transaction: read the
 * execution's row, apply the rules of `domain/transitions.ts` to it in memory, and persist
 * what they decided (the row, its events, the counts per status, task outputs). The guarded
 * UPDATEs still check the status they expect, so a bug in this file cannot move a row the
 * rules did not move.
 */

import type { ExecutionWithTasks, QueuedRef } from "../../domain/model.ts";
import type {
  CancelResult,
  EnqueueOnceResult,
  HandlerOutcome,
  IdempotencyKey,
  LeaseSettlement,
  NewExecution,
  RecoveryPlan,
  RedriveResult,
} from "../../domain/store.ts";
import {
  type AttemptStart,
  admit,
  applyStep,
  cancel,
  createExecution,
  Effects,
  type ExecutionState,
  redrive,
  requeue,
  resume,
  StaleStateError,
  type Step,
  type TaskState,
} from "../../domain/transitions.ts";
import {
  type ExecutionRow,
  type ExecutionWithTasksRow,
  insertedRecord,
  json,
  parseTasks,
  type StatesRow,
  tasksJson,
  toExecution,
  withOutputs,
} from "./codec.ts";
import type { EventLog, Target } from "./events.ts";
import type { CountDeltas } from "./group-commit.ts";
import { endLeases } from "./leases.ts";
import { outputsOf } from "./reads.ts";
import type { Statements } from "./statements.ts";

/** What a write works with: the statements, the count changes of its batch, and the event log. */
export interface Tx {
  s: Statements;
  deltas: CountDeltas;
  events: EventLog;
}

/** Persists what the rules decided besides the row: events, counts per status, task outputs. */
function persist(tx: Tx, x: Target, fx: Effects): void {
  tx.events.add(x, fx.events);
  for (const [from, to] of fx.moves) {
    if (from === null) tx.deltas.add(to, 1);
    else tx.deltas.move(from, to);
  }
  for (const [taskId, output] of fx.outputs) tx.s.putOutput.run({ seq: x.seq, taskId, output: JSON.stringify(output) });
}

function guard(changes: number, what: string): void {
  if (changes !== 1) throw new StaleStateError(`could not ${what}: the row was not in the expected state`);
}

const stateOf = (id: string, row: StatesRow): ExecutionState => ({
  id,
  status: row.status,
  cancelRequestedAt: row.cancel_requested_at,
  tasks: parseTasks(row.tasks),
});

/** Inserts a QUEUED execution or, given `start`, one already RUNNING with those attempts started. */
export function insertExecution(tx: Tx, e: NewExecution, now: number, start?: readonly AttemptStart[]): TaskState[] {
  const fx = new Effects();
  const x = createExecution(e, now, fx, start);
  const started = x.status === "RUNNING";
  const row = {
    id: e.id,
    definitionId: e.definitionId,
    definitionVersion: e.definitionVersion,
    status: x.status,
    input: JSON.stringify(e.input),
    now,
    startedAt: started ? now : null,
    runAt: e.runAt ?? null,
    rerunOf: e.rerunOf ?? null,
    tasks: tasksJson(x.tasks),
    priority: e.priority ?? 0,
    concurrencyKey: e.concurrencyKey ?? null,
    scheduleId: e.schedule?.id ?? null,
    scheduledFor: e.schedule?.scheduledFor ?? null,
    scheduleManual: e.schedule?.manual ? 1 : 0,
  };
  persist(tx, { id: e.id, seq: Number(tx.s.insertExecution.run(row).lastInsertRowid) }, fx);
  if (e.rerunOf) {
    const original = tx.s.seqOf.get({ id: e.rerunOf }) as { seq: number } | null;
    if (!original) throw new StaleStateError(`execution ${e.rerunOf} does not exist`);
    const noted = new Effects();
    noted.event(now, "ExecutionRerunCreated", null, null, e.actor ? { rerun: e.id, actor: e.actor } : { rerun: e.id });
    tx.events.add({ id: e.rerunOf, seq: original.seq }, noted.events);
  }
  return x.tasks;
}

export function enqueueOnce(tx: Tx, e: NewExecution, key: IdempotencyKey, now: number, start?: readonly AttemptStart[]): EnqueueOnceResult {
  const params = { definitionId: e.definitionId, key: key.key };
  const found = tx.s.idempotencyKey.get(params) as { request_hash: string; execution_id: string; created_at: number } | null;
  if (found && found.created_at >= key.notBefore) {
    if (found.request_hash !== key.requestHash) return { outcome: "conflict", executionId: found.execution_id };
    const row = tx.s.execution.get({ id: found.execution_id }) as ExecutionRow | null;
    if (row) return { outcome: "existing", execution: toExecution(row) };
  }
  const tasks = insertExecution(tx, e, now, start);
  tx.s.putIdempotencyKey.run({ ...params, requestHash: key.requestHash, executionId: e.id, now });
  return { outcome: "created", execution: insertedRecord(e, tasks, now, start !== undefined) };
}

/** Applies `steps` in order; a finish step writes the execution's end with the task states. */
export function record(tx: Tx, executionId: string, steps: readonly Step[], now: number, lease?: LeaseSettlement): void {
  const row = tx.s.taskStates.get({ id: executionId }) as StatesRow | null;
  if (!row) throw new StaleStateError(`could not record steps of execution ${executionId}: it does not exist`);
  const x = stateOf(executionId, row);
  const fx = new Effects();
  for (const step of steps) applyStep(x, step, now, fx);
  const target: Target = { id: executionId, seq: row.seq };
  if (fx.end) {
    const { status, output, error, handlersPending } = fx.end;
    const values = { seq: row.seq, status, output: json(output), error: json(error), now, handlersPending: handlersPending ? 1 : 0 };
    guard(tx.s.finishExecution.run({ ...values, tasks: tasksJson(x.tasks) }).changes, `finish execution ${executionId}`);
  } else {
    guard(tx.s.saveTasks.run({ seq: row.seq, tasks: tasksJson(x.tasks) }).changes, `save the tasks of ${executionId}`);
  }
  persist(tx, target, fx);
  if (lease || fx.end) endLeases(tx.s, row.seq, executionId, steps, lease, now);
}

/** QUEUED → RUNNING with the given attempts started; null when it was not QUEUED any more. */
export function admitExecution(tx: Tx, executionId: string, now: number, start: readonly AttemptStart[]): ExecutionWithTasks | null {
  const row = tx.s.execution.get({ id: executionId }) as ExecutionWithTasksRow | null;
  if (row?.status !== "QUEUED") return null;
  const x = stateOf(executionId, row);
  const fx = new Effects();
  admit(x, start, now, fx);
  const target: Target = { id: executionId, seq: row.seq };
  guard(tx.s.admit.run({ seq: row.seq, now, tasks: tasksJson(x.tasks) }).changes, `admit execution ${executionId}`);
  persist(tx, target, fx);
  const admitted = toExecution({ ...row, status: x.status, started_at: row.started_at ?? now });
  return { ...admitted, tasks: withStoredOutputs(tx.s, target, x) };
}

export function resumeExecution(tx: Tx, executionId: string, now: number): void {
  const row = tx.s.taskStates.get({ id: executionId }) as StatesRow | null;
  if (!row) throw new StaleStateError(`could not resume execution ${executionId}: it does not exist`);
  const fx = new Effects();
  resume(stateOf(executionId, row), now, fx);
  persist(tx, { id: executionId, seq: row.seq }, fx);
}

/** RUNNING executions beyond `maxRunning` (oldest kept) back to QUEUED; then what to resume and admit. */
export function recover(tx: Tx, maxRunning: number, now: number): RecoveryPlan {
  const running = (tx.s.runningRefs.all() as RefRow[]).map((r) => ({ ...refOf(r), seq: r.seq }));
  for (const t of running.slice(maxRunning)) {
    const fx = new Effects();
    requeue(
      { id: t.id, status: "RUNNING", cancelRequestedAt: null, tasks: [] },
      `more than ${maxRunning} executions were RUNNING at start`,
      now,
      fx,
    );
    guard(tx.s.requeue.run({ seq: t.seq }).changes, `requeue execution ${t.id}`);
    persist(tx, t, fx);
  }
  const queued: QueuedRef[] = [];
  const delayed: (QueuedRef & { runAt: number })[] = [];
  for (const r of tx.s.queuedWithRunAt.all() as (RefRow & { run_at: number | null })[]) {
    if (r.run_at !== null && r.run_at > now) delayed.push({ ...refOf(r), runAt: r.run_at });
    else queued.push(refOf(r));
  }
  const handlersPending = (tx.s.handlersPending.all() as { id: string }[]).map((r) => r.id);
  return { running: running.slice(0, maxRunning).map(({ seq: _, ...ref }) => ref), queued, delayed, handlersPending };
}

interface RefRow {
  id: string;
  seq: number;
  definition_id: string;
  definition_version: number;
  priority: number;
  concurrency_key: string | null;
}

const refOf = (r: RefRow): QueuedRef => ({
  id: r.id,
  definitionId: r.definition_id,
  definitionVersion: r.definition_version,
  priority: r.priority,
  concurrencyKey: r.concurrency_key,
});

export function cancelExecution(tx: Tx, executionId: string, now: number, actor: string | null = null): CancelResult {
  const row = tx.s.taskStates.get({ id: executionId }) as StatesRow | null;
  if (!row) return { outcome: "missing" };
  const x = stateOf(executionId, row);
  const fx = new Effects();
  const result = cancel(x, now, fx, actor);
  if (result.outcome === "cancelled") {
    guard(tx.s.cancelQueued.run({ seq: row.seq, now, tasks: tasksJson(x.tasks) }).changes, `cancel execution ${executionId}`);
  } else if (result.outcome === "requested" && row.cancel_requested_at === null) {
    guard(tx.s.requestCancel.run({ seq: row.seq, now }).changes, `request cancel of ${executionId}`);
  }
  persist(tx, { id: executionId, seq: row.seq }, fx);
  return result;
}

export function redriveExecution(tx: Tx, executionId: string, now: number, actor: string | null = null): RedriveResult {
  const row = tx.s.taskStates.get({ id: executionId }) as StatesRow | null;
  if (!row) return { outcome: "missing" };
  const x = stateOf(executionId, row);
  const fx = new Effects();
  const result = redrive(x, now, fx, actor);
  if (result.outcome !== "redriven") return result;
  guard(tx.s.redriveExecution.run({ seq: row.seq, tasks: tasksJson(x.tasks) }).changes, `redrive execution ${executionId}`);
  persist(tx, { id: executionId, seq: row.seq }, fx);
  return result;
}

function targetOf(tx: Tx, id: string): Target {
  const row = tx.s.seqOf.get({ id }) as { seq: number } | null;
  if (!row) throw new StaleStateError(`execution ${id} does not exist`);
  return { id, seq: row.seq };
}

export function handlerStarted(tx: Tx, executionId: string, handler: string, now: number): void {
  const fx = new Effects();
  fx.event(now, "HandlerStarted", null, null, { handler });
  tx.events.add(targetOf(tx, executionId), fx.events);
}

export function handlerFinished(tx: Tx, executionId: string, handler: string, outcome: HandlerOutcome, last: boolean, now: number): void {
  const x = targetOf(tx, executionId);
  const fx = new Effects();
  fx.event(now, "HandlerFinished", null, null, { handler, ...outcome });
  tx.events.add(x, fx.events);
  if (last) tx.s.handlersDone.run({ seq: x.seq });
}

/** The tasks with their outputs as stored: a write's own outputs are already in `task_outputs`. */
function withStoredOutputs(s: Statements, x: Target, state: ExecutionState) {
  return withOutputs(state.tasks, outputsOf(s, x, state.tasks));
}
