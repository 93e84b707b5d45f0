/**
 * Retention's SQL: deleting a bounded batch of old terminal executions with everything that
 * belongs to them (events, task outputs, leases, idempotency keys) inside one group-commit
 * transaction, and giving freed pages back with `incremental_vacuum`.
 *
 * The candidates are read in `seq` order (creation order) over a primary-key range, with no
 * index of their own: an index on `end_time` cost every ending execution one more B-tree write,
 * about 5% of engine-1task's throughput (docs/performance.md). An execution ends after it was
 * created, so one that ended before the cutoff was created before it: the range stops at the
 * first execution created at or after the cutoff (a binary search over the primary key), and a
 * batch reads the rows of that range that are not finished or must stay (handlers pending, a
 * stored rerun pointing at it) again, never the whole table. Under the cap the oldest finished
 * ones go first. Schedule history rows that name a deleted execution stay: they are the
 * schedule's history.
 */
import type { ExpiryRule } from "../../domain/store.ts";
import type { Database, Statement } from "./driver.ts";
import type { Tx } from "./writes.ts";

/** What may go: terminal, no handler left to run, and no stored rerun pointing at it. */
const DELETABLE = `x.status IN ('COMPLETED', 'FAILED', 'CANCELLED') AND x.handlers_pending = 0
  AND NOT EXISTS (SELECT 1 FROM executions r WHERE r.rerun_of = x.id)`;

const SQL = {
  endedBefore: `SELECT x.seq, x.id, x.status FROM executions x NOT INDEXED
    WHERE x.seq < $upto AND x.end_time < $before AND ${DELETABLE} ORDER BY x.seq LIMIT $limit`,
  oldestFinished: `SELECT x.seq, x.id, x.status FROM executions x NOT INDEXED
    WHERE x.end_time IS NOT NULL AND ${DELETABLE} ORDER BY x.seq LIMIT $limit`,
  countEndedBefore: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM executions
    WHERE seq < $upto AND end_time < $before LIMIT $max)`,
  stored: "SELECT COALESCE(SUM(n), 0) AS n FROM execution_counts",
  deleteEvents: "DELETE FROM events WHERE execution_seq = $seq",
  deleteOutputs: "DELETE FROM task_outputs WHERE execution_seq = $seq",
  deleteLeases: "DELETE FROM leases WHERE execution_seq = $seq",
  deleteKeys: "DELETE FROM idempotency_keys WHERE execution_id = $id",
  deleteExecution: "DELETE FROM executions WHERE seq = $seq",
  freePages: "PRAGMA freelist_count",
};

export type RetentionStatements = { [K in keyof typeof SQL]: Statement } & {
  db: Database;
  /** The seq of the first execution created at or after a time (`reads.firstSeqCreatedAt`). */
  firstSeqCreatedAt: (at: number) => number;
};

export function prepareRetentionStatements(db: Database, firstSeqCreatedAt: (at: number) => number): RetentionStatements {
  const prepared = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)]));
  return { ...(prepared as { [K in keyof typeof SQL]: Statement }), db, firstSeqCreatedAt };
}

interface Candidate {
  seq: number;
  id: string;
  status: string;
}

/** Executions stored now, every status (the counts kept per status, not a row count). */
const storedCount = (rs: RetentionStatements) => (rs.stored.get() as { n: number }).n;

/** Deletes up to `rule.limit` executions the rule selects, in the caller's transaction; returns how many. */
export function deleteExpired(tx: Tx, rs: RetentionStatements, rule: ExpiryRule): number {
  const limit = Math.max(0, Math.floor(rule.limit));
  let deleted = 0;
  if (rule.endedBefore !== null && limit > 0) {
    const upto = rs.firstSeqCreatedAt(rule.endedBefore);
    deleted += remove(tx, rs, rs.endedBefore.all({ upto, before: rule.endedBefore, limit }) as Candidate[]);
  }
  if (rule.keepAtMost > 0 && deleted < limit) {
    // Those ended before the cutoff are gone already (fewer than `limit` were found); the kept
    // counts take this transaction's deletes only at its commit, hence `- deleted`.
    const excess = storedCount(rs) - deleted - rule.keepAtMost;
    if (excess > 0) deleted += remove(tx, rs, rs.oldestFinished.all({ limit: Math.min(limit - deleted, excess) }) as Candidate[]);
  }
  return deleted;
}

function remove(tx: Tx, rs: RetentionStatements, doomed: readonly Candidate[]): number {
  for (const { seq, id, status } of doomed) {
    rs.deleteEvents.run({ seq });
    rs.deleteOutputs.run({ seq });
    rs.deleteLeases.run({ seq });
    rs.deleteKeys.run({ id });
    rs.deleteExecution.run({ seq });
    tx.deltas.add(status, -1);
  }
  return doomed.length;
}

/**
 * About how many the rule still selects, at most `max`: those ended before the cutoff, or the
 * excess over the cap if larger. Counting 900,000 index entries took 30-50 ms; 100,000 about 4.
 */
export function countExpired(rs: RetentionStatements, rule: ExpiryRule, max: number): number {
  const before = rule.endedBefore;
  const old = before === null ? 0 : (rs.countEndedBefore.get({ upto: rs.firstSeqCreatedAt(before), before, max }) as { n: number }).n;
  return Math.min(max, Math.max(old, rule.keepAtMost > 0 ? storedCount(rs) - rule.keepAtMost : 0));
}

/** Runs `incremental_vacuum` for up to `maxPages` pages in the caller's transaction; returns the pages still free. */
export function releaseFreePages(rs: RetentionStatements, maxPages: number): number {
  const pages = Math.max(0, Math.floor(maxPages));
  if (pages > 0) rs.db.query(`PRAGMA incremental_vacuum(${pages})`).all();
  return (rs.freePages.get() as { freelist_count: number }).freelist_count;
}
