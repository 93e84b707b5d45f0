/**
 * Numbered schema migrations, embedded in the build. Each runs in one transaction that
 * records its version first; a database newer than this build is refused.
 */
import type { Database } from "./driver.ts";

const states = (list: readonly string[]) => list.map((s) => `'${s}'`).join(", ");
const EXECUTION_STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];
const EXECUTION_STATES = states(EXECUTION_STATUSES);
const TASK_STATES = states(["PENDING", "RUNNING", "RETRYING", "COMPLETED", "FAILED", "SKIPPED", "CANCELLED"]);

export const MIGRATIONS: readonly string[] = [
  // 1: definitions, executions, task runs, events
  `
  CREATE TABLE job_definitions (
    id         TEXT    NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    body       TEXT    NOT NULL,
    canonical  TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (id, version)
  ) WITHOUT ROWID;

  CREATE TABLE executions (
    seq                INTEGER PRIMARY KEY,
    id                 TEXT    NOT NULL UNIQUE,
    definition_id      TEXT    NOT NULL,
    definition_version INTEGER NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN (${EXECUTION_STATES})),
    input              TEXT    NOT NULL,
    output             TEXT,
    error              TEXT,
    created_at         INTEGER NOT NULL,
    started_at         INTEGER,
    end_time           INTEGER,
    FOREIGN KEY (definition_id, definition_version) REFERENCES job_definitions (id, version)
  );
  CREATE INDEX executions_by_status ON executions (status, seq);
  CREATE INDEX executions_by_definition ON executions (definition_id, status, seq);

  CREATE TABLE task_runs (
    execution_id    TEXT    NOT NULL REFERENCES executions (id),
    position        INTEGER NOT NULL,
    task_id         TEXT    NOT NULL,
    name            TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN (${TASK_STATES})),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    started_at      INTEGER,
    end_time        INTEGER,
    next_attempt_at INTEGER,
    output          TEXT,
    error           TEXT,
    PRIMARY KEY (execution_id, task_id)
  ) WITHOUT ROWID;

  CREATE TABLE events (
    seq          INTEGER PRIMARY KEY,
    execution_id TEXT    NOT NULL REFERENCES executions (id),
    at           INTEGER NOT NULL,
    type         TEXT    NOT NULL,
    task_id      TEXT,
    attempt      INTEGER,
    data         TEXT
  );
  CREATE INDEX events_by_execution ON events (execution_id, seq);
  `,
  // 2: exact counts per status without counting rows; one index for listing by definition
  `
  CREATE TABLE execution_counts (
    status TEXT    PRIMARY KEY CHECK (status IN (${EXECUTION_STATES})),
    n      INTEGER NOT NULL CHECK (n >= 0)
  ) WITHOUT ROWID;
  INSERT INTO execution_counts (status, n) VALUES ${EXECUTION_STATUSES.map((st) => `('${st}', 0)`).join(", ")};
  UPDATE execution_counts SET n = (SELECT COUNT(*) FROM executions WHERE executions.status = execution_counts.status);
  -- Listing by definition walks (definition_id, seq) newest first and checks status on the row:
  -- one index fewer to update on every status change.
  DROP INDEX executions_by_definition;
  CREATE INDEX executions_by_definition_seq ON executions (definition_id, seq);
  `,
  // 3: cancel, delayed start, redrive budgets, reruns, idempotent starts
  `
  ALTER TABLE executions ADD COLUMN run_at INTEGER;
  ALTER TABLE executions ADD COLUMN cancel_requested_at INTEGER;
  ALTER TABLE executions ADD COLUMN rerun_of TEXT;
  ALTER TABLE task_runs ADD COLUMN attempt_base INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE task_runs ADD COLUMN carried_over INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX executions_by_rerun_of ON executions (rerun_of) WHERE rerun_of IS NOT NULL;
  CREATE TABLE idempotency_keys (
    definition_id TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    request_hash  TEXT    NOT NULL,
    execution_id  TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (definition_id, key)
  ) WITHOUT ROWID;
  CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
  `,
  // 4: failure handlers still to run after the execution settled (survives a restart)
  `
  ALTER TABLE executions ADD COLUMN handlers_pending INTEGER NOT NULL DEFAULT 0;
  CREATE INDEX executions_handlers_pending ON executions (seq) WHERE handlers_pending = 1;
  `,
  // 5: task state moves into its execution's row, as a JSON array in definition order, so a
  // step (complete one task, start the next) is one UPDATE of one row instead of one per task
  // row. Outputs stay in rows of their own: they can be large, and the array is rewritten on
  // every step. A task without a row in task_outputs has the output null. No CHECK
  // (json_valid(tasks)): it would parse the array on every write (measured at 3-7% of
  // engine-5task), and only the store writes it, through JSON.stringify.
  `
  ALTER TABLE executions ADD COLUMN tasks TEXT NOT NULL DEFAULT '[]';
  CREATE TABLE task_outputs (
    execution_seq INTEGER NOT NULL REFERENCES executions (seq),
    task_id       TEXT    NOT NULL,
    output        TEXT    NOT NULL,
    PRIMARY KEY (execution_seq, task_id)
  ) WITHOUT ROWID;
  UPDATE executions SET tasks = (
    SELECT json_group_array(json_object(
      'taskId', task_id, 'name', name, 'status', status, 'attempts', attempts,
      'startedAt', started_at, 'endTime', end_time, 'nextAttemptAt', next_attempt_at, 'error', json(error),
      'attemptBase', attempt_base, 'carriedOver', json(CASE carried_over WHEN 1 THEN 'true' ELSE 'false' END)
    ) ORDER BY position)
    FROM task_runs WHERE task_runs.execution_id = executions.id
  ) WHERE EXISTS (SELECT 1 FROM task_runs WHERE task_runs.execution_id = executions.id);
  INSERT INTO task_outputs (execution_seq, task_id, output)
    SELECT x.seq, t.task_id, t.output FROM task_runs t JOIN executions x ON x.id = t.execution_id
    WHERE t.output IS NOT NULL AND t.output <> 'null';
  DROP TABLE task_runs;
  `,
  // 6: events point at their execution by its integer seq, not its 36-character id: a smaller
  // index, cheaper to insert into and to check the foreign key against. The events one write
  // appends to one execution share a row: the first in the row's columns, the others in
  // `more` (a JSON array of {at, type, taskId?, attempt?, data?}), numbered seq + 1, seq + 2, …
  // The store assigns seq, so numbers stay contiguous across rows.
  `
  CREATE TABLE events_by_seq (
    seq           INTEGER PRIMARY KEY,
    execution_seq INTEGER NOT NULL REFERENCES executions (seq),
    at            INTEGER NOT NULL,
    type          TEXT    NOT NULL,
    task_id       TEXT,
    attempt       INTEGER,
    data          TEXT,
    more          TEXT
  );
  INSERT INTO events_by_seq (seq, execution_seq, at, type, task_id, attempt, data)
    SELECT e.seq, x.seq, e.at, e.type, e.task_id, e.attempt, e.data FROM events e JOIN executions x ON x.id = e.execution_id ORDER BY e.seq;
  DROP TABLE events;
  ALTER TABLE events_by_seq RENAME TO events;
  CREATE INDEX events_by_execution ON events (execution_seq, seq);
  `,
  // 7: leases of remote attempts and the workers that poll for them. A lease is held while it
  // has not ended and has not expired; the answer to the call that ended it is kept, so a
  // worker repeating that call gets the same answer. Resolved params are never stored.
  `
  CREATE TABLE leases (
    lease_id      TEXT    PRIMARY KEY,
    execution_seq INTEGER NOT NULL REFERENCES executions (seq),
    task_id       TEXT    NOT NULL,
    attempt       INTEGER NOT NULL CHECK (attempt >= 1),
    worker_id     TEXT    NOT NULL,
    granted_at    INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL,
    ended_at      INTEGER,
    end_kind      TEXT    CHECK (end_kind IN ('completed', 'failed', 'expired', 'timedOut', 'cancelled')),
    request_hash  TEXT,
    task_status   TEXT    CHECK (task_status IN (${TASK_STATES}))
  ) WITHOUT ROWID;
  CREATE INDEX leases_open_by_expiry ON leases (expires_at) WHERE ended_at IS NULL;
  CREATE INDEX leases_by_attempt ON leases (execution_seq, task_id, attempt);
  CREATE TABLE workers (
    worker_id    TEXT    PRIMARY KEY,
    functions    TEXT    NOT NULL,
    last_seen_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX workers_by_last_seen ON workers (last_seen_at);
  `,
  // 8: flow control. A start's priority and its concurrency key's value are fixed at submit and
  // kept, so admission after a restart orders and limits what it finds exactly as before.
  `
  ALTER TABLE executions ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE executions ADD COLUMN concurrency_key TEXT;
  `,
  // 9: cron schedules. A fire is unique per (definition, schedule, nominal time): the partial
  // unique index holds even if two computations of one slot both reach the store. A manual
  // trigger is no slot (schedule_manual = 1) and stays out of it. The overlap check ("is an
  // execution of this schedule QUEUED or RUNNING?") searches executions_by_schedule.
  `
  ALTER TABLE executions ADD COLUMN schedule_id TEXT;
  ALTER TABLE executions ADD COLUMN scheduled_for INTEGER;
  ALTER TABLE executions ADD COLUMN schedule_manual INTEGER NOT NULL DEFAULT 0;
  CREATE UNIQUE INDEX executions_schedule_slot ON executions (definition_id, schedule_id, scheduled_for)
    WHERE schedule_id IS NOT NULL AND schedule_manual = 0;
  CREATE INDEX executions_by_schedule ON executions (definition_id, schedule_id, status) WHERE schedule_id IS NOT NULL;
  CREATE TABLE schedules (
    definition_id     TEXT    NOT NULL,
    schedule_id       TEXT    NOT NULL,
    version           INTEGER NOT NULL,
    spec              TEXT    NOT NULL,
    paused            INTEGER NOT NULL CHECK (paused IN (0, 1)),
    progress          INTEGER NOT NULL,
    last_fire         INTEGER,
    missed_count      INTEGER NOT NULL DEFAULT 0 CHECK (missed_count >= 0),
    skipped_count     INTEGER NOT NULL DEFAULT 0 CHECK (skipped_count >= 0),
    buffered_fire     INTEGER,
    last_action       TEXT    CHECK (last_action IN ('pause', 'resume', 'trigger')),
    last_action_at    INTEGER,
    last_action_actor TEXT,
    PRIMARY KEY (definition_id, schedule_id)
  ) WITHOUT ROWID;
  CREATE TABLE schedule_events (
    seq           INTEGER PRIMARY KEY,
    definition_id TEXT    NOT NULL,
    schedule_id   TEXT    NOT NULL,
    at            INTEGER NOT NULL,
    type          TEXT    NOT NULL,
    nominal       INTEGER,
    execution_id  TEXT,
    data          TEXT
  );
  CREATE INDEX schedule_events_by_schedule ON schedule_events (definition_id, schedule_id, seq);
  `,
  // 10: who registered a definition version: the name of the token (null without tokens).
  `
  ALTER TABLE job_definitions ADD COLUMN registered_by TEXT;
  `,
  // 11: the dashboard's failures by definition and error name since a time, read from this index
  // alone (covering, newest first). Partial: only a write into or out of FAILED touches it.
  `
  CREATE INDEX executions_failed ON executions (seq, definition_id, end_time, error) WHERE status = 'FAILED';
  `,
  // 12: retention deletes, with each execution, the idempotency keys that point at it. (It finds
  // the executions themselves by seq, with no index of its own: see retention.ts.)
  `
  CREATE INDEX idempotency_keys_by_execution ON idempotency_keys (execution_id);
  `,
  // 13: the dashboard's bulk operations (redrive, cancel of many), their scope and progress, so a
  // page reload or a restart finds them (see domain/operation-store.ts).
  `
  CREATE TABLE operations (
    seq        INTEGER PRIMARY KEY,
    id         TEXT    NOT NULL UNIQUE,
    kind       TEXT    NOT NULL CHECK (kind IN ('redrive', 'cancel')),
    scope      TEXT    NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'INTERRUPTED')),
    total      INTEGER,
    processed  INTEGER NOT NULL DEFAULT 0,
    changed    INTEGER NOT NULL DEFAULT 0,
    skipped    INTEGER NOT NULL DEFAULT 0,
    failed     INTEGER NOT NULL DEFAULT 0,
    cursor     TEXT    NOT NULL,
    actor      TEXT,
    created_at INTEGER NOT NULL,
    started_at INTEGER,
    updated_at INTEGER NOT NULL,
    ended_at   INTEGER,
    last_error TEXT
  );
  CREATE INDEX operations_unfinished ON operations (seq) WHERE status IN ('QUEUED', 'RUNNING');
  `,
];

export class SchemaTooNewError extends Error {
  override name = "SchemaTooNewError";
}

/**
 * Applies every migration the database lacks. Returns the schema version. `onUpgrade` hears
 * of an existing database about to be upgraded (a large one can take seconds per migration).
 */
export function migrate(db: Database, onUpgrade: (from: number, to: number) => void = () => {}): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
  const row = db.query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations").get() as { v: number };
  if (row.v > MIGRATIONS.length) {
    throw new SchemaTooNewError(
      `the database has schema version ${row.v} but this Baton knows only ${MIGRATIONS.length}: run a newer Baton, or point --db at another file`,
    );
  }
  if (row.v > 0 && row.v < MIGRATIONS.length) onUpgrade(row.v, MIGRATIONS.length);
  for (let version = row.v + 1; version <= MIGRATIONS.length; version++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)").run(version, Date.now());
      db.exec(MIGRATIONS[version - 1]!);
      db.exec("COMMIT");
    } catch (err) {
      if (db.inTransaction) db.exec("ROLLBACK");
      throw err;
    }
  }
  return MIGRATIONS.length;
}
