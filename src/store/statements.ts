/** Every SQL statement of the SQLite store, prepared once when the store is built. */
import type { Database, Statement } from "./driver.ts";

const EXECUTION_COLUMNS =
  "seq, id, definition_id, definition_version, status, input, output, error, created_at, started_at, end_time, run_at, cancel_requested_at, rerun_of, handlers_pending";

const SQL = {
  ping: "SELECT 1 AS ok",
  latestDefinitionCanonical: "SELECT version, canonical FROM job_definitions WHERE id = $id ORDER BY version DESC LIMIT 1",
  latestDefinition: "SELECT id, version, body, created_at FROM job_definitions WHERE id = $id ORDER BY version DESC LIMIT 1",
  definitionVersion: "SELECT id, version, body, created_at FROM job_definitions WHERE id = $id AND version = $version",
  definitionVersions: "SELECT version FROM job_definitions WHERE id = $id ORDER BY version",
  listDefinitions: `SELECT d.id, d.version, d.body, d.created_at FROM job_definitions d
    WHERE d.version = (SELECT MAX(version) FROM job_definitions WHERE id = d.id) ORDER BY d.id`,
  insertDefinition: "INSERT INTO job_definitions (id, version, body, canonical, created_at) VALUES ($id, $version, $body, $canonical, $now)",

  insertExecution: `INSERT INTO executions (id, definition_id, definition_version, status, input, created_at, run_at, rerun_of)
    VALUES ($id, $definitionId, $definitionVersion, 'QUEUED', $input, $now, $runAt, $rerunOf)`,
  insertTask: "INSERT INTO task_runs (execution_id, position, task_id, name, status) VALUES ($executionId, $position, $taskId, $name, 'PENDING')",
  insertCarriedTask: `INSERT INTO task_runs (execution_id, position, task_id, name, status, output, carried_over, end_time)
    VALUES ($executionId, $position, $taskId, $name, 'COMPLETED', $output, 1, $now)`,
  idempotencyKey: "SELECT request_hash, execution_id, created_at FROM idempotency_keys WHERE definition_id = $definitionId AND key = $key",
  putIdempotencyKey: `INSERT INTO idempotency_keys (definition_id, key, request_hash, execution_id, created_at)
    VALUES ($definitionId, $key, $requestHash, $executionId, $now)
    ON CONFLICT (definition_id, key) DO UPDATE SET request_hash = excluded.request_hash, execution_id = excluded.execution_id, created_at = excluded.created_at`,
  purgeIdempotencyKeys: "DELETE FROM idempotency_keys WHERE created_at < $before",
  statusOf: "SELECT status, cancel_requested_at FROM executions WHERE id = $id",
  cancelQueued: "UPDATE executions SET status = 'CANCELLED', end_time = $now WHERE id = $id AND status = 'QUEUED'",
  requestCancel: "UPDATE executions SET cancel_requested_at = $now WHERE id = $id AND status = 'RUNNING' AND cancel_requested_at IS NULL",
  unfinishedTasks: "SELECT task_id FROM task_runs WHERE execution_id = $id AND status IN ('PENDING', 'RUNNING', 'RETRYING') ORDER BY position",
  cancelTask: `UPDATE task_runs SET status = 'CANCELLED', end_time = $now, next_attempt_at = NULL
    WHERE execution_id = $executionId AND task_id = $taskId AND status IN ('PENDING', 'RUNNING', 'RETRYING')`,
  redriveExecution: `UPDATE executions SET status = 'QUEUED', output = NULL, error = NULL, end_time = NULL, cancel_requested_at = NULL, run_at = NULL
    WHERE id = $id AND status IN ('FAILED', 'CANCELLED')`,
  redriveTasks: `UPDATE task_runs SET status = 'PENDING', attempt_base = attempts, error = NULL, output = NULL, end_time = NULL, next_attempt_at = NULL
    WHERE execution_id = $id AND status IN ('FAILED', 'SKIPPED', 'CANCELLED') RETURNING task_id`,
  rerunsOf: "SELECT id FROM executions WHERE rerun_of = $id ORDER BY seq",
  queuedWithRunAt: "SELECT id, run_at FROM executions WHERE status = 'QUEUED' ORDER BY seq",
  admit: "UPDATE executions SET status = 'RUNNING', started_at = COALESCE(started_at, $now) WHERE id = $id AND status = 'QUEUED'",
  admitFirst: `UPDATE executions SET status = 'RUNNING', started_at = $now WHERE id = $id AND status = 'QUEUED' AND started_at IS NULL
    RETURNING ${EXECUTION_COLUMNS}`,
  requeue: "UPDATE executions SET status = 'QUEUED' WHERE id = $id AND status = 'RUNNING'",
  idsByStatus: "SELECT id FROM executions WHERE status = $status ORDER BY seq",
  firstIdsByStatus: "SELECT id FROM executions WHERE status = $status ORDER BY seq LIMIT $limit",
  countOf: "SELECT n FROM execution_counts WHERE status = $status",
  bumpCount: "UPDATE execution_counts SET n = n + $n WHERE status = $status",
  isRunning: "SELECT 1 AS ok FROM executions WHERE id = $id AND status = 'RUNNING'",
  execution: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE id = $id`,
  executionExists: "SELECT 1 AS ok FROM executions WHERE id = $id",
  tasksOf: `SELECT task_id, name, status, attempts, started_at, end_time, next_attempt_at, output, error, attempt_base, carried_over
    FROM task_runs WHERE execution_id = $id ORDER BY position`,

  startAttempt: `UPDATE task_runs SET status = 'RUNNING', attempts = $attempt, started_at = COALESCE(started_at, $now), next_attempt_at = NULL
    WHERE execution_id = $executionId AND task_id = $taskId AND status IN ('PENDING', 'RETRYING') AND attempts = $attempt - 1`,
  resumeAttempt: `UPDATE task_runs SET started_at = COALESCE(started_at, $now)
    WHERE execution_id = $executionId AND task_id = $taskId AND status = 'RUNNING' AND attempts = $attempt`,
  completeTask: `UPDATE task_runs SET status = 'COMPLETED', output = $output, error = NULL, end_time = $now
    WHERE execution_id = $executionId AND task_id = $taskId AND status = 'RUNNING' AND attempts = $attempt`,
  retryTask: `UPDATE task_runs SET status = 'RETRYING', error = $error, next_attempt_at = $nextAttemptAt
    WHERE execution_id = $executionId AND task_id = $taskId AND status = 'RUNNING' AND attempts = $attempt`,
  failTask: `UPDATE task_runs SET status = 'FAILED', error = $error, end_time = $now
    WHERE execution_id = $executionId AND task_id = $taskId AND status = 'RUNNING' AND attempts = $attempt`,
  skipTask: `UPDATE task_runs SET status = 'SKIPPED', end_time = $now
    WHERE execution_id = $executionId AND task_id = $taskId AND status = 'PENDING'`,
  finishExecution: `UPDATE executions SET status = $status, output = $output, error = $error, end_time = $now, handlers_pending = $handlersPending
    WHERE id = $id AND status = 'RUNNING'`,
  handlersDone: "UPDATE executions SET handlers_pending = 0 WHERE id = $id AND handlers_pending = 1",
  handlersPending: "SELECT id FROM executions WHERE handlers_pending = 1 ORDER BY seq",

  listAll: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE seq < $before ORDER BY seq DESC LIMIT $limit`,
  listByStatus: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE status = $status AND seq < $before ORDER BY seq DESC LIMIT $limit`,
  listByDefinition: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE definition_id = $definitionId AND seq < $before ORDER BY seq DESC LIMIT $limit`,
  listByBoth: `SELECT ${EXECUTION_COLUMNS} FROM executions
    WHERE definition_id = $definitionId AND status = $status AND seq < $before ORDER BY seq DESC LIMIT $limit`,

  insertEvent: "INSERT INTO events (execution_id, at, type, task_id, attempt, data) VALUES ($executionId, $at, $type, $taskId, $attempt, $data)",
  eventsOf: "SELECT seq, execution_id, at, type, task_id, attempt, data FROM events WHERE execution_id = $id ORDER BY seq",
} as const;

export type Statements = { [K in keyof typeof SQL]: Statement };

export function prepareStatements(db: Database): Statements {
  return Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
}
