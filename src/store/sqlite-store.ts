/**
 * The SQLite implementation of `Store`. Every write goes through group commit (one
 * transaction per turn of the event loop, a failing write rolled back alone) and resolves
 * after COMMIT; guarded UPDATEs check that exactly one row changed. Execution counts per status are
 * kept in `execution_counts` by the same transactions, so `/system/state` never counts rows.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ErrorInfo } from "../domain/errors.ts";
import type { Logger } from "../domain/log.ts";
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
import {
  type CancelResult,
  type EnqueueOnceResult,
  type HandlerOutcome,
  type IdempotencyKey,
  type NewExecution,
  type RecoveryPlan,
  type RedriveResult,
  StaleStateError,
  type Step,
  type Store,
} from "../domain/store.ts";
import { type Database, type OpenOptions, openDatabase } from "./driver.ts";
import { Checkpointer } from "./checkpointer.ts";
import { type BatchStats, CountDeltas, GroupCommit } from "./group-commit.ts";
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
  run_at: number | null;
  cancel_requested_at: number | null;
  rerun_of: string | null;
  handlers_pending: number;
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
  attempt_base: number;
  carried_over: number;
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
  runAt: r.run_at,
  cancelRequestedAt: r.cancel_requested_at,
  rerunOf: r.rerun_of,
  handlersPending: r.handlers_pending === 1,
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
  attemptBase: r.attempt_base,
  carriedOver: r.carried_over === 1,
});

/** A task row of an execution that had never started, as `admit` just left it: started now, or still PENDING. */
const unstartedTask = (taskId: string, name: string, attempt: number | undefined, now: number): TaskRun => ({
  taskId,
  name,
  status: attempt === undefined ? "PENDING" : "RUNNING",
  attempts: attempt ?? 0,
  startedAt: attempt === undefined ? null : now,
  endTime: null,
  nextAttemptAt: null,
  output: null,
  error: null,
  attemptBase: 0,
  carriedOver: false,
});

/** The record of an execution `enqueue` just wrote, without reading it back. */
const newExecutionRecord = (e: NewExecution, now: number): Execution => ({
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
  runAt: e.runAt ?? null,
  cancelRequestedAt: null,
  rerunOf: e.rerunOf ?? null,
  handlersPending: false,
});

const toDefinition = (r: DefinitionRow): StoredDefinition => ({
  id: r.id,
  version: r.version,
  body: JSON.parse(r.body) as Record<string, unknown>,
  createdAt: r.created_at,
});

export class SqliteStore implements Store {
  private readonly s: Statements;
  private readonly writes: GroupCommit;

  constructor(
    private readonly db: Database,
    private readonly release: () => void = () => {},
    private readonly checkpointer: Checkpointer | null = null,
  ) {
    migrate(db);
    this.s = prepareStatements(db);
    this.writes = new GroupCommit(
      db,
      (total) => {
        for (const [status, n] of total.byStatus) if (n !== 0) this.s.bumpCount.run({ status, n });
      },
      () => checkpointer?.nudge(),
    );
  }

  /**
   * Opens (creating if needed) and migrates a database file, or ":memory:". A file is locked
   * to this process until `close()`; throws `DatabaseInUseError` when another process has it.
   * A file gets a background checkpointer (see `checkpointer.ts`).
   */
  static open(options: OpenOptions & { logger?: Logger }): SqliteStore {
    if (options.path === ":memory:") return new SqliteStore(openDatabase(options));
    mkdirSync(dirname(options.path), { recursive: true });
    const release = acquireLock(options.path);
    let db: Database | null = null;
    let checkpointer: Checkpointer | null = null;
    try {
      db = openDatabase(options);
      checkpointer = new Checkpointer(db, options.path, (reason) =>
        options.logger?.warn("background checkpoints stopped; the writer checkpoints by itself (slower commits now and then)", { reason }),
      );
      return new SqliteStore(db, release, checkpointer);
    } catch (err) {
      checkpointer?.close();
      db?.close(true);
      release();
      throw err;
    }
  }

  /** How well group commit is batching (benchmarks, debugging). */
  get writeStats(): BatchStats {
    return { ...this.writes.stats };
  }

  // ---- definitions ----

  registerDefinition(id: string, body: Record<string, unknown>, canonical: string, now: number) {
    return this.writes.write(() => {
      const latest = this.s.latestDefinitionCanonical.get({ id }) as { version: number; canonical: string } | null;
      if (latest && latest.canonical === canonical) return { version: latest.version, created: false };
      const version = (latest?.version ?? 0) + 1;
      this.s.insertDefinition.run({ id, version, body: JSON.stringify(body), canonical, now });
      return { version, created: true };
    });
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
    const input = JSON.stringify(e.input);
    await this.writes.write((deltas) => this.insertExecution(e, input, now, deltas));
    return newExecutionRecord(e, now);
  }

  enqueueOnce(e: NewExecution, key: IdempotencyKey, now: number): Promise<EnqueueOnceResult> {
    const input = JSON.stringify(e.input);
    return this.writes.write((deltas): EnqueueOnceResult => {
      const params = { definitionId: e.definitionId, key: key.key };
      const found = this.s.idempotencyKey.get(params) as { request_hash: string; execution_id: string; created_at: number } | null;
      if (found && found.created_at >= key.notBefore) {
        if (found.request_hash !== key.requestHash) return { outcome: "conflict", executionId: found.execution_id };
        const row = this.s.execution.get({ id: found.execution_id }) as ExecutionRow | null;
        if (row) return { outcome: "existing", execution: toExecution(row) };
      }
      this.insertExecution(e, input, now, deltas);
      this.s.putIdempotencyKey.run({ ...params, requestHash: key.requestHash, executionId: e.id, now });
      return { outcome: "created", execution: newExecutionRecord(e, now) };
    });
  }

  purgeIdempotencyKeys(before: number): Promise<number> {
    return this.writes.write(() => this.s.purgeIdempotencyKeys.run({ before }).changes);
  }

  private insertExecution(e: NewExecution, input: string, now: number, deltas: CountDeltas): void {
    this.s.insertExecution.run({ id: e.id, definitionId: e.definitionId, definitionVersion: e.definitionVersion, input, now, runAt: e.runAt ?? null, rerunOf: e.rerunOf ?? null });
    e.tasks.forEach((t, position) => {
      if (t.carried) this.s.insertCarriedTask.run({ executionId: e.id, position, taskId: t.taskId, name: t.name, output: JSON.stringify(t.carried.output ?? null), now });
      else this.s.insertTask.run({ executionId: e.id, position, taskId: t.taskId, name: t.name });
    });
    this.event(e.id, now, "ExecutionQueued", null, null, e.runAt || e.rerunOf ? { runAt: e.runAt ? new Date(e.runAt).toISOString() : undefined, rerunOf: e.rerunOf ?? undefined } : null);
    if (e.rerunOf) this.event(e.rerunOf, now, "ExecutionRerunCreated", null, null, { rerun: e.id });
    deltas.add("QUEUED", 1);
  }

  cancel(executionId: string, now: number): Promise<CancelResult> {
    return this.writes.write((deltas): CancelResult => {
      const row = this.s.statusOf.get({ id: executionId }) as { status: ExecutionStatus; cancel_requested_at: number | null } | null;
      if (!row) return { outcome: "missing" };
      if (row.status === "QUEUED") {
        this.event(executionId, now, "ExecutionCancelRequested", null, null, null);
        this.guard(this.s.cancelQueued.run({ id: executionId, now }).changes, `cancel execution ${executionId}`);
        this.cancelTasks(executionId, this.unfinishedTasks(executionId), now);
        this.event(executionId, now, "ExecutionCancelled", null, null, null);
        deltas.move("QUEUED", "CANCELLED");
        return { outcome: "cancelled" };
      }
      if (row.status === "RUNNING") {
        if (row.cancel_requested_at === null) {
          this.guard(this.s.requestCancel.run({ id: executionId, now }).changes, `request cancel of ${executionId}`);
          this.event(executionId, now, "ExecutionCancelRequested", null, null, null);
        }
        return { outcome: "requested" };
      }
      return { outcome: "finished", status: row.status };
    });
  }

  redrive(executionId: string, now: number): Promise<RedriveResult> {
    return this.writes.write((deltas): RedriveResult => {
      const row = this.s.statusOf.get({ id: executionId }) as { status: ExecutionStatus } | null;
      if (!row) return { outcome: "missing" };
      if (row.status !== "FAILED" && row.status !== "CANCELLED") return { outcome: "refused", status: row.status };
      this.guard(this.s.redriveExecution.run({ id: executionId }).changes, `redrive execution ${executionId}`);
      const reset = (this.s.redriveTasks.all({ id: executionId }) as { task_id: string }[]).map((r) => r.task_id);
      deltas.move(row.status, "QUEUED");
      this.event(executionId, now, "ExecutionRedriven", null, null, { from: row.status, reset });
      return { outcome: "redriven", reset };
    });
  }

  handlerStarted(executionId: string, handler: string, now: number): Promise<void> {
    return this.writes.write(() => this.event(executionId, now, "HandlerStarted", null, null, { handler }));
  }

  handlerFinished(executionId: string, handler: string, outcome: HandlerOutcome, last: boolean, now: number): Promise<void> {
    return this.writes.write(() => {
      this.event(executionId, now, "HandlerFinished", null, null, { handler, ...outcome });
      if (last) this.s.handlersDone.run({ id: executionId });
    });
  }

  async rerunsOf(executionId: string): Promise<string[]> {
    return (this.s.rerunsOf.all({ id: executionId }) as { id: string }[]).map((r) => r.id);
  }

  private unfinishedTasks(executionId: string): string[] {
    return (this.s.unfinishedTasks.all({ id: executionId }) as { task_id: string }[]).map((r) => r.task_id);
  }

  private cancelTasks(executionId: string, taskIds: readonly string[], now: number): void {
    for (const taskId of taskIds) {
      this.guard(this.s.cancelTask.run({ executionId, taskId, now }).changes, `cancel task ${taskId} in ${executionId}`);
      this.event(executionId, now, "TaskCancelled", taskId, null, null);
    }
  }

  admit(
    executionId: string,
    now: number,
    start: readonly { taskId: string; attempt: number }[] = [],
    tasks?: readonly { taskId: string; name: string }[],
  ) {
    return this.writes.write((deltas): ExecutionWithTasks | null => {
      // Never started: nothing ran, so the task rows are known without reading them back.
      const first = tasks ? (this.s.admitFirst.get({ id: executionId, now }) as ExecutionRow | null) : null;
      if (!first && this.s.admit.run({ id: executionId, now }).changes !== 1) return null;
      deltas.move("QUEUED", "RUNNING");
      this.event(executionId, now, "ExecutionStarted", null, null, null);
      for (const { taskId, attempt } of start) this.applyStep(executionId, { kind: "start", taskId, attempt }, now, deltas);
      if (!first) return this.readExecution(executionId);
      const started = new Map(start.map((s) => [s.taskId, s.attempt]));
      return { ...toExecution(first), tasks: tasks!.map(({ taskId, name }) => unstartedTask(taskId, name, started.get(taskId), now)) };
    });
  }

  resume(executionId: string, now: number) {
    return this.writes.write(() => {
      this.guard(this.s.isRunning.get({ id: executionId }) ? 1 : 0, `resume execution ${executionId}`);
      this.event(executionId, now, "ExecutionResumed", null, null, null);
    });
  }

  recover(maxRunning: number, now: number): Promise<RecoveryPlan> {
    return this.writes.write((deltas) => {
      const running = (this.s.idsByStatus.all({ status: "RUNNING" }) as { id: string }[]).map((r) => r.id);
      for (const id of running.slice(maxRunning)) {
        this.guard(this.s.requeue.run({ id }).changes, `requeue execution ${id}`);
        deltas.move("RUNNING", "QUEUED");
        this.event(id, now, "ExecutionRequeued", null, null, { reason: `more than ${maxRunning} executions were RUNNING at start` });
      }
      const queued: string[] = [];
      const delayed: { id: string; runAt: number }[] = [];
      for (const r of this.s.queuedWithRunAt.all() as { id: string; run_at: number | null }[]) {
        if (r.run_at !== null && r.run_at > now) delayed.push({ id: r.id, runAt: r.run_at });
        else queued.push(r.id);
      }
      const handlersPending = (this.s.handlersPending.all() as { id: string }[]).map((r) => r.id);
      return { running: running.slice(0, maxRunning), queued, delayed, handlersPending };
    });
  }

  async loadExecution(executionId: string): Promise<ExecutionWithTasks | null> {
    return this.readExecution(executionId);
  }

  // ---- attempts ----

  record(executionId: string, steps: readonly Step[], now: number): Promise<void> {
    return this.writes.write((deltas) => {
      for (const step of steps) this.applyStep(executionId, step, now, deltas);
    });
  }

  startAttempt(executionId: string, taskId: string, attempt: number, now: number, resumed: boolean) {
    return this.record(executionId, [{ kind: "start", taskId, attempt, resumed }], now);
  }

  completeTask(executionId: string, taskId: string, attempt: number, output: unknown, now: number) {
    return this.record(executionId, [{ kind: "complete", taskId, attempt, output }], now);
  }

  retryTask(executionId: string, taskId: string, attempt: number, error: ErrorInfo, nextAttemptAt: number, now: number) {
    return this.record(executionId, [{ kind: "retry", taskId, attempt, error, nextAttemptAt }], now);
  }

  failTask(executionId: string, taskId: string, attempt: number, error: ErrorInfo, skip: string[], now: number) {
    return this.record(executionId, [{ kind: "fail", taskId, attempt, error, skip }], now);
  }

  finishExecution(executionId: string, status: "COMPLETED" | "FAILED", output: unknown, error: ExecutionError | null, now: number) {
    return this.record(executionId, [{ kind: "finish", status, output, error }], now);
  }

  /** Writes one step's rows and event; throws `StaleStateError` when a row is not in the expected state. */
  private applyStep(executionId: string, step: Step, now: number, deltas: CountDeltas): void {
    const { s } = this;
    switch (step.kind) {
      case "start": {
        const { taskId, attempt, resumed = false } = step;
        const stmt = resumed ? s.resumeAttempt : s.startAttempt;
        this.guard(stmt.run({ executionId, taskId, attempt, now }).changes, `start attempt ${attempt} of task ${taskId} in ${executionId}`);
        this.event(executionId, now, "TaskStarted", taskId, attempt, resumed ? { resumed: true } : null);
        return;
      }
      case "complete": {
        const { taskId, attempt, output } = step;
        this.guard(s.completeTask.run({ executionId, taskId, attempt, output: JSON.stringify(output ?? null), now }).changes, `complete task ${taskId} in ${executionId}`);
        this.event(executionId, now, "TaskCompleted", taskId, attempt, null);
        return;
      }
      case "retry": {
        const { taskId, attempt, error, nextAttemptAt } = step;
        this.guard(s.retryTask.run({ executionId, taskId, attempt, error: JSON.stringify(error), nextAttemptAt }).changes, `retry task ${taskId} in ${executionId}`);
        this.event(executionId, now, "TaskRetrying", taskId, attempt, { error, nextAttemptAt: new Date(nextAttemptAt).toISOString() });
        return;
      }
      case "fail": {
        const { taskId, attempt, error, skip } = step;
        this.guard(s.failTask.run({ executionId, taskId, attempt, error: JSON.stringify(error), now }).changes, `fail task ${taskId} in ${executionId}`);
        this.event(executionId, now, "TaskFailed", taskId, attempt, { error });
        for (const skipped of skip) {
          this.guard(s.skipTask.run({ executionId, taskId: skipped, now }).changes, `skip task ${skipped} in ${executionId}`);
          this.event(executionId, now, "TaskSkipped", skipped, null, { because: taskId });
        }
        return;
      }
      case "finish": {
        const { status, output, error, cancelTasks = [], timedOut = false, handlersPending = false } = step;
        this.cancelTasks(executionId, cancelTasks, now);
        if (timedOut) this.event(executionId, now, "ExecutionTimedOut", null, null, error ? { error } : null);
        this.guard(
          s.finishExecution.run({ id: executionId, status, output: json(output), error: json(error), now, handlersPending: handlersPending ? 1 : 0 }).changes,
          `finish execution ${executionId}`,
        );
        deltas.move("RUNNING", status);
        const type = status === "COMPLETED" ? "ExecutionCompleted" : status === "FAILED" ? "ExecutionFailed" : "ExecutionCancelled";
        this.event(executionId, now, type, null, null, error ? { error } : null);
        return;
      }
    }
  }

  private readExecution(executionId: string): ExecutionWithTasks | null {
    const row = this.s.execution.get({ id: executionId }) as ExecutionRow | null;
    if (!row) return null;
    const tasks = (this.s.tasksOf.all({ id: executionId }) as TaskRow[]).map(toTask);
    return { ...toExecution(row), tasks };
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
    // Reads run between batches on the one connection, so these four see one state.
    const count = (status: ExecutionStatus) => (this.s.countOf.get({ status }) as { n: number } | null)?.n ?? 0;
    return {
      running: (this.s.idsByStatus.all({ status: "RUNNING" }) as { id: string }[]).map((r) => r.id),
      queued: (this.s.firstIdsByStatus.all({ status: "QUEUED", limit: queuedLimit }) as { id: string }[]).map((r) => r.id),
      queuedCount: count("QUEUED"),
      completedCount: count("COMPLETED"),
    };
  }

  ping(): boolean {
    try {
      return (this.s.ping.get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  }

  close(): void {
    this.writes.close();
    this.checkpointer?.close();
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
