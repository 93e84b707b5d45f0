/**
 * The SQLite implementation of `Store`. Each operation is one prepared statement or one
 * transaction of them; guarded UPDATEs check that exactly one row changed.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ErrorInfo } from "../domain/errors.ts";
import type {
  EventType,
  Execution,
  ExecutionError,
  ExecutionEventRecord,
  ExecutionPage,
  ExecutionWithTasks,
  ListFilter,
  StoredDefinition,
  SystemCounts,
  TaskRun,
} from "../domain/model.ts";
import type { ExecutionStatus, TaskStatus } from "../domain/states.ts";
import { type NewExecution, type RecoveryPlan, StaleStateError, type Store } from "../domain/store.ts";
import { type Database, type OpenOptions, openDatabase } from "./driver.ts";
import { acquireLock } from "./lockfile.ts";
import { migrate } from "./migrations.ts";
import { prepareStatements, type Statements } from "./statements.ts";

interface ExecutionRow {
  seq: number;
  id: string;
  definition_id: string;
  definition_version: number;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  created_at: number;
  started_at: number | null;
  end_time: number | null;
}

interface TaskRow {
  task_id: string;
  name: string;
  status: TaskStatus;
  attempts: number;
  started_at: number | null;
  end_time: number | null;
  next_attempt_at: number | null;
  output: string | null;
  error: string | null;
}

interface EventRow {
  seq: number;
  execution_id: string;
  at: number;
  type: EventType;
  task_id: string | null;
  attempt: number | null;
  data: string | null;
}

interface DefinitionRow {
  id: string;
  version: number;
  body: string;
  created_at: number;
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));
const json = (value: unknown): string | null => (value === undefined || value === null ? null : JSON.stringify(value));

const toExecution = (r: ExecutionRow): Execution => ({
  id: r.id,
  definitionId: r.definition_id,
  definitionVersion: r.definition_version,
  status: r.status,
  input: JSON.parse(r.input) as Record<string, unknown>,
  output: parse(r.output),
  error: parse(r.error) as ExecutionError | null,
  createdAt: r.created_at,
  startedAt: r.started_at,
  endTime: r.end_time,
});

const toTask = (r: TaskRow): TaskRun => ({
  taskId: r.task_id,
  name: r.name,
  status: r.status,
  attempts: r.attempts,
  startedAt: r.started_at,
  endTime: r.end_time,
  nextAttemptAt: r.next_attempt_at,
  output: parse(r.output),
  error: parse(r.error) as ErrorInfo | null,
});

const toDefinition = (r: DefinitionRow): StoredDefinition => ({
  id: r.id,
  version: r.version,
  body: JSON.parse(r.body) as Record<string, unknown>,
  createdAt: r.created_at,
});

export class SqliteStore implements Store {
  private readonly s: Statements;

  constructor(
    private readonly db: Database,
    private readonly release: () => void = () => {},
  ) {
    migrate(db);
    this.s = prepareStatements(db);
  }

  /**
   * Opens (creating if needed) and migrates a database file, or ":memory:". A file is locked
   * to this process until `close()`; throws `DatabaseInUseError` when another process has it.
   */
  static open(options: OpenOptions): SqliteStore {
    if (options.path === ":memory:") return new SqliteStore(openDatabase(options));
    mkdirSync(dirname(options.path), { recursive: true });
    const release = acquireLock(options.path);
    try {
      return new SqliteStore(openDatabase(options), release);
    } catch (err) {
      release();
      throw err;
    }
  }

  // ---- definitions ----

  async registerDefinition(id: string, body: Record<string, unknown>, canonical: string, now: number) {
    return this.db.transaction(() => {
      const latest = this.s.latestDefinitionCanonical.get({ id }) as { version: number; canonical: string } | null;
      if (latest && latest.canonical === canonical) return { version: latest.version, created: false };
      const version = (latest?.version ?? 0) + 1;
      this.s.insertDefinition.run({ id, version, body: JSON.stringify(body), canonical, now });
      return { version, created: true };
    }).immediate();
  }

  async getDefinition(id: string, version?: number) {
    const row = (version === undefined ? this.s.latestDefinition.get({ id }) : this.s.definitionVersion.get({ id, version })) as DefinitionRow | null;
    return row ? toDefinition(row) : null;
  }

  async listDefinitions() {
    return (this.s.listDefinitions.all() as DefinitionRow[]).map(toDefinition);
  }

  async definitionVersions(id: string) {
    return (this.s.definitionVersions.all({ id }) as { version: number }[]).map((r) => r.version);
  }

  // ---- admission ----

  async enqueue(e: NewExecution, now: number): Promise<Execution> {
    this.db.transaction(() => {
      this.s.insertExecution.run({ id: e.id, definitionId: e.definitionId, definitionVersion: e.definitionVersion, input: JSON.stringify(e.input), now });
      e.tasks.forEach((t, position) => this.s.insertTask.run({ executionId: e.id, position, taskId: t.taskId, name: t.name }));
      this.event(e.id, now, "ExecutionQueued", null, null, null);
    }).immediate();
    return {
      id: e.id,
      definitionId: e.definitionId,
      definitionVersion: e.definitionVersion,
      status: "QUEUED",
      input: e.input,
      output: null,
      error: null,
      createdAt: now,
      startedAt: null,
      endTime: null,
    };
  }

  async admit(executionId: string, now: number) {
    return this.db.transaction(() => {
      if (this.s.admit.run({ id: executionId, now }).changes !== 1) return false;
      this.event(executionId, now, "ExecutionStarted", null, null, null);
      return true;
    }).immediate();
  }

  async resume(executionId: string, now: number) {
    this.event(executionId, now, "ExecutionResumed", null, null, null);
  }

  async recover(maxRunning: number, now: number): Promise<RecoveryPlan> {
    return this.db.transaction(() => {
      const running = (this.s.idsByStatus.all({ status: "RUNNING" }) as { id: string }[]).map((r) => r.id);
      for (const id of running.slice(maxRunning)) {
        this.guard(this.s.requeue.run({ id }).changes, `requeue execution ${id}`);
        this.event(id, now, "ExecutionRequeued", null, null, { reason: `more than ${maxRunning} executions were RUNNING at start` });
      }
      const queued = (this.s.idsByStatus.all({ status: "QUEUED" }) as { id: string }[]).map((r) => r.id);
      return { running: running.slice(0, maxRunning), queued };
    }).immediate();
  }

  async loadExecution(executionId: string): Promise<ExecutionWithTasks | null> {
    const row = this.s.execution.get({ id: executionId }) as ExecutionRow | null;
    if (!row) return null;
    const tasks = (this.s.tasksOf.all({ id: executionId }) as TaskRow[]).map(toTask);
    return { ...toExecution(row), tasks };
  }

  // ---- attempts ----

  async startAttempt(executionId: string, taskId: string, attempt: number, now: number, resumed: boolean) {
    this.db.transaction(() => {
      const stmt = resumed ? this.s.resumeAttempt : this.s.startAttempt;
      this.guard(stmt.run({ executionId, taskId, attempt, now }).changes, `start attempt ${attempt} of task ${taskId} in ${executionId}`);
      this.event(executionId, now, "TaskStarted", taskId, attempt, resumed ? { resumed: true } : null);
    }).immediate();
  }

  async completeTask(executionId: string, taskId: string, attempt: number, output: unknown, now: number) {
    this.db.transaction(() => {
      this.guard(this.s.completeTask.run({ executionId, taskId, attempt, output: JSON.stringify(output ?? null), now }).changes, `complete task ${taskId} in ${executionId}`);
      this.event(executionId, now, "TaskCompleted", taskId, attempt, null);
    }).immediate();
  }

  async retryTask(executionId: string, taskId: string, attempt: number, error: ErrorInfo, nextAttemptAt: number, now: number) {
    this.db.transaction(() => {
      this.guard(this.s.retryTask.run({ executionId, taskId, attempt, error: JSON.stringify(error), nextAttemptAt }).changes, `retry task ${taskId} in ${executionId}`);
      this.event(executionId, now, "TaskRetrying", taskId, attempt, { error, nextAttemptAt: new Date(nextAttemptAt).toISOString() });
    }).immediate();
  }

  async failTask(executionId: string, taskId: string, attempt: number, error: ErrorInfo, skip: string[], now: number) {
    this.db.transaction(() => {
      this.guard(this.s.failTask.run({ executionId, taskId, attempt, error: JSON.stringify(error), now }).changes, `fail task ${taskId} in ${executionId}`);
      this.event(executionId, now, "TaskFailed", taskId, attempt, { error });
      for (const skipped of skip) {
        this.guard(this.s.skipTask.run({ executionId, taskId: skipped, now }).changes, `skip task ${skipped} in ${executionId}`);
        this.event(executionId, now, "TaskSkipped", skipped, null, { because: taskId });
      }
    }).immediate();
  }

  async finishExecution(executionId: string, status: "COMPLETED" | "FAILED", output: unknown, error: ExecutionError | null, now: number) {
    this.db.transaction(() => {
      this.guard(this.s.finishExecution.run({ id: executionId, status, output: json(output), error: json(error), now }).changes, `finish execution ${executionId}`);
      this.event(executionId, now, status === "COMPLETED" ? "ExecutionCompleted" : "ExecutionFailed", null, null, error ? { error } : null);
    }).immediate();
  }

  // ---- reads ----

  async listExecutions({ status, definitionId, cursor, limit }: ListFilter): Promise<ExecutionPage> {
    const before = cursor === undefined ? Number.MAX_SAFE_INTEGER : Number(cursor);
    const params = { status: status ?? null, definitionId: definitionId ?? null, before, limit: limit + 1 };
    const stmt =
      status && definitionId ? this.s.listByBoth : status ? this.s.listByStatus : definitionId ? this.s.listByDefinition : this.s.listAll;
    const rows = stmt.all(params) as ExecutionRow[];
    const page = rows.slice(0, limit);
    return {
      executions: page.map(toExecution),
      nextCursor: rows.length > limit ? String(page[page.length - 1]!.seq) : null,
    };
  }

  async events(executionId: string): Promise<ExecutionEventRecord[] | null> {
    if (!this.s.executionExists.get({ id: executionId })) return null;
    return (this.s.eventsOf.all({ id: executionId }) as EventRow[]).map((r) => ({
      seq: r.seq,
      executionId: r.execution_id,
      at: r.at,
      type: r.type,
      taskId: r.task_id,
      attempt: r.attempt,
      data: parse(r.data) as Record<string, unknown> | null,
    }));
  }

  async systemCounts(queuedLimit: number): Promise<SystemCounts> {
    return this.db.transaction(() => ({
      running: (this.s.idsByStatus.all({ status: "RUNNING" }) as { id: string }[]).map((r) => r.id),
      queued: (this.s.firstIdsByStatus.all({ status: "QUEUED", limit: queuedLimit }) as { id: string }[]).map((r) => r.id),
      queuedCount: (this.s.countByStatus.get({ status: "QUEUED" }) as { n: number }).n,
      completedCount: (this.s.countByStatus.get({ status: "COMPLETED" }) as { n: number }).n,
    }))();
  }

  ping(): boolean {
    try {
      return (this.s.ping.get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  }

  close(): void {
    // close(false) would leave a zombie connection that prepared statements still read and write through.
    this.db.close(true);
    this.release();
  }

  private event(executionId: string, at: number, type: EventType, taskId: string | null, attempt: number | null, data: Record<string, unknown> | null) {
    this.s.insertEvent.run({ executionId, at, type, taskId, attempt, data: json(data) });
  }

  private guard(changes: number, what: string): void {
    if (changes !== 1) throw new StaleStateError(`could not ${what}: the row was not in the expected state`);
  }
}
