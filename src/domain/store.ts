/**
 * The store's ports: the engine's and the API's only view of durable state, named by what
 * callers do, never by tables. Every write is atomic (the rows and the events it appends
 * commit together), decided by the rules of `transitions.ts`, and resolves only once it is
 * durable at the configured sync level. Everything a networked database would answer over
 * the wire is async. Implementations: SQLite (`src/store/sqlite`); each one passes the
 * conformance suite in `test/store/`.
 *
 * Over 300 lines on purpose: it is the one list of the ports a store implements, each
 * documented where a second implementation (PostgreSQL) will read it. The leases' ports are
 * in `lease-store.ts`, re-exported here.
 */
import type { ErrorInfo } from "./errors.ts";
import type { LeaseSettlement, LeaseStore } from "./lease-store.ts";
import type {
  ActivityBucket,
  Execution,
  ExecutionEventRecord,
  ExecutionPage,
  ExecutionWithTasks,
  FailureSummary,
  ListFilter,
  QueuedRef,
  StoredDefinition,
  SystemCounts,
} from "./model.ts";
import type { OperationStore } from "./operation-store.ts";
import type { ScheduleSpec } from "./schedule.ts";
import type { AttemptStart, CancelOutcome, NewTask, RedriveOutcome, Step } from "./transitions.ts";

/** The leases' ports and records live in `lease-store.ts`; importers find them here too. */
export type * from "./lease-store.ts";
/** Bulk operations' port and records live in `operation-store.ts`. */
export type * from "./operation-store.ts";

export interface NewExecution {
  id: string;
  definitionId: string;
  definitionVersion: number;
  input: Record<string, unknown>;
  /**
   * Task ids and names in definition order; all start PENDING, except those with `carried`
   * (a rerun copies them COMPLETED, with their output, from the original).
   */
  tasks: NewTask[];
  /** Not admitted before this time. */
  runAt?: number | null;
  /** The execution this one reruns. */
  rerunOf?: string | null;
  /** The token that asked for it, recorded on its `ExecutionQueued` event (and a rerun's note on the original). @default null */
  actor?: string | null;
  /** Higher starts first. @default 0 */
  priority?: number;
  /** Its concurrency key's value (see `domain/flow.ts`). @default null */
  concurrencyKey?: string | null;
  /**
   * The schedule that starts it: a cron fire (`manual` false) is unique per (definition,
   * schedule, `scheduledFor`); a manual trigger is not a slot and is not.
   */
  schedule?: { id: string; scheduledFor: number; manual: boolean } | null;
}

/** `Idempotency-Key` of a start: the same key and request return the first execution. */
export interface IdempotencyKey {
  key: string;
  /** Canonical hash of what was asked (body and start options). */
  requestHash: string;
  /** Keys older than this (epoch ms) count as expired and are replaced. */
  notBefore: number;
}

export type EnqueueOnceResult =
  | { outcome: "created"; execution: ExecutionWithTasks }
  | { outcome: "existing"; execution: Execution }
  /** The key was used with another request. */
  | { outcome: "conflict"; executionId: string };

export type CancelResult = CancelOutcome | { outcome: "missing" };

export type RedriveResult = RedriveOutcome | { outcome: "missing" };

export interface RecoveryPlan {
  /** RUNNING executions that keep their slot, oldest first. */
  running: QueuedRef[];
  /** QUEUED executions due now, first in first out (RUNNING ones beyond the limit are put back here first). */
  queued: QueuedRef[];
  /** QUEUED executions with a start time still ahead. */
  delayed: (QueuedRef & { runAt: number })[];
  /** Settled executions whose handlers did not all run before the process stopped. */
  handlersPending: string[];
}

/** What one handler did. */
export type HandlerOutcome = { status: "COMPLETED"; output: unknown } | { status: "FAILED"; error: ErrorInfo };

/** Why the store refuses writes now. */
export interface StoreFault {
  /** What the database said, for people: "the disk is full (SQLITE_FULL)". */
  reason: string;
  /** Epoch ms of the first refused write. */
  since: number;
}

/** Registered job definitions, each kept in every version. */
export interface DefinitionStore {
  /**
   * Stores a new version unless the latest one has the same canonical body. A new version
   * replaces the definition's schedules in the same commit (see `ScheduleStore`); an unchanged
   * body leaves them, and their runtime pause state, alone. `actor` (the token's name) is kept
   * with a new version as `registeredBy`.
   */
  registerDefinition(
    id: string,
    body: Record<string, unknown>,
    canonical: string,
    now: number,
    schedules?: readonly ScheduleSpec[],
    actor?: string | null,
  ): Promise<{ version: number; created: boolean }>;
  /** The given version, or the latest one. */
  getDefinition(id: string, version?: number): Promise<StoredDefinition | null>;
  /** The latest version of every definition, by id. */
  listDefinitions(): Promise<StoredDefinition[]>;
  definitionVersions(id: string): Promise<number[]>;
}

/** Every change to executions: what the engine decides, made durable. */
export interface ExecutionWrites {
  /** QUEUED execution with PENDING tasks, and its `ExecutionQueued` event. */
  enqueue(e: NewExecution, now: number): Promise<Execution>;
  /**
   * `enqueue` and `admit` in one commit, for a submission that finds a free slot and nobody
   * waiting: the execution is stored RUNNING with the given attempts started (its events
   * still say ExecutionQueued, ExecutionStarted, TaskStarted).
   */
  enqueueStarted(e: NewExecution, now: number, start: readonly AttemptStart[]): Promise<ExecutionWithTasks>;
  /**
   * `enqueue` under an idempotency key, atomically: concurrent starts with one key create one
   * execution. With `start`, a created execution is stored as `enqueueStarted` stores it.
   */
  enqueueOnce(e: NewExecution, key: IdempotencyKey, now: number, start?: readonly AttemptStart[]): Promise<EnqueueOnceResult>;
  /** Deletes idempotency keys created before `before`. Returns how many. */
  purgeIdempotencyKeys(before: number): Promise<number>;
  /**
   * QUEUED → RUNNING, starting the given attempts of PENDING tasks in the same transaction.
   * Null when it was not QUEUED any more; else the execution as admitted.
   */
  admit(executionId: string, now: number, start?: readonly AttemptStart[]): Promise<ExecutionWithTasks | null>;
  /** A RUNNING execution found at start takes its slot again (event only). */
  resume(executionId: string, now: number): Promise<void>;
  /**
   * Called once at start: RUNNING executions beyond `maxRunning` (oldest kept) go back to
   * QUEUED, then the lists of what to resume and what to admit.
   */
  recover(maxRunning: number, now: number): Promise<RecoveryPlan>;
  /**
   * Applies `steps` in order, atomically: all of them commit, or none (and it rejects). With
   * `lease`, the steps are a remote attempt's outcome: the lease ends in the same commit, and
   * the write is refused (`StaleStateError`) when the lease has already ended.
   */
  record(executionId: string, steps: readonly Step[], now: number, lease?: LeaseSettlement): Promise<void>;
  /** QUEUED → CANCELLED at once; RUNNING → a durable cancel request. */
  cancel(executionId: string, now: number, actor?: string | null): Promise<CancelResult>;
  /**
   * FAILED or CANCELLED → QUEUED: COMPLETED tasks keep their output; the others go back to
   * PENDING with a fresh retry budget (attempt numbers keep counting). It is not settled any
   * more, so handlers still pending for the outcome it leaves are no longer pending.
   */
  redrive(executionId: string, now: number, actor?: string | null): Promise<RedriveResult>;
  /** Appends `HandlerStarted`. */
  handlerStarted(executionId: string, handler: string, now: number): Promise<void>;
  /** Appends `HandlerFinished` with its outcome; with `last`, the execution has no handler pending any more. */
  handlerFinished(executionId: string, handler: string, outcome: HandlerOutcome, last: boolean, now: number): Promise<void>;
}

/** Reads of executions and their history, for the engine and the API. */
export interface ExecutionReads {
  loadExecution(executionId: string): Promise<ExecutionWithTasks | null>;
  /** Newest first, filtered, paged by an opaque cursor. */
  listExecutions(filter: ListFilter): Promise<ExecutionPage>;
  /** The history in order; null when the execution does not exist. */
  events(executionId: string): Promise<ExecutionEventRecord[] | null>;
  /** Executions created as reruns of this one, oldest first. */
  rerunsOf(executionId: string): Promise<string[]>;
  /** RUNNING ids, the first `queuedLimit` QUEUED ids, and exact counts. */
  systemCounts(queuedLimit: number): Promise<SystemCounts>;
  /**
   * FAILED executions created at or after `since`, grouped by definition and error name, the
   * largest groups first, at most `limit` groups. At most the newest `scan` of them are counted,
   * so its cost is bounded whatever the history holds.
   */
  failuresSince(since: number, limit: number, scan: number): Promise<FailureSummary>;
  /**
   * Executions created in each of `buckets` stretches of `stepMs` from `from`, and how many of
   * those have FAILED, at most `scan` counted a stretch: what the overview's charts draw.
   */
  activity(from: number, stepMs: number, buckets: number, scan: number): Promise<ActivityBucket[]>;
  /** When the latest (at most `limit`) executions of a definition first started, at or after `since`, newest first: rate limits after a restart. */
  recentStarts(definitionId: string, since: number, limit: number): Promise<number[]>;
}

/** Whether the store answers and accepts writes: `/healthz`, `/livez` and fault recovery. */
export interface StoreHealth {
  /** True when the database answers a read. */
  ping(): Promise<boolean>;
  /**
   * Null while writes are accepted. After a storage fault (disk full, I/O error) every write
   * is refused with `StorageError` (known not applied) until `probeWrites` succeeds.
   */
  writeFault(): StoreFault | null;
  /** While writes are refused: tries one small write; resolves true once writes are accepted again. */
  probeWrites(): Promise<boolean>;
  /** Calls `listener` each time writes start being refused (the engine then watches for them to be accepted again). */
  onWriteFault(listener: () => void): void;
}

/** The last pause, resume or trigger of a schedule through the API. */
export interface ScheduleAction {
  action: "pause" | "resume" | "trigger";
  at: number;
  /** Who asked; null until the API has tokens. */
  actor: string | null;
}

/** A schedule as stored: the spec its definition version declared, and its runtime state. */
export interface ScheduleRecord {
  definitionId: string;
  /** The definition version that declared it as it is now. */
  version: number;
  spec: ScheduleSpec;
  paused: boolean;
  /** Every nominal time at or before this is settled (fired, skipped, buffered or missed); fires come after it. */
  progress: number;
  /** The nominal time of the last fire that started an execution, or null. */
  lastFire: number | null;
  missedCount: number;
  skippedCount: number;
  /** The nominal time of a fire waiting for the unfinished one (`bufferOne`), or null. */
  bufferedFire: number | null;
  lastAction: ScheduleAction | null;
}

export type ScheduleEventType =
  | "Fired"
  | "Skipped"
  | "Buffered"
  | "Missed"
  | "Paused"
  | "Resumed"
  | "Triggered"
  /** A new definition version kept the schedule (by id), with its spec and paused state as declared. */
  | "Replaced"
  /** A new definition version dropped the schedule; `data.bufferedFire` says what became of a waiting fire. */
  | "Removed";

/** One history record of a schedule, in `seq` order. */
export interface ScheduleEventRecord {
  seq: number;
  definitionId: string;
  scheduleId: string;
  at: number;
  type: ScheduleEventType;
  /** The fire's nominal time (a Missed event: the last one missed). */
  nominal: number | null;
  executionId: string | null;
  data: Record<string, unknown> | null;
}

/** A new execution started by a schedule: `schedule` is required. */
export type ScheduledExecution = NewExecution & { schedule: NonNullable<NewExecution["schedule"]> };

export type FireResult =
  /** Stored QUEUED with its `ExecutionQueued` event; admission takes it from here. */
  | { outcome: "started"; execution: Execution }
  | { outcome: "buffered" }
  | { outcome: "skipped" }
  /** The slot was settled before (a restart, a second computation, the clock going back): nothing written. */
  | { outcome: "already" }
  | { outcome: "paused" }
  /** No such schedule in this definition version any more: nothing written. */
  | { outcome: "missing" };

export type BufferedResult = { outcome: "started"; execution: Execution } | { outcome: "waiting" } | { outcome: "none" };

/**
 * Schedules and their history. Each fire is one commit: the overlap decision (is an execution
 * of this schedule QUEUED or RUNNING?), the execution, the progress, counts and events.
 */
export interface ScheduleStore {
  /** Every schedule, by definition id then schedule id. */
  listSchedules(): Promise<ScheduleRecord[]>;
  getSchedule(definitionId: string, scheduleId: string): Promise<ScheduleRecord | null>;
  /** Newest first, at most `limit`, before `beforeSeq` when given. */
  scheduleEvents(definitionId: string, scheduleId: string, limit: number, beforeSeq?: number): Promise<ScheduleEventRecord[]>;
  /**
   * A cron fire at `execution.schedule.scheduledFor` of the definition version that declares
   * the schedule: started, buffered or skipped by its overlap policy; "already" when that
   * slot is at or before the schedule's progress or has an execution.
   */
  fireSchedule(execution: ScheduledExecution, now: number): Promise<FireResult>;
  /** Records missed fires (one Missed event, the count) and moves progress to `progress`. */
  recordMissed(
    definitionId: string,
    scheduleId: string,
    missed: { count: number; first: number; last: number; countCapped: boolean },
    progress: number,
    now: number,
  ): Promise<void>;
  /**
   * Starts the buffered fire (`execution.schedule.scheduledFor` must be it) once no execution of
   * the schedule is QUEUED or RUNNING; "none" when there is no such buffered fire.
   */
  startBufferedFire(execution: ScheduledExecution, now: number): Promise<BufferedResult>;
  /** Pauses or resumes (a resume moves progress to now: slots passed while paused never fire); null when missing. */
  setSchedulePaused(
    definitionId: string,
    scheduleId: string,
    paused: boolean,
    actor: string | null,
    now: number,
  ): Promise<ScheduleRecord | null>;
  /** A manual run now, whatever the overlap and pause state; null when the schedule is missing. */
  triggerSchedule(execution: ScheduledExecution, actor: string | null, now: number): Promise<Execution | null>;
}

/** Which terminal executions retention removes (see `RetentionStore.deleteExpired`). */
export interface ExpiryRule {
  /** Those that ended before this (epoch ms) go; null: none goes for its age. */
  endedBefore: number | null;
  /**
   * While more executions than this are stored (every status counts), the oldest terminal ones
   * (by creation) go until no more are. 0: no cap.
   */
  keepAtMost: number;
  /** Most executions one call deletes. */
  limit: number;
}

/** Retention: old terminal executions deleted a bounded batch at a time, and their space given back. */
export interface RetentionStore {
  /**
   * Deletes up to `rule.limit` terminal executions the rule selects, the oldest (by creation) first,
   * each with its events, task outputs, leases and idempotency keys, in one commit; resolves how
   * many. Never one that is QUEUED or RUNNING, one whose handlers have not all finished, or one a
   * stored rerun points at (`rerunOf`): that one goes once its reruns are gone.
   */
  deleteExpired(rule: ExpiryRule): Promise<number>;
  /**
   * About how many executions the rule still selects, counting those it may not delete yet (for
   * the log), but no more than `max`: the count is a read that holds up everything else.
   */
  countExpired(rule: ExpiryRule, max: number): Promise<number>;
  /** Gives up to `maxPages` free pages back to the file system in one short write; resolves how many pages are still free. */
  releaseFreePages(maxPages: number): Promise<number>;
}

/** What the API and the dashboard read: definitions, executions, schedules, the leases held, and health. */
export type ReadPort = Pick<DefinitionStore, "getDefinition" | "listDefinitions" | "definitionVersions"> &
  ExecutionReads &
  Pick<ScheduleStore, "listSchedules" | "getSchedule" | "scheduleEvents"> &
  Pick<LeaseStore, "liveLeases"> &
  StoreHealth;

/** A whole store, as the process that opens it holds it. */
export interface Store extends DefinitionStore, ExecutionWrites, ExecutionReads, LeaseStore, ScheduleStore, StoreHealth, RetentionStore {
  /** Bulk operations (`operation-store.ts`), written through the same commits. */
  readonly operations: OperationStore;
  /** Waits for pending writes, then releases the database. */
  close(): Promise<void>;
}

/** A consistent copy of the database written while the store keeps committing. */
export interface BackupResult {
  /** The file written, as given. */
  file: string;
  bytes: number;
  durationMs: number;
}

/** A store that can copy itself online. Not part of `Store`: a store without it simply offers no backups. */
export interface BackupPort {
  /**
   * Writes everything committed before the call to the new file `path`, without holding up
   * writes for the copy's duration. Rejects when `path` exists (nothing is overwritten).
   */
  backup(path: string): Promise<BackupResult>;
}
