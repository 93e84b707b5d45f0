/**
 * Query plans of the SQLite store: no statement scans a large table without an index, and the
 * hot reads (recovery, counts, listing, history) search the index meant for them.
 */
import { describe, expect, test } from "bun:test";
import { openDatabase } from "./driver.ts";
import { SqliteStore } from "./store.ts";

describe("query plans", () => {
  /** Every SQL text the store prepares, captured as it is built. */
  function preparedSql(): string[] {
    const raw = openDatabase({ path: ":memory:" });
    const seen: string[] = [];
    const prepare = raw.prepare.bind(raw);
    raw.prepare = (sql: string) => {
      seen.push(sql);
      return prepare(sql);
    };
    new SqliteStore(raw);
    plans = (sql) => (raw.query(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail);
    return seen;
  }
  let plans: (sql: string) => string[] = () => [];
  const find = (all: string[], pattern: RegExp) => {
    const hits = all.filter((s) => pattern.test(s.replace(/\s+/g, " ")));
    expect(hits).toHaveLength(1);
    return hits[0]!;
  };

  test("no statement scans executions, task_outputs, events or leases without an index", () => {
    const all = preparedSql();
    expect(all.length).toBeGreaterThan(20);
    for (const sql of all) {
      for (const detail of plans(sql)) {
        expect({ sql, detail }).not.toEqual({
          sql,
          detail: expect.stringMatching(/^SCAN (executions|task_outputs|events|leases|l|schedule_events)\b(?!.*USING)/),
        });
      }
    }
  });

  test("recover's, systemCounts' and the list queries search by index", () => {
    const all = preparedSql();
    const expectations: [RegExp, RegExp][] = [
      [
        /^SELECT id, seq FROM executions WHERE status = \$status ORDER BY seq$/,
        /^SEARCH executions USING (COVERING )?INDEX executions_by_status \(status=\?\)$/,
      ],
      [/ORDER BY seq LIMIT \$limit$/, /^SEARCH executions USING (COVERING )?INDEX executions_by_status \(status=\?\)$/],
      [/^SELECT n FROM execution_counts WHERE status = \$status$/, /^SEARCH execution_counts USING PRIMARY KEY \(status=\?\)$/],
      [/^UPDATE executions SET status = 'QUEUED' WHERE seq/, /^SEARCH executions USING INTEGER PRIMARY KEY \(rowid=\?\)$/],
      [
        /^SELECT seq, status, cancel_requested_at, tasks FROM executions WHERE id = \$id$/,
        /^SEARCH executions USING INDEX sqlite_autoindex_executions_1 \(id=\?\)$/,
      ],
      // The pages: the cursor and a created-time range are both bounds on seq.
      [
        /FROM executions WHERE seq < \$before AND seq >= \$after ORDER BY seq DESC/,
        /^SEARCH executions USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)$/,
      ],
      [
        /FROM executions WHERE status = \$status AND seq < \$before/,
        /^SEARCH executions USING INDEX executions_by_status \(status=\? AND seq>\? AND seq<\?\)$/,
      ],
      [
        /FROM executions WHERE definition_id = \$definitionId AND seq/,
        /^SEARCH executions USING INDEX executions_by_definition_seq \(definition_id=\? AND seq>\? AND seq<\?\)$/,
      ],
      [
        /WHERE definition_id = \$definitionId AND status = \$status AND seq/,
        /^SEARCH executions USING INDEX executions_by_definition_seq \(definition_id=\? AND seq>\? AND seq<\?\)$/,
      ],
      // The time range's bound: a binary search of point lookups.
      [/^SELECT seq, created_at FROM executions WHERE seq >= \$seq/, /^SEARCH executions USING INTEGER PRIMARY KEY \(rowid>\?\)$/],
      [
        /^SELECT id, definition_id, .* run_at FROM executions WHERE status = 'QUEUED' ORDER BY seq$/,
        /^SEARCH executions USING INDEX executions_by_status \(status=\?\)$/,
      ],
      [/FROM executions WHERE status = 'RUNNING' ORDER BY seq$/, /^SEARCH executions USING INDEX executions_by_status \(status=\?\)$/],
      [
        /^SELECT started_at FROM executions WHERE definition_id = \$definitionId/,
        /^SEARCH executions USING INDEX executions_by_definition/,
      ],
      [/^SELECT id FROM executions WHERE rerun_of = \$id/, /^SEARCH executions USING INDEX executions_by_rerun_of \(rerun_of=\?\)$/],
      [
        /FROM events WHERE execution_seq = \$executionSeq ORDER BY seq$/,
        /^SEARCH events USING INDEX events_by_execution \(execution_seq=\?\)$/,
      ],
      // Retention: candidates by when they ended (never a scan of executions), keys by execution.
      // Retention reads a primary-key range (creation order), with no index of its own.
      [/x\.end_time < \$before AND/, /^SEARCH x USING INTEGER PRIMARY KEY \(rowid<\?\)$/],
      [/WHERE x\.end_time IS NOT NULL AND/, /^SCAN x$/],
      [/^DELETE FROM idempotency_keys WHERE execution_id/, /^SEARCH idempotency_keys USING INDEX idempotency_keys_by_execution/],
      // A schedule's fire: the overlap check and the slot check, then its history.
      [
        /AND status IN \('QUEUED', 'RUNNING'\) LIMIT 1$/,
        /^SEARCH executions USING COVERING INDEX executions_by_schedule \(definition_id=\? AND schedule_id=\? AND status=\?\)$/,
      ],
      [
        /AND scheduled_for = \$nominal AND schedule_manual = 0$/,
        /^SEARCH executions USING COVERING INDEX executions_schedule_slot \(definition_id=\? AND schedule_id=\? AND scheduled_for=\?\)$/,
      ],
      [
        /FROM schedule_events WHERE definition_id/,
        /^SEARCH schedule_events USING INDEX schedule_events_by_schedule \(definition_id=\? AND schedule_id=\? AND seq<\?\)$/,
      ],
    ];
    for (const [statement, plan] of expectations) {
      const sql = find(all, statement);
      expect({ sql, plan: plans(sql)[0] }).toEqual({ sql, plan: expect.stringMatching(plan) });
    }
    // The list by error name walks the failures' partial index newest first.
    expect(plans(find(all, /INDEXED BY executions_failed WHERE status = 'FAILED' AND json_extract/))).toEqual([
      "SEARCH executions USING INDEX executions_failed (seq>? AND seq<?)",
    ]);
    // A search reads one definition's range by its index, newest first; its matches by primary key.
    expect(plans(find(all, /AS hit FROM executions WHERE seq < \$before/))).toEqual([
      "SEARCH executions USING INDEX executions_by_definition_seq (definition_id=? AND seq>? AND seq<?)",
    ]);
    expect(plans(find(all, /^SELECT .* FROM executions WHERE seq = \$seq$/))).toEqual([
      "SEARCH executions USING INTEGER PRIMARY KEY (rowid=?)",
    ]);
    // The workers page's leases: the held ones from the open leases' partial index, soonest to expire first (no sort), and their count.
    expect(plans(find(all, /^SELECT l\.lease_id, l\.worker_id, x\.id AS execution_id/))).toEqual([
      "SEARCH l USING INDEX leases_open_by_expiry (expires_at>?)",
      "SEARCH x USING INTEGER PRIMARY KEY (rowid=?)",
    ]);
    expect(plans(find(all, /^SELECT COUNT\(\*\) AS n FROM leases WHERE ended_at IS NULL/))).toEqual([
      "SEARCH leases USING INDEX leases_open_by_expiry (expires_at>?)",
    ]);
    // The workers with the leases each holds: the open leases counted in one pass for all of them, not once per worker.
    expect(plans(find(all, /^SELECT w\.worker_id, w\.functions/))).toEqual([
      "MATERIALIZE h",
      "SEARCH leases USING INDEX leases_open_by_expiry (expires_at>?)",
      "USE TEMP B-TREE FOR GROUP BY",
      "SCAN w",
      "SEARCH h USING AUTOMATIC COVERING INDEX (worker_id=?) LEFT-JOIN",
    ]);
    // The failures since a time: the newest of them, read from the partial index alone, never a row of the table.
    expect(plans(find(all, /^SELECT definition_id, json_extract/))).toContain(
      "SEARCH executions USING COVERING INDEX executions_failed (seq>?)",
    );
  });
});
