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

export interface NewExecution {
  id: string;
  definitionId: string;
  definitionVersion: number;
  input: Record<string, unknown>;
  /** Task ids and names in definition order; all start PENDING. */
  tasks: { taskId: string; name: string }[];
}

export interface RecoveryPlan {
  /** RUNNING executions that keep their slot, oldest first. */
  running: string[];
  /** QUEUED executions, first in first out (RUNNING ones beyond the limit are put back here first). */
  queued: string[];
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
  /** The execution RUNNING → COMPLETED or FAILED. */
  | { kind: "finish"; status: "COMPLETED" | "FAILED"; output: unknown; error: ExecutionError | null };

/** A guarded write found its row in another state: a bug or a concurrent writer. */
export class StaleStateError extends Error {
  override name = "StaleStateError";
}

export interface Store {
  // ---- definitions ----
  /** Stores a new version unless the latest one has the same canonical body. */
  registerDefinition(id: string, body: Record<string, unknown>, canonical: string, now: number): Promise<{ version: number; created: boolean }>;
  /** The given version, or the latest one. */
  getDefinition(id: string, version?: number): Promise<StoredDefinition | null>;
  /** The latest version of every definition, by id. */
  listDefinitions(): Promise<StoredDefinition[]>;
  definitionVersions(id: string): Promise<number[]>;

  // ---- admission ----
  /** QUEUED execution with PENDING tasks, and its `ExecutionQueued` event. */
  enqueue(e: NewExecution, now: number): Promise<Execution>;
  /**
   * QUEUED → RUNNING, starting attempt 1 of the PENDING tasks in `start` in the same
   * transaction. Null when it was not QUEUED any more; else the execution as admitted.
   */
  admit(executionId: string, now: number, start?: readonly string[]): Promise<ExecutionWithTasks | null>;
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
  finishExecution(executionId: string, status: "COMPLETED" | "FAILED", output: unknown, error: ExecutionError | null, now: number): Promise<void>;

  // ---- reads ----
  listExecutions(filter: ListFilter): Promise<ExecutionPage>;
  /** The history in order; null when the execution does not exist. */
  events(executionId: string): Promise<ExecutionEventRecord[] | null>;
  systemCounts(queuedLimit: number): Promise<SystemCounts>;
  /** True when the database answers. */
  ping(): boolean;
  close(): void;
}
