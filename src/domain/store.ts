/**
 * The Store interface: the engine's only view of durable state, named by operations, never
 * by tables. Every mutation is atomic (the rows and the event it appends commit together),
 * guarded by the state it expects, and resolves only once it is durable at the configured
 * sync level. Implementations: SQLite (`src/store`); PostgreSQL is planned.
 */
import type { ErrorInfo } from "./errors.ts";
import type {
  Execution,
  ExecutionError,
  ExecutionEventRecord,
  ExecutionPage,
  ExecutionWithTasks,
  ListFilter,
  StoredDefinition,
  SystemCounts,
} from "./model.ts";
import type { ExecutionStatus } from "./states.ts";

export interface NewExecution {
  id: string;
  definitionId: string;
  definitionVersion: number;
  input: Record<string, unknown>;
  /**
   * Task ids and names in definition order; all start PENDING, except those with `carried`
   * (a rerun copies them COMPLETED, with their output, from the original).
   */
  tasks: { taskId: string; name: string; carried?: { output: unknown } }[];
  /** Not admitted before this time. */
  runAt?: number | null;
  /** The execution this one reruns. */
  rerunOf?: string | null;
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

/** What `cancel` did. */
export type CancelResult =
  | { outcome: "cancelled" }
  /** RUNNING: the request is durable; the engine ends it CANCELLED. */
  | { outcome: "requested" }
  | { outcome: "finished"; status: ExecutionStatus }
  | { outcome: "missing" };

export type RedriveResult =
  | { outcome: "redriven"; reset: string[] }
  | { outcome: "refused"; status: ExecutionStatus }
  | { outcome: "missing" };

export interface RecoveryPlan {
  /** RUNNING executions that keep their slot, oldest first. */
  running: string[];
  /** QUEUED executions due now, first in first out (RUNNING ones beyond the limit are put back here first). */
  queued: string[];
  /** QUEUED executions with a start time still ahead. */
  delayed: { id: string; runAt: number }[];
  /** Settled executions whose handlers did not all run before the process stopped. */
  handlersPending: string[];
}

/**
 * One change to an execution's stored state. `Store.record` applies a list of them in one
 * transaction, so the engine can complete a task, start the tasks it unblocked and settle the
 * execution with one commit.
 */
export type Step =
  /** PENDING or RETRYING → RUNNING with `attempt` (= attempts + 1); with `resumed`, a RUNNING task re-runs `attempt`. */
  | { kind: "start"; taskId: string; attempt: number; resumed?: boolean }
  | { kind: "complete"; taskId: string; attempt: number; output: unknown }
  | { kind: "retry"; taskId: string; attempt: number; error: ErrorInfo; nextAttemptAt: number }
  /** RUNNING → FAILED, and the PENDING tasks in `skip` → SKIPPED. */
  | { kind: "fail"; taskId: string; attempt: number; error: ErrorInfo; skip: string[] }
  /**
   * The execution RUNNING → COMPLETED, FAILED or CANCELLED; the unfinished tasks in
   * `cancelTasks` → CANCELLED first. `timedOut` records that the execution's own timeout ended it.
   */
  | {
      kind: "finish";
      status: "COMPLETED" | "FAILED" | "CANCELLED";
      output: unknown;
      error: ExecutionError | null;
      cancelTasks?: string[];
      timedOut?: boolean;
      /** Handlers will run for this outcome: remembered until `handlerFinished(…, last)`. */
      handlersPending?: boolean;
    };

/** What one handler did. */
export type HandlerOutcome = { status: "COMPLETED"; output: unknown } | { status: "FAILED"; error: ErrorInfo };

/** A guarded write found its row in another state: a bug or a concurrent writer. */
export class StaleStateError extends Error {
  override name = "StaleStateError";
}

/** Why the store refuses writes now. */
export interface StoreFault {
  /** What the database said, for people: "the disk is full (SQLITE_FULL)". */
  reason: string;
  /** Epoch ms of the first refused write. */
  since: number;
}

export interface Store {
  // ---- definitions ----
  /** Stores a new version unless the latest one has the same canonical body. */
  registerDefinition(
    id: string,
    body: Record<string, unknown>,
    canonical: string,
    now: number,
  ): Promise<{ version: number; created: boolean }>;
  /** The given version, or the latest one. */
  getDefinition(id: string, version?: number): Promise<StoredDefinition | null>;
  /** The latest version of every definition, by id. */
  listDefinitions(): Promise<StoredDefinition[]>;
  definitionVersions(id: string): Promise<number[]>;

  // ---- admission ----
  /** QUEUED execution with PENDING tasks, and its `ExecutionQueued` event. */
  enqueue(e: NewExecution, now: number): Promise<Execution>;
  /**
   * `enqueue` under an idempotency key, atomically: concurrent starts with one key create one
   * execution. With `start`, a created execution is stored as `enqueueStarted` stores it.
   */
  enqueueOnce(
    e: NewExecution,
    key: IdempotencyKey,
    now: number,
    start?: readonly { taskId: string; attempt: number }[],
  ): Promise<EnqueueOnceResult>;
  /** Deletes idempotency keys created before `before`. Returns how many. */
  purgeIdempotencyKeys(before: number): Promise<number>;
  /** QUEUED → CANCELLED at once; RUNNING → a durable cancel request. */
  cancel(executionId: string, now: number): Promise<CancelResult>;
  /**
   * FAILED or CANCELLED → QUEUED: COMPLETED tasks keep their output; the others go back to
   * PENDING with a fresh retry budget (attempt numbers keep counting).
   */
  redrive(executionId: string, now: number): Promise<RedriveResult>;
  /** Executions created as reruns of this one, oldest first. */
  rerunsOf(executionId: string): Promise<string[]>;
  /** Appends `HandlerStarted`. */
  handlerStarted(executionId: string, handler: string, now: number): Promise<void>;
  /** Appends `HandlerFinished` with its outcome; with `last`, the execution has no handler pending any more. */
  handlerFinished(executionId: string, handler: string, outcome: HandlerOutcome, last: boolean, now: number): Promise<void>;
  /**
   * `enqueue` and `admit` in one commit, for a submission that finds a free slot and nobody
   * waiting: the execution is stored RUNNING with the given attempts started (its events
   * still say ExecutionQueued, ExecutionStarted, TaskStarted).
   */
  enqueueStarted(e: NewExecution, now: number, start: readonly { taskId: string; attempt: number }[]): Promise<ExecutionWithTasks>;
  /**
   * QUEUED → RUNNING, starting the given attempts of PENDING tasks in the same transaction.
   * Null when it was not QUEUED any more; else the execution as admitted.
   */
  admit(executionId: string, now: number, start?: readonly { taskId: string; attempt: number }[]): Promise<ExecutionWithTasks | null>;
  /** A RUNNING execution found at start takes its slot again (event only). */
  resume(executionId: string, now: number): Promise<void>;
  /**
   * Called once at start: RUNNING executions beyond `maxRunning` (oldest kept) go back to
   * QUEUED, then the lists of what to resume and what to admit.
   */
  recover(maxRunning: number, now: number): Promise<RecoveryPlan>;
  loadExecution(executionId: string): Promise<ExecutionWithTasks | null>;

  // ---- attempts ----
  /** Applies `steps` in order, atomically: all of them commit, or none (and it rejects). */
  record(executionId: string, steps: readonly Step[], now: number): Promise<void>;
  /** PENDING or RETRYING → RUNNING with `attempt` (= attempts + 1); with `resumed`, a RUNNING task re-runs `attempt`. */
  startAttempt(executionId: string, taskId: string, attempt: number, now: number, resumed: boolean): Promise<void>;
  completeTask(executionId: string, taskId: string, attempt: number, output: unknown, now: number): Promise<void>;
  retryTask(executionId: string, taskId: string, attempt: number, error: ErrorInfo, nextAttemptAt: number, now: number): Promise<void>;
  /** RUNNING → FAILED, and the PENDING tasks in `skip` → SKIPPED. */
  failTask(executionId: string, taskId: string, attempt: number, error: ErrorInfo, skip: string[], now: number): Promise<void>;
  /** RUNNING → COMPLETED or FAILED. */
  finishExecution(
    executionId: string,
    status: "COMPLETED" | "FAILED",
    output: unknown,
    error: ExecutionError | null,
    now: number,
  ): Promise<void>;

  // ---- reads ----
  listExecutions(filter: ListFilter): Promise<ExecutionPage>;
  /** The history in order; null when the execution does not exist. */
  events(executionId: string): Promise<ExecutionEventRecord[] | null>;
  systemCounts(queuedLimit: number): Promise<SystemCounts>;
  /** True when the database answers a read. */
  ping(): boolean;
  /**
   * Null while writes are accepted. After a storage fault (disk full, I/O error) every write
   * is refused with `StorageError` (known not applied) until `probeWrites` succeeds.
   */
  writeFault(): StoreFault | null;
  /** While writes are refused: tries one small write; resolves true once writes are accepted again. */
  probeWrites(): Promise<boolean>;
  /** Calls `listener` each time writes start being refused (the engine then watches for them to be accepted again). */
  onWriteFault(listener: () => void): void;
  close(): void;
}
