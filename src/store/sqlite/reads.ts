/** Every read of the SQLite store: definitions, executions with their outputs, pages (by time range too), history, counts and failures. */
import type {
  ActivityBucket,
  ExecutionEventRecord,
  ExecutionPage,
  ExecutionWithTasks,
  FailureSummary,
  ListFilter,
  StoredDefinition,
  SystemCounts,
} from "../../domain/model.ts";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../../domain/states.ts";
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

/** True when the database answers a read. */
export function ping(s: Statements): boolean {
  try {
    return (s.ping.get() as { ok: number }).ok === 1;
  } catch {
    return false;
  }
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

export function listExecutions(s: Statements, filter: ListFilter): ExecutionPage {
  const { status, definitionId, cursor, limit, createdFrom, createdTo, errorName } = filter;
  if (errorName !== undefined && status !== undefined && status !== "FAILED") return { executions: [], nextCursor: null };
  let before = cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(cursor);
  if (createdTo !== undefined) before = Math.min(before, firstSeqCreatedAt(s, createdTo));
  const after = createdFrom === undefined ? 0 : firstSeqCreatedAt(s, createdFrom);
  const params = {
    status: status ?? null,
    definitionId: definitionId ?? null,
    errorName: errorName ?? null,
    before,
    after,
    limit: limit + 1,
  };
  if (filter.search !== undefined) return search(s, filter, params);
  const stmt =
    errorName !== undefined
      ? s.listFailedByError
      : status && definitionId
        ? s.listByBoth
        : status
          ? s.listByStatus
          : definitionId
            ? s.listByDefinition
            : s.listAll;
  const rows = stmt.all(params) as ExecutionRow[];
  const page = rows.slice(0, limit);
  return {
    executions: page.map(toExecution),
    nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
  };
}

/**
 * `listExecutions` with `search`: reads at most `scan` executions of the definition's range,
 * newest first, and stops early once a page of matches is found. The cursor is the last
 * execution read, so the next page reads on; null once the range is read to its end.
 */
function search(s: Statements, filter: ListFilter, range: { status: string | null; before: number; after: number }): ExecutionPage {
  const { text, scan } = filter.search!;
  if (filter.definitionId === undefined) throw new Error("a search needs a definitionId: it reads one definition's range");
  const { status, before, after } = range;
  // One row past the cap says whether the range goes on after it.
  const rows = s.searchScan.all({ status, before, after, definitionId: filter.definitionId, text, scan: scan + 1 }) as {
    seq: number;
    hit: number;
  }[];
  const hits: number[] = [];
  let scanned = 0;
  for (const row of rows.slice(0, scan)) {
    scanned++;
    if (row.hit && hits.push(row.seq) === filter.limit) break;
  }
  const more = scanned < rows.length;
  return {
    executions: hits.map((seq) => toExecution(s.executionBySeq.get({ seq }) as ExecutionRow)),
    nextCursor: more && scanned > 0 ? String(rows[scanned - 1]!.seq) : null,
    scanned,
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
  // Reads run between batches on the one connection, so these see one state.
  const byStatus = Object.fromEntries(EXECUTION_STATUSES.map((status) => [status, 0])) as Record<ExecutionStatus, number>;
  for (const r of s.allCounts.all() as { status: ExecutionStatus; n: number }[]) byStatus[r.status] = r.n;
  return {
    running: (s.idsByStatus.all({ status: "RUNNING" }) as { id: string }[]).map((r) => r.id),
    queued: (s.firstIdsByStatus.all({ status: "QUEUED", limit: queuedLimit }) as { id: string }[]).map((r) => r.id),
    queuedCount: byStatus.QUEUED,
    completedCount: byStatus.COMPLETED,
    byStatus,
  };
}

export function failuresSince(s: Statements, since: number, limit: number, scan: number): FailureSummary {
  const rows = s.failuresSince.all({ after: firstSeqCreatedAt(s, since), scan }) as {
    definition_id: string;
    error_name: string | null;
    n: number;
    last_at: number;
  }[];
  const counted = rows.reduce((sum, r) => sum + r.n, 0);
  const groups = rows
    .slice(0, limit)
    .map((r) => ({ definitionId: r.definition_id, errorName: r.error_name, count: r.n, lastAt: r.last_at }));
  return { groups, counted, capped: counted >= scan };
}

/**
 * Each stretch's bounds are found as the list's time range is (`firstSeqCreatedAt`, about 20
 * lookups each); the executions created in it are the seqs between them (seqs are given in
 * insertion order, so a stretch's executions deleted since, by retention, still count), and its
 * failures are counted on the partial index of FAILED executions, at most `scan` a stretch.
 */
export function activity(s: Statements, from: number, stepMs: number, buckets: number, scan: number): ActivityBucket[] {
  // The search answers 0 before the first execution; seqs start higher (and retention moves the first up).
  const first = (s.createdAtOrAfterSeq.get({ seq: 0 }) as { seq: number } | null)?.seq ?? 0;
  const bounds = Array.from({ length: buckets + 1 }, (_, i) => Math.max(first, firstSeqCreatedAt(s, from + i * stepMs)));
  return Array.from({ length: buckets }, (_, i) => {
    const [lo, hi] = [bounds[i] as number, bounds[i + 1] as number];
    const failed = hi > lo ? (s.failedBetween.get({ from: lo, to: hi, scan }) as { n: number }).n : 0;
    return { from: from + i * stepMs, created: hi - lo, failed, capped: failed >= scan };
  });
}

/**
 * The seq of the first execution created at or after `at` (one past the last when none is):
 * a binary search over the primary key, about 20 lookups at a million rows, no index on
 * `created_at` to keep up on every insert. Exact while `created_at` grows with `seq`, which holds
 * unless the system clock stepped back between two submissions.
 */
export function firstSeqCreatedAt(s: Statements, at: number): number {
  let lo = 0;
  let hi = ((s.lastSeq.get() as { seq: number | null }).seq ?? 0) + 1;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    const row = s.createdAtOrAfterSeq.get({ seq: mid }) as { seq: number; created_at: number } | null;
    if (row === null || row.created_at >= at) hi = mid;
    else lo = row.seq + 1;
  }
  return lo;
}
