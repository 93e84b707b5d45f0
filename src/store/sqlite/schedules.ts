/**
 * Schedules in the SQLite store: their statements, rows ↔ records, and every schedule write,
 * run inside a group-commit transaction like `writes.ts`. A fire is one transaction: the
 * overlap check, the execution (through `insertExecution`, so it has its `ExecutionQueued`
 * event), the progress, counts and the schedule's event. The slot's unique index backs up the
 * progress check, so no computation of a slot can start it twice.
 */
import type { Execution } from "../../domain/model.ts";
import { decideOverlap, firesBetween, type ScheduleSpec } from "../../domain/schedule.ts";
import type {
  BufferedResult,
  FireResult,
  ScheduleAction,
  ScheduledExecution,
  ScheduleEventRecord,
  ScheduleEventType,
  ScheduleRecord,
} from "../../domain/store.ts";
import { insertedExecution, json, parse } from "./codec.ts";
import type { Database, Statement } from "./driver.ts";
import { insertExecution, type Tx } from "./writes.ts";

const SQL = {
  schedule: "SELECT * FROM schedules WHERE definition_id = $definitionId AND schedule_id = $scheduleId",
  schedulesOf: "SELECT * FROM schedules WHERE definition_id = $definitionId ORDER BY schedule_id",
  allSchedules: "SELECT * FROM schedules ORDER BY definition_id, schedule_id",
  insertSchedule: `INSERT INTO schedules (definition_id, schedule_id, version, spec, paused, progress)
    VALUES ($definitionId, $scheduleId, $version, $spec, $paused, $progress)`,
  replaceSchedule: `UPDATE schedules SET version = $version, spec = $spec, paused = $paused, progress = MAX(progress, $progress)
    WHERE definition_id = $definitionId AND schedule_id = $scheduleId`,
  deleteSchedule: "DELETE FROM schedules WHERE definition_id = $definitionId AND schedule_id = $scheduleId",
  unfinished: `SELECT 1 AS found FROM executions WHERE definition_id = $definitionId AND schedule_id = $scheduleId
    AND status IN ('QUEUED', 'RUNNING') LIMIT 1`,
  slotTaken: `SELECT 1 AS found FROM executions WHERE definition_id = $definitionId AND schedule_id = $scheduleId
    AND scheduled_for = $nominal AND schedule_manual = 0`,
  fired: `UPDATE schedules SET progress = MAX(progress, $nominal), last_fire = MAX(COALESCE(last_fire, $nominal), $nominal)
    WHERE definition_id = $definitionId AND schedule_id = $scheduleId`,
  buffered: `UPDATE schedules SET progress = MAX(progress, $nominal), buffered_fire = $nominal
    WHERE definition_id = $definitionId AND schedule_id = $scheduleId`,
  skipped: `UPDATE schedules SET progress = MAX(progress, $nominal), skipped_count = skipped_count + 1
    WHERE definition_id = $definitionId AND schedule_id = $scheduleId`,
  missed: `UPDATE schedules SET progress = MAX(progress, $progress), missed_count = missed_count + $count
    WHERE definition_id = $definitionId AND schedule_id = $scheduleId`,
  bufferedStarted: `UPDATE schedules SET buffered_fire = NULL, last_fire = MAX(COALESCE(last_fire, $nominal), $nominal)
    WHERE definition_id = $definitionId AND schedule_id = $scheduleId`,
  setPaused: `UPDATE schedules SET paused = $paused, progress = CASE WHEN $paused = 0 THEN MAX(progress, $now) ELSE progress END,
    last_action = $action, last_action_at = $now, last_action_actor = $actor
    WHERE definition_id = $definitionId AND schedule_id = $scheduleId`,
  triggered: `UPDATE schedules SET last_action = 'trigger', last_action_at = $now, last_action_actor = $actor
    WHERE definition_id = $definitionId AND schedule_id = $scheduleId`,
  insertEvent: `INSERT INTO schedule_events (definition_id, schedule_id, at, type, nominal, execution_id, data)
    VALUES ($definitionId, $scheduleId, $at, $type, $nominal, $executionId, $data)`,
  events: `SELECT * FROM schedule_events WHERE definition_id = $definitionId AND schedule_id = $scheduleId AND seq < $before
    ORDER BY seq DESC LIMIT $limit`,
} as const;

export type ScheduleStatements = { [K in keyof typeof SQL]: Statement };

export function prepareScheduleStatements(db: Database): ScheduleStatements {
  return Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as ScheduleStatements;
}

interface ScheduleRow {
  definition_id: string;
  schedule_id: string;
  version: number;
  spec: string;
  paused: number;
  progress: number;
  last_fire: number | null;
  missed_count: number;
  skipped_count: number;
  buffered_fire: number | null;
  last_action: ScheduleAction["action"] | null;
  last_action_at: number | null;
  last_action_actor: string | null;
}

interface EventRow {
  seq: number;
  definition_id: string;
  schedule_id: string;
  at: number;
  type: ScheduleEventType;
  nominal: number | null;
  execution_id: string | null;
  data: string | null;
}

const toRecord = (r: ScheduleRow): ScheduleRecord => ({
  definitionId: r.definition_id,
  version: r.version,
  spec: JSON.parse(r.spec) as ScheduleSpec,
  paused: r.paused === 1,
  progress: r.progress,
  lastFire: r.last_fire,
  missedCount: r.missed_count,
  skippedCount: r.skipped_count,
  bufferedFire: r.buffered_fire,
  lastAction: r.last_action === null ? null : { action: r.last_action, at: r.last_action_at!, actor: r.last_action_actor },
});

const toEvent = (r: EventRow): ScheduleEventRecord => ({
  seq: r.seq,
  definitionId: r.definition_id,
  scheduleId: r.schedule_id,
  at: r.at,
  type: r.type,
  nominal: r.nominal,
  executionId: r.execution_id,
  data: parse(r.data) as Record<string, unknown> | null,
});

type Key = { definitionId: string; scheduleId: string };
export type Missed = { count: number; first: number; last: number; countCapped: boolean };

function event(ss: ScheduleStatements, key: Key, at: number, type: ScheduleEventType, more: Partial<ScheduleEventRecord> = {}): void {
  ss.insertEvent.run({ ...key, at, type, nominal: more.nominal ?? null, executionId: more.executionId ?? null, data: json(more.data) });
}

const row = (ss: ScheduleStatements, key: Key) => ss.schedule.get(key) as ScheduleRow | null;

// ---- reads ----

export const listSchedules = (ss: ScheduleStatements): ScheduleRecord[] => (ss.allSchedules.all() as ScheduleRow[]).map(toRecord);

export function getSchedule(ss: ScheduleStatements, key: Key): ScheduleRecord | null {
  const r = row(ss, key);
  return r ? toRecord(r) : null;
}

export function scheduleEvents(ss: ScheduleStatements, key: Key, limit: number, before?: number): ScheduleEventRecord[] {
  return (ss.events.all({ ...key, before: before ?? Number.MAX_SAFE_INTEGER, limit }) as EventRow[]).map(toEvent);
}

// ---- writes ----

/**
 * A new definition version: its schedules replace the old ones (kept ids keep counts, history
 * and a buffered fire). A kept schedule's fires from now on follow the new spec; the old spec's
 * fires after its progress and before now (Baton was down, or they were just due) are recorded
 * as missed, never dropped silently.
 */
export function replaceSchedules(
  ss: ScheduleStatements,
  definitionId: string,
  version: number,
  specs: readonly ScheduleSpec[],
  now: number,
) {
  const old = new Map((ss.schedulesOf.all({ definitionId }) as ScheduleRow[]).map((r) => [r.schedule_id, r]));
  for (const spec of specs) {
    const key = { definitionId, scheduleId: spec.id };
    const values = { ...key, version, spec: JSON.stringify(spec), paused: spec.paused ? 1 : 0, progress: now };
    const kept = old.get(spec.id);
    if (kept) {
      const missed = kept.paused === 1 ? null : firesBetween(JSON.parse(kept.spec) as ScheduleSpec, kept.progress, now);
      if (missed) recordMissed(ss, key, missed, kept.progress, now, { replacedBy: version });
      ss.replaceSchedule.run(values);
      event(ss, key, now, "Replaced", { data: { version, paused: spec.paused } });
      old.delete(spec.id);
    } else ss.insertSchedule.run(values);
  }
  for (const gone of old.values()) {
    const key = { definitionId, scheduleId: gone.schedule_id };
    const data = gone.buffered_fire === null ? { version } : { version, bufferedFire: "dropped: the schedule is no longer declared" };
    event(ss, key, now, "Removed", { nominal: gone.buffered_fire, data });
    ss.deleteSchedule.run(key);
  }
}

function insertScheduled(tx: Tx, e: ScheduledExecution, now: number): Execution {
  insertExecution(tx, e, now);
  return insertedExecution(e, now, false);
}

export function fireSchedule(tx: Tx, ss: ScheduleStatements, e: ScheduledExecution, now: number): FireResult {
  const key = { definitionId: e.definitionId, scheduleId: e.schedule.id };
  const nominal = e.schedule.scheduledFor;
  const r = row(ss, key);
  if (!r || r.version !== e.definitionVersion) return { outcome: "missing" };
  if (r.paused === 1) return { outcome: "paused" };
  if (nominal <= r.progress || ss.slotTaken.get({ ...key, nominal })) return { outcome: "already" };
  const spec = JSON.parse(r.spec) as ScheduleSpec;
  const decision = decideOverlap(spec.overlap, ss.unfinished.get(key) !== null, r.buffered_fire !== null);
  if (decision === "start") {
    const execution = insertScheduled(tx, e, now);
    ss.fired.run({ ...key, nominal });
    event(ss, key, now, "Fired", { nominal, executionId: e.id });
    return { outcome: "started", execution };
  }
  if (decision === "buffer") {
    ss.buffered.run({ ...key, nominal });
    event(ss, key, now, "Buffered", { nominal });
    return { outcome: "buffered" };
  }
  ss.skipped.run({ ...key, nominal });
  event(ss, key, now, "Skipped", { nominal, data: { reason: "an execution of an earlier fire is unfinished" } });
  return { outcome: "skipped" };
}

export function recordMissed(
  ss: ScheduleStatements,
  key: Key,
  missed: Missed,
  progress: number,
  now: number,
  extra: Record<string, unknown> = {},
): void {
  if (!row(ss, key)) return;
  ss.missed.run({ ...key, progress, count: missed.count });
  const data: Record<string, unknown> = { count: missed.count, first: new Date(missed.first).toISOString(), ...extra };
  if (missed.countCapped) data.countCapped = true;
  event(ss, key, now, "Missed", { nominal: missed.last, data });
}

export function startBufferedFire(tx: Tx, ss: ScheduleStatements, e: ScheduledExecution, now: number): BufferedResult {
  const key = { definitionId: e.definitionId, scheduleId: e.schedule.id };
  const nominal = e.schedule.scheduledFor;
  const r = row(ss, key);
  if (!r || r.buffered_fire !== nominal || r.version !== e.definitionVersion) return { outcome: "none" };
  if (ss.unfinished.get(key)) return { outcome: "waiting" };
  const execution = insertScheduled(tx, e, now);
  ss.bufferedStarted.run({ ...key, nominal });
  event(ss, key, now, "Fired", { nominal, executionId: e.id, data: { buffered: true } });
  return { outcome: "started", execution };
}

export function setPaused(ss: ScheduleStatements, key: Key, paused: boolean, actor: string | null, now: number): ScheduleRecord | null {
  if (!row(ss, key)) return null;
  ss.setPaused.run({ ...key, paused: paused ? 1 : 0, now, actor, action: paused ? "pause" : "resume" });
  event(ss, key, now, paused ? "Paused" : "Resumed", actor === null ? {} : { data: { actor } });
  return toRecord(row(ss, key)!);
}

export function trigger(tx: Tx, ss: ScheduleStatements, e: ScheduledExecution, actor: string | null, now: number): Execution | null {
  const key = { definitionId: e.definitionId, scheduleId: e.schedule.id };
  if (!row(ss, key)) return null;
  const execution = insertScheduled(tx, e, now);
  ss.triggered.run({ ...key, now, actor });
  event(ss, key, now, "Triggered", { nominal: e.schedule.scheduledFor, executionId: e.id, ...(actor === null ? {} : { data: { actor } }) });
  return execution;
}
