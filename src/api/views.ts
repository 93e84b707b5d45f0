/**
 * Store records as the wire shows them. Times are epoch milliseconds inside Baton and ISO-8601
 * strings (or null) here. Field names follow the original project, so its scripts keep working.
 */
import type { WaitReason } from "../domain/flow.ts";
import type { Execution, ExecutionEventRecord, ExecutionWithTasks, StoredDefinition, SystemCounts, TaskRun } from "../domain/model.ts";
import { nextFires } from "../domain/schedule.ts";
import type { ScheduleEventRecord, ScheduleRecord } from "../domain/store.ts";
import { formatLocal } from "../domain/timestamp.ts";

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The body exactly as registered, plus its `version` and `createdAt`. */
export const definitionView = (d: StoredDefinition) => ({
  ...d.body,
  version: d.version,
  createdAt: iso(d.createdAt),
  // Absent without tokens, as an event's actor is.
  ...(d.registeredBy !== null ? { registeredBy: d.registeredBy } : {}),
});

/** One execution in a list: no input, output or tasks. */
export const executionSummaryView = (e: Execution) => ({
  id: e.id,
  definitionId: e.definitionId,
  definitionVersion: e.definitionVersion,
  status: e.status,
  // The original's `startTime` meant "accepted", and scripts read it that way.
  startTime: iso(e.createdAt),
  createdAt: iso(e.createdAt),
  startedAt: iso(e.startedAt),
  endTime: iso(e.endTime),
  runAt: iso(e.runAt),
  priority: e.priority,
  concurrencyKey: e.concurrencyKey,
  scheduleId: e.scheduleId,
  scheduledFor: iso(e.scheduledFor),
  error: e.error,
});

const taskView = (t: TaskRun) => ({
  id: t.taskId,
  name: t.name,
  status: t.status,
  attempts: t.attempts,
  startedAt: iso(t.startedAt),
  endTime: iso(t.endTime),
  nextAttemptAt: iso(t.nextAttemptAt),
  output: t.output,
  error: t.error,
  ...(t.carriedOver ? { carriedOver: true } : {}),
});

/** `waitingFor`: what a QUEUED execution waits for (null once it started). */
export const executionStateView = (e: ExecutionWithTasks, reruns: string[] = [], waitingFor: WaitReason | null = null) => {
  const { error, ...summary } = executionSummaryView(e);
  return {
    ...summary,
    waitingFor,
    input: e.input,
    output: e.output,
    error,
    // Tasks that failed but let their dependents run (continueOnFailure) are listed here too.
    failedTasks: e.tasks.filter((t) => t.status === "FAILED").map((t) => t.taskId),
    cancelRequestedAt: iso(e.cancelRequestedAt),
    rerunOf: e.rerunOf,
    reruns,
    handlersPending: e.handlersPending,
    tasks: e.tasks.map(taskView),
  };
};

/** `{seq, timestamp, type, taskId?, attempt?, ...data}`; `data` never overrides the fixed fields. */
export const eventView = (e: ExecutionEventRecord): Record<string, unknown> => {
  const out: Record<string, unknown> = { seq: e.seq, timestamp: iso(e.at), type: e.type };
  if (e.taskId !== null) out.taskId = e.taskId;
  if (e.attempt !== null) out.attempt = e.attempt;
  for (const [k, v] of Object.entries(e.data ?? {})) if (!Object.hasOwn(out, k) && k !== "__proto__") out[k] = v;
  return out;
};

/** How many next fires a schedule shows. */
export const NEXT_FIRES = 5;

/** A schedule with its state and, unless paused, its next fires in UTC and in its timezone. */
export const scheduleView = (s: ScheduleRecord, now: number) => ({
  definitionId: s.definitionId,
  id: s.spec.id,
  version: s.version,
  cron: s.spec.cron,
  timezone: s.spec.timezone,
  overlap: s.spec.overlap,
  catchupWindowSeconds: s.spec.catchupWindowSeconds,
  input: s.spec.input,
  paused: s.paused,
  lastFire: iso(s.lastFire),
  missedCount: s.missedCount,
  skippedCount: s.skippedCount,
  bufferedFire: iso(s.bufferedFire),
  lastAction: s.lastAction && { action: s.lastAction.action, at: iso(s.lastAction.at), actor: s.lastAction.actor },
  nextFireTimes: s.paused
    ? []
    : nextFires(s.spec, Math.max(s.progress, now), NEXT_FIRES).map((t) => ({ utc: iso(t), local: formatLocal(t, s.spec.timezone) })),
});

/** `{seq, timestamp, type, scheduledFor?, executionId?, ...data}`; `data` never overrides the fixed fields. */
export const scheduleEventView = (e: ScheduleEventRecord): Record<string, unknown> => {
  const out: Record<string, unknown> = { seq: e.seq, timestamp: iso(e.at), type: e.type };
  if (e.nominal !== null) out.scheduledFor = iso(e.nominal);
  if (e.executionId !== null) out.executionId = e.executionId;
  for (const [k, v] of Object.entries(e.data ?? {})) if (!Object.hasOwn(out, k) && k !== "__proto__") out[k] = v;
  return out;
};

export interface SystemInfo {
  maxConcurrentJobs: number;
  /** QUEUED executions of this process by what they wait for. */
  queuedWaitingFor: Record<WaitReason, number>;
  version: string;
  uptimeSeconds: number;
}

/** An entry of `activeJobs`: the original project's job object. */
export const activeJobView = (e: ExecutionWithTasks) => ({
  id: e.id,
  definitionId: e.definitionId,
  status: e.status,
  startTime: iso(e.createdAt),
  startedAt: iso(e.startedAt),
  tasks: e.tasks.map((t) => ({ id: t.taskId, name: t.name, status: t.status })),
});

export const systemStateView = (counts: SystemCounts, active: ReturnType<typeof activeJobView>[], info: SystemInfo) => ({
  activeJobs: active,
  queuedJobs: counts.queued,
  queuedCount: counts.queuedCount,
  executedJobs: counts.completedCount,
  maxConcurrentJobs: info.maxConcurrentJobs,
  queuedWaitingFor: info.queuedWaitingFor,
  version: info.version,
  uptimeSeconds: info.uptimeSeconds,
});
