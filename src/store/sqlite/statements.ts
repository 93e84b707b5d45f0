/** Every SQL statement of the SQLite store, prepared once when the store is built. */
import type { Database, Statement } from "./driver.ts";

const EXECUTION_COLUMNS =
  "seq, id, definition_id, definition_version, status, input, output, error, created_at, started_at, end_time, run_at, cancel_requested_at, rerun_of, handlers_pending, priority, concurrency_key, schedule_id, scheduled_for";
/** An execution with its task states: what one write reads, changes in memory and writes back. */
const EXECUTION_WITH_TASKS = `${EXECUTION_COLUMNS}, tasks`;

export const SQL = {
  // A read of a real table (a few rows), not `SELECT 1`, which never opens a read transaction on
  // the file: /livez and systemd's watchdog ask whether the database itself answers.
  ping: "SELECT count(*) >= 0 AS ok FROM execution_counts",
  latestDefinitionCanonical: "SELECT version, canonical FROM job_definitions WHERE id = $id ORDER BY version DESC LIMIT 1",
  latestDefinition: "SELECT id, version, body, created_at, registered_by FROM job_definitions WHERE id = $id ORDER BY version DESC LIMIT 1",
  definitionVersion: "SELECT id, version, body, created_at, registered_by FROM job_definitions WHERE id = $id AND version = $version",
  definitionVersions: "SELECT version FROM job_definitions WHERE id = $id ORDER BY version",
  listDefinitions: `SELECT d.id, d.version, d.body, d.created_at, d.registered_by FROM job_definitions d
    WHERE d.version = (SELECT MAX(version) FROM job_definitions WHERE id = d.id) ORDER BY d.id`,
  insertDefinition:
    "INSERT INTO job_definitions (id, version, body, canonical, created_at, registered_by) VALUES ($id, $version, $body, $canonical, $now, $actor)",

  insertExecution: `INSERT INTO executions (id, definition_id, definition_version, status, input, created_at, started_at, run_at, rerun_of, tasks,
    priority, concurrency_key, schedule_id, scheduled_for, schedule_manual)
    VALUES ($id, $definitionId, $definitionVersion, $status, $input, $now, $startedAt, $runAt, $rerunOf, $tasks,
    $priority, $concurrencyKey, $scheduleId, $scheduledFor, $scheduleManual)`,
  putOutput: `INSERT INTO task_outputs (execution_seq, task_id, output) VALUES ($seq, $taskId, $output)
    ON CONFLICT (execution_seq, task_id) DO UPDATE SET output = excluded.output`,
  outputsOf: "SELECT task_id, output FROM task_outputs WHERE execution_seq = $seq",
  idempotencyKey: "SELECT request_hash, execution_id, created_at FROM idempotency_keys WHERE definition_id = $definitionId AND key = $key",
  putIdempotencyKey: `INSERT INTO idempotency_keys (definition_id, key, request_hash, execution_id, created_at)
    VALUES ($definitionId, $key, $requestHash, $executionId, $now)
    ON CONFLICT (definition_id, key) DO UPDATE SET request_hash = excluded.request_hash, execution_id = excluded.execution_id, created_at = excluded.created_at`,
  purgeIdempotencyKeys: "DELETE FROM idempotency_keys WHERE created_at < $before",
  seqOf: "SELECT seq FROM executions WHERE id = $id",
  taskStates: "SELECT seq, status, cancel_requested_at, tasks FROM executions WHERE id = $id",
  saveTasks: "UPDATE executions SET tasks = $tasks WHERE seq = $seq",
  cancelQueued: "UPDATE executions SET status = 'CANCELLED', end_time = $now, tasks = $tasks WHERE seq = $seq AND status = 'QUEUED'",
  requestCancel: "UPDATE executions SET cancel_requested_at = $now WHERE seq = $seq AND status = 'RUNNING' AND cancel_requested_at IS NULL",
  redriveExecution: `UPDATE executions SET status = 'QUEUED', output = NULL, error = NULL, end_time = NULL, cancel_requested_at = NULL, run_at = NULL,
    handlers_pending = 0, tasks = $tasks
    WHERE seq = $seq AND status IN ('FAILED', 'CANCELLED')`,
  rerunsOf: "SELECT id FROM executions WHERE rerun_of = $id ORDER BY seq",
  queuedWithRunAt:
    "SELECT id, definition_id, definition_version, priority, concurrency_key, run_at FROM executions WHERE status = 'QUEUED' ORDER BY seq",
  recentStarts:
    "SELECT started_at FROM executions WHERE definition_id = $definitionId AND started_at >= $since ORDER BY started_at DESC LIMIT $limit",
  admit:
    "UPDATE executions SET status = 'RUNNING', started_at = COALESCE(started_at, $now), tasks = $tasks WHERE seq = $seq AND status = 'QUEUED'",
  requeue: "UPDATE executions SET status = 'QUEUED' WHERE seq = $seq AND status = 'RUNNING'",
  idsByStatus: "SELECT id, seq FROM executions WHERE status = $status ORDER BY seq",
  runningRefs:
    "SELECT id, seq, definition_id, definition_version, priority, concurrency_key FROM executions WHERE status = 'RUNNING' ORDER BY seq",
  firstIdsByStatus: "SELECT id FROM executions WHERE status = $status ORDER BY seq LIMIT $limit",
  countOf: "SELECT n FROM execution_counts WHERE status = $status",
  bumpCount: "UPDATE execution_counts SET n = n + $n WHERE status = $status",
  execution: `SELECT ${EXECUTION_WITH_TASKS} FROM executions WHERE id = $id`,

  finishExecution: `UPDATE executions SET status = $status, output = $output, error = $error, end_time = $now, handlers_pending = $handlersPending, tasks = $tasks
    WHERE seq = $seq AND status = 'RUNNING'`,
  handlersDone: "UPDATE executions SET handlers_pending = 0 WHERE seq = $seq AND handlers_pending = 1",
  handlersPending: "SELECT id FROM executions WHERE handlers_pending = 1 ORDER BY seq",

  listAll: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE seq < $before AND seq >= $after ORDER BY seq DESC LIMIT $limit`,
  listByStatus: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE status = $status AND seq < $before AND seq >= $after ORDER BY seq DESC LIMIT $limit`,
  listByDefinition: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE definition_id = $definitionId AND seq < $before AND seq >= $after ORDER BY seq DESC LIMIT $limit`,
  listByBoth: `SELECT ${EXECUTION_COLUMNS} FROM executions
    WHERE definition_id = $definitionId AND status = $status AND seq < $before AND seq >= $after ORDER BY seq DESC LIMIT $limit`,

  // A FAILED execution's error name is in its row's JSON: the failures' partial index is walked newest first, matches read from the table.
  listFailedByError: `SELECT ${EXECUTION_COLUMNS} FROM executions INDEXED BY executions_failed
    WHERE status = 'FAILED' AND json_extract(error, '$.name') = $errorName AND ($definitionId IS NULL OR definition_id = $definitionId)
    AND seq < $before AND seq >= $after ORDER BY seq DESC LIMIT $limit`,
  // A search reads the definition's range newest first, at most $scan rows, matching in the row; matches are then read by seq.
  searchScan: `SELECT seq, (($status IS NULL OR status = $status) AND (instr(input, $text) > 0 OR instr(IFNULL(output, ''), $text) > 0)) AS hit
    FROM executions WHERE seq < $before AND seq >= $after AND definition_id = $definitionId ORDER BY seq DESC LIMIT $scan`,
  executionBySeq: `SELECT ${EXECUTION_COLUMNS} FROM executions WHERE seq = $seq`,
  allCounts: "SELECT status, n FROM execution_counts",
  lastSeq: "SELECT MAX(seq) AS seq FROM executions",
  createdAtOrAfterSeq: "SELECT seq, created_at FROM executions WHERE seq >= $seq ORDER BY seq LIMIT 1",
  // The newest `$scan` failures since then, from the covering partial index (the planner would otherwise pick executions_by_status and read every row).
  failuresSince: `SELECT definition_id, json_extract(error, '$.name') AS error_name, COUNT(*) AS n, MAX(end_time) AS last_at
    FROM (SELECT definition_id, end_time, error FROM executions INDEXED BY executions_failed
      WHERE status = 'FAILED' AND seq >= $after ORDER BY seq DESC LIMIT $scan)
    GROUP BY definition_id, error_name ORDER BY n DESC, definition_id, error_name`,

  failedBetween: `SELECT COUNT(*) AS n FROM (SELECT 1 FROM executions INDEXED BY executions_failed
    WHERE status = 'FAILED' AND seq >= $from AND seq < $to LIMIT $scan)`,

  insertEvents: `INSERT INTO events (seq, execution_seq, at, type, task_id, attempt, data, more)
    VALUES ($seq, $executionSeq, $at, $type, $taskId, $attempt, $data, $more)`,
  eventsOf: "SELECT seq, at, type, task_id, attempt, data, more FROM events WHERE execution_seq = $executionSeq ORDER BY seq",
  nextEventSeq: "SELECT seq + 1 + COALESCE(json_array_length(more), 0) AS next FROM events WHERE seq = (SELECT MAX(seq) FROM events)",

  insertLease: `INSERT INTO leases (lease_id, execution_seq, task_id, attempt, worker_id, granted_at, expires_at)
    VALUES ($leaseId, $seq, $taskId, $attempt, $workerId, $now, $expiresAt)`,
  lease: `SELECT l.lease_id, x.id AS execution_id, l.task_id, l.attempt, l.worker_id, l.granted_at, l.expires_at, l.ended_at, l.end_kind,
    l.request_hash, l.task_status FROM leases l JOIN executions x ON x.seq = l.execution_seq WHERE l.lease_id = $leaseId`,
  openLeaseOf: `SELECT l.lease_id, $executionId AS execution_id, l.task_id, l.attempt, l.worker_id, l.granted_at, l.expires_at, l.ended_at,
    l.end_kind, l.request_hash, l.task_status FROM leases l
    WHERE l.execution_seq = $seq AND l.task_id = $taskId AND l.attempt = $attempt AND l.ended_at IS NULL`,
  expiredLeases: `SELECT l.lease_id, x.id AS execution_id, l.task_id, l.attempt, l.worker_id, l.granted_at, l.expires_at, l.ended_at, l.end_kind,
    l.request_hash, l.task_status FROM leases l JOIN executions x ON x.seq = l.execution_seq
    WHERE l.ended_at IS NULL AND l.expires_at <= $now ORDER BY l.expires_at`,
  leaseSeq: "SELECT execution_seq, end_kind FROM leases WHERE lease_id = $leaseId",
  extendLease: "UPDATE leases SET expires_at = $expiresAt WHERE lease_id = $leaseId AND ended_at IS NULL AND expires_at > $now",
  endLease: `UPDATE leases SET ended_at = $now, end_kind = $end, request_hash = $requestHash, task_status = $taskStatus
    WHERE lease_id = $leaseId AND ended_at IS NULL`,
  endLeaseOf: `UPDATE leases SET ended_at = $now, end_kind = $end, request_hash = $requestHash, task_status = $taskStatus
    WHERE lease_id = $leaseId AND execution_seq = $seq AND ended_at IS NULL`,
  endTaskLeases: `UPDATE leases SET ended_at = $now, end_kind = 'cancelled', task_status = 'CANCELLED'
    WHERE execution_seq = $seq AND task_id = $taskId AND ended_at IS NULL`,
  seeWorker: `INSERT INTO workers (worker_id, functions, last_seen_at) VALUES ($workerId, $functions, $now)
    ON CONFLICT (worker_id) DO UPDATE SET functions = excluded.functions, last_seen_at = excluded.last_seen_at`,
  // The leases held are counted in one pass over the open leases' index for all workers (a count per worker read them all once per worker).
  listWorkers: `SELECT w.worker_id, w.functions, w.last_seen_at, COALESCE(h.n, 0) AS leases FROM workers w
    LEFT JOIN (SELECT worker_id, COUNT(*) AS n FROM leases WHERE ended_at IS NULL AND expires_at > $now GROUP BY worker_id) h
    ON h.worker_id = w.worker_id WHERE w.last_seen_at >= $since ORDER BY w.worker_id`,
  liveLeases: `SELECT l.lease_id, l.worker_id, x.id AS execution_id, x.definition_id, x.definition_version, l.task_id, l.attempt,
    l.granted_at, l.expires_at FROM leases l JOIN executions x ON x.seq = l.execution_seq
    WHERE l.ended_at IS NULL AND l.expires_at > $now ORDER BY l.expires_at LIMIT $limit`,
  liveLeaseCount: "SELECT COUNT(*) AS n FROM leases WHERE ended_at IS NULL AND expires_at > $now",
} as const;

export type Statements = { [K in keyof typeof SQL]: Statement };

export function prepareStatements(db: Database): Statements {
  return Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as Statements;
}
