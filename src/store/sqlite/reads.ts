/** Every read of the SQLite store: definitions, executions with their outputs, pages, history and counts. */
import type {
  ExecutionEventRecord,
  ExecutionPage,
  ExecutionWithTasks,
  ListFilter,
  StoredDefinition,
  SystemCounts,
} from "../../domain/model.ts";
import type { ExecutionStatus } from "../../domain/states.ts";
import type { TaskState } from "../../domain/transitions.ts";
import {
  type DefinitionRow,
  type ExecutionRow,
  type ExecutionWithTasksRow,
  parseTasks,
  toDefinition,
  toExecution,
  withOutputs,
} from "./codec.ts";
import { readEvents, type Target } from "./events.ts";
import type { Statements } from "./statements.ts";

const NO_OUTPUTS: ReadonlyMap<string, unknown> = new Map();

/** The outputs of `tasks`, read only when one of them has completed (only a completed task has one). */
export function outputsOf(s: Statements, x: Target, tasks: readonly TaskState[]): ReadonlyMap<string, unknown> {
  if (!tasks.some((t) => t.status === "COMPLETED")) return NO_OUTPUTS;
  const rows = s.outputsOf.all({ seq: x.seq }) as { task_id: string; output: string }[];
  return new Map(rows.map((r) => [r.task_id, JSON.parse(r.output)]));
}

export function getDefinition(s: Statements, id: string, version?: number): StoredDefinition | null {
  const row = (version === undefined ? s.latestDefinition.get({ id }) : s.definitionVersion.get({ id, version })) as DefinitionRow | null;
  return row ? toDefinition(row) : null;
}

export const listDefinitions = (s: Statements): StoredDefinition[] => (s.listDefinitions.all() as DefinitionRow[]).map(toDefinition);

export const definitionVersions = (s: Statements, id: string): number[] =>
  (s.definitionVersions.all({ id }) as { version: number }[]).map((r) => r.version);

export function loadExecution(s: Statements, executionId: string): ExecutionWithTasks | null {
  const row = s.execution.get({ id: executionId }) as ExecutionWithTasksRow | null;
  if (!row) return null;
  const tasks = parseTasks(row.tasks);
  return { ...toExecution(row), tasks: withOutputs(tasks, outputsOf(s, { id: executionId, seq: row.seq }, tasks)) };
}

export function listExecutions(s: Statements, { status, definitionId, cursor, limit }: ListFilter): ExecutionPage {
  const before = cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(cursor);
  const params = { status: status ?? null, definitionId: definitionId ?? null, before, limit: limit + 1 };
  const stmt = status && definitionId ? s.listByBoth : status ? s.listByStatus : definitionId ? s.listByDefinition : s.listAll;
  const rows = stmt.all(params) as ExecutionRow[];
  const page = rows.slice(0, limit);
  return {
    executions: page.map(toExecution),
    nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
  };
}

export function events(s: Statements, executionId: string): ExecutionEventRecord[] | null {
  const found = s.seqOf.get({ id: executionId }) as { seq: number } | null;
  return found ? readEvents(s, { id: executionId, seq: found.seq }) : null;
}

/** When the latest (at most `limit`) executions of a definition first started, at or after `since`, newest first. */
export const recentStarts = (s: Statements, definitionId: string, since: number, limit: number): number[] =>
  (s.recentStarts.all({ definitionId, since, limit }) as { started_at: number }[]).map((r) => r.started_at);

export const rerunsOf = (s: Statements, executionId: string): string[] =>
  (s.rerunsOf.all({ id: executionId }) as { id: string }[]).map((r) => r.id);

export function systemCounts(s: Statements, queuedLimit: number): SystemCounts {
  // Reads run between batches on the one connection, so these four see one state.
  const count = (status: ExecutionStatus) => (s.countOf.get({ status }) as { n: number } | null)?.n ?? 0;
  return {
    running: (s.idsByStatus.all({ status: "RUNNING" }) as { id: string }[]).map((r) => r.id),
    queued: (s.firstIdsByStatus.all({ status: "QUEUED", limit: queuedLimit }) as { id: string }[]).map((r) => r.id),
    queuedCount: count("QUEUED"),
    completedCount: count("COMPLETED"),
  };
}
