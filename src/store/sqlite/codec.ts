/**
 * How the SQLite store packs records into rows and back: row types, task states in one JSON
 * array per execution with default fields left out, and events with null fields left out.
 */
import type { ErrorInfo } from "../../domain/errors.ts";
import type { EventType, Execution, ExecutionError, ExecutionWithTasks, StoredDefinition, TaskRun } from "../../domain/model.ts";
import type { ExecutionStatus, TaskStatus } from "../../domain/states.ts";
import type { NewExecution } from "../../domain/store.ts";
import type { PendingEvent, TaskState } from "../../domain/transitions.ts";

export interface ExecutionRow {
  seq: number;
  id: string;
  definition_id: string;
  definition_version: number;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  end_time: number | null;
  run_at: number | null;
  cancel_requested_at: number | null;
  rerun_of: string | null;
  handlers_pending: number;
  priority: number;
  concurrency_key: string | null;
  schedule_id: string | null;
  scheduled_for: number | null;
}

export interface ExecutionWithTasksRow extends ExecutionRow {
  /** JSON: `StoredTask[]` in definition order. */
  tasks: string;
}

/** What a write reads of an execution: enough for the rules of `transitions.ts`. */
export interface StatesRow {
  seq: number;
  status: ExecutionStatus;
  cancel_requested_at: number | null;
  tasks: string;
}

export interface DefinitionRow {
  id: string;
  version: number;
  body: string;
  created_at: number;
  registered_by: string | null;
}

export interface EventRow {
  seq: number;
  at: number;
  type: EventType;
  task_id: string | null;
  attempt: number | null;
  data: string | null;
  /** JSON: the row's further events (`StoredEvent[]`), numbered seq + 1, seq + 2, … */
  more: string | null;
}

/** An event in `events.more`: null fields left out. */
export type StoredEvent = Pick<PendingEvent, "at" | "type"> & { taskId?: string; attempt?: number; data?: Record<string, unknown> };

export const packEvent = ({ at, type, taskId, attempt, data }: PendingEvent): StoredEvent => {
  const o: StoredEvent = { at, type };
  if (taskId !== null) o.taskId = taskId;
  if (attempt !== null) o.attempt = attempt;
  if (data !== null) o.data = data;
  return o;
};

export const unpackEvent = (e: StoredEvent): PendingEvent => ({
  at: e.at,
  type: e.type,
  taskId: e.taskId ?? null,
  attempt: e.attempt ?? null,
  data: e.data ?? null,
});

export const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
export const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

export const toExecution = (r: ExecutionRow): Execution => ({
  id: r.id,
  definitionId: r.definition_id,
  definitionVersion: r.definition_version,
  status: r.status,
  input: JSON.parse(r.input) as Record<string, unknown>,
  output: parse(r.output),
  error: parse(r.error) as ExecutionError | null,
  createdAt: r.created_at,
  startedAt: r.started_at,
  endTime: r.end_time,
  runAt: r.run_at,
  cancelRequestedAt: r.cancel_requested_at,
  rerunOf: r.rerun_of,
  handlersPending: r.handlers_pending === 1,
  priority: r.priority,
  concurrencyKey: r.concurrency_key,
  scheduleId: r.schedule_id,
  scheduledFor: r.scheduled_for,
});

export const toDefinition = (r: DefinitionRow): StoredDefinition => ({
  id: r.id,
  version: r.version,
  body: JSON.parse(r.body) as Record<string, unknown>,
  createdAt: r.created_at,
  registeredBy: r.registered_by,
});

/**
 * A task state as stored: fields at their default (null, 0, false, a name equal to the id)
 * are left out, which halves a row and the pages a commit writes.
 */
interface StoredTask {
  taskId: string;
  status: TaskStatus;
  name?: string;
  attempts?: number;
  startedAt?: number | null;
  endTime?: number | null;
  nextAttemptAt?: number | null;
  error?: ErrorInfo | null;
  attemptBase?: number;
  carriedOver?: boolean;
}

const packTask = (t: TaskState): StoredTask => {
  const o: StoredTask = { taskId: t.taskId, status: t.status };
  if (t.name !== t.taskId) o.name = t.name;
  if (t.attempts !== 0) o.attempts = t.attempts;
  if (t.startedAt !== null) o.startedAt = t.startedAt;
  if (t.endTime !== null) o.endTime = t.endTime;
  if (t.nextAttemptAt !== null) o.nextAttemptAt = t.nextAttemptAt;
  if (t.error !== null) o.error = t.error;
  if (t.attemptBase !== 0) o.attemptBase = t.attemptBase;
  if (t.carriedOver) o.carriedOver = true;
  return o;
};

const unpackTask = (o: StoredTask): TaskState => ({
  taskId: o.taskId,
  name: o.name ?? o.taskId,
  status: o.status,
  attempts: o.attempts ?? 0,
  startedAt: o.startedAt ?? null,
  endTime: o.endTime ?? null,
  nextAttemptAt: o.nextAttemptAt ?? null,
  error: o.error ?? null,
  attemptBase: o.attemptBase ?? 0,
  carriedOver: o.carriedOver ?? false,
});

export const parseTasks = (text: string): TaskState[] => (JSON.parse(text) as StoredTask[]).map(unpackTask);
export const tasksJson = (tasks: readonly TaskState[]): string => JSON.stringify(tasks.map(packTask));
export const withOutputs = (tasks: readonly TaskState[], outputs: ReadonlyMap<string, unknown>): TaskRun[] =>
  tasks.map((t) => ({ ...t, output: outputs.get(t.taskId) ?? null }));

/** The record of an execution just inserted, without reading it back. */
export function insertedExecution(e: NewExecution, now: number, started: boolean): Execution {
  return {
    id: e.id,
    definitionId: e.definitionId,
    definitionVersion: e.definitionVersion,
    status: started ? "RUNNING" : "QUEUED",
    input: e.input,
    output: null,
    error: null,
    createdAt: now,
    startedAt: started ? now : null,
    endTime: null,
    runAt: e.runAt ?? null,
    cancelRequestedAt: null,
    rerunOf: e.rerunOf ?? null,
    handlersPending: false,
    priority: e.priority ?? 0,
    concurrencyKey: e.concurrencyKey ?? null,
    scheduleId: e.schedule?.id ?? null,
    scheduledFor: e.schedule?.scheduledFor ?? null,
  };
}

/** `insertedExecution` with its tasks (carried ones with their outputs). */
export function insertedRecord(e: NewExecution, tasks: readonly TaskState[], now: number, started: boolean): ExecutionWithTasks {
  const outputs = new Map(e.tasks.flatMap((t) => (t.carried ? [[t.taskId, t.carried.output ?? null] as const] : [])));
  return { ...insertedExecution(e, now, started), tasks: withOutputs(tasks, outputs) };
}
