/**
 * The SQLite implementation of `Store`. Every write goes through group commit (one
 * transaction per turn of the event loop, a failing write rolled back alone) and resolves
 * after COMMIT; guarded UPDATEs check that exactly one row changed. Execution counts per status are
 * kept in `execution_counts` by the same transactions, so `/system/state` never counts rows.
 *
 * An execution's task states live in its own row (`executions.tasks`, a JSON array in
 * definition order): a write reads the row, checks and applies its steps in memory (the
 * same guards a per-task UPDATE had: status and attempt number), and writes the row back
 * once. Task outputs, which can be large, have rows of their own in `task_outputs`.
 *
 * Over 400 lines: row codecs, event batching, the meaning of each step and the reads still
 * live here. Issue #12 moves the step rules to the domain and the codecs and events to files
 * of their own.
 */
import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { type ErrorInfo, StorageError } from "../domain/errors.ts";
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
  type StoreFault,
} from "../domain/store.ts";
import { Checkpointer } from "./checkpointer.ts";
import { openWritable, prepareDatabaseFiles } from "./database-files.ts";
import { type Database, type OpenOptions, openDatabase, storageFaultOf } from "./driver.ts";
import { type BatchStats, type CountDeltas, GroupCommit } from "./group-commit.ts";
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

interface ExecutionWithTasksRow extends ExecutionRow {
  /** JSON: `TaskState[]` in definition order. */
  tasks: string;
}

/** What `executions.tasks` holds for one task: its run without the output. */
type TaskState = Omit<TaskRun, "output">;

/** Free space a full disk must have again before a write is tried: about 256 pages. */
const MIN_FREE_BYTES = 1024 * 1024;

/** Bytes free for this user on the file system holding `dir`; Infinity when it cannot be told. */
function freeBytes(dir: string): number {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

const UNFINISHED: ReadonlySet<TaskStatus> = new Set(["PENDING", "RUNNING", "RETRYING"]);
const REDRIVABLE: ReadonlySet<TaskStatus> = new Set(["FAILED", "SKIPPED", "CANCELLED"]);
const NO_OUTPUTS: ReadonlyMap<string, unknown> = new Map();

/** The execution a write changes: its id for messages, its seq for the rows that point at it. */
interface Target {
  id: string;
  seq: number;
}

interface StatesRow {
  seq: number;
  status: ExecutionStatus;
  cancel_requested_at: number | null;
  tasks: string;
}

interface EventRow {
  seq: number;
  at: number;
  type: EventType;
  task_id: string | null;
  attempt: number | null;
  data: string | null;
  /** JSON: the row's further events (`PendingEvent[]`), numbered seq + 1, seq + 2, … */
  more: string | null;
}

/** An event a write appends, before it has a number. */
interface PendingEvent {
  at: number;
  type: EventType;
  taskId: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
}

/** An event in `events.more`: null fields left out. */
type StoredEvent = Pick<PendingEvent, "at" | "type"> & { taskId?: string; attempt?: number; data?: Record<string, unknown> };

const packEvent = ({ at, type, taskId, attempt, data }: PendingEvent): StoredEvent => {
  const o: StoredEvent = { at, type };
  if (taskId !== null) o.taskId = taskId;
  if (attempt !== null) o.attempt = attempt;
  if (data !== null) o.data = data;
  return o;
};

const unpackEvent = (e: StoredEvent): PendingEvent => ({
  at: e.at,
  type: e.type,
  taskId: e.taskId ?? null,
  attempt: e.attempt ?? null,
  data: e.data ?? null,
});

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

const newTask = (taskId: string, name: string): TaskState => ({
  taskId,
  name,
  status: "PENDING",
  attempts: 0,
  startedAt: null,
  endTime: null,
  nextAttemptAt: null,
  error: null,
  attemptBase: 0,
  carriedOver: false,
});

/**
 * A task state as stored: fields at their default (null, 0, false, a name equal to the id)
 * are left out, which halves a row and the pages a commit writes.
 */
interface StoredTask {
  taskId: string;
  status: TaskStatus;
  name?: string;
  attempts?: number;
  startedAt?: number | null;
  endTime?: number | null;
  nextAttemptAt?: number | null;
  error?: ErrorInfo | null;
  attemptBase?: number;
  carriedOver?: boolean;
}

const packTask = (t: TaskState): StoredTask => {
  const o: StoredTask = { taskId: t.taskId, status: t.status };
  if (t.name !== t.taskId) o.name = t.name;
  if (t.attempts !== 0) o.attempts = t.attempts;
  if (t.startedAt !== null) o.startedAt = t.startedAt;
  if (t.endTime !== null) o.endTime = t.endTime;
  if (t.nextAttemptAt !== null) o.nextAttemptAt = t.nextAttemptAt;
  if (t.error !== null) o.error = t.error;
  if (t.attemptBase !== 0) o.attemptBase = t.attemptBase;
  if (t.carriedOver) o.carriedOver = true;
  return o;
};

const unpackTask = (o: StoredTask): TaskState => ({
  taskId: o.taskId,
  name: o.name ?? o.taskId,
  status: o.status,
  attempts: o.attempts ?? 0,
  startedAt: o.startedAt ?? null,
  endTime: o.endTime ?? null,
  nextAttemptAt: o.nextAttemptAt ?? null,
  error: o.error ?? null,
  attemptBase: o.attemptBase ?? 0,
  carriedOver: o.carriedOver ?? false,
});

const parseTasks = (text: string): TaskState[] => (JSON.parse(text) as StoredTask[]).map(unpackTask);
const tasksJson = (tasks: readonly TaskState[]): string => JSON.stringify(tasks.map(packTask));
const withOutputs = (tasks: readonly TaskState[], outputs: ReadonlyMap<string, unknown>): TaskRun[] =>
  tasks.map((t) => ({ ...t, output: outputs.get(t.taskId) ?? null }));

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

/** The execution `insertExecution` just wrote, with its tasks, without reading it back. */
const insertedRecord = (e: NewExecution, tasks: readonly TaskState[], now: number, started: boolean): ExecutionWithTasks => {
  const outputs = new Map(e.tasks.flatMap((t) => (t.carried ? [[t.taskId, t.carried.output ?? null] as const] : [])));
  const record = newExecutionRecord(e, now);
  return { ...record, ...(started && { status: "RUNNING" as const, startedAt: now }), tasks: withOutputs(tasks, outputs) };
};

const toDefinition = (r: DefinitionRow): StoredDefinition => ({
  id: r.id,
  version: r.version,
  body: JSON.parse(r.body) as Record<string, unknown>,
  createdAt: r.created_at,
});

export class SqliteStore implements Store {
  private readonly s: Statements;
  private readonly writes: GroupCommit;
  /** The seq of the next event appended. Only this connection writes, so it is read once. */
  private nextEventSeq: number;
  /** The events of the write being applied, by execution in order of first event: one row each when the write ends. */
  private readonly writeEvents = new Map<string, { target: Target; events: PendingEvent[] }>();
  private readonly faultListeners: (() => void)[] = [];

  constructor(
    private readonly db: Database,
    private readonly release: () => void = () => {},
    private readonly checkpointer: Checkpointer | null = null,
    logger?: Logger,
    private readonly path = ":memory:",
  ) {
    migrate(db, (from, to) =>
      logger?.info(
        "upgrading the database schema: about 12 s per million executions stored; each version is one transaction, so an upgrade cut short starts over at next start",
        { from, to },
      ),
    );
    this.s = prepareStatements(db);
    this.writes = new GroupCommit(
      db,
      (total) => {
        for (const [status, n] of total.byStatus) if (n !== 0) this.s.bumpCount.run({ status, n });
      },
      {
        afterCommit: () => checkpointer?.nudge(),
        onFault: ({ reason }, first) => {
          if (first) {
            logger?.warn(
              "the database refuses writes: requests that write answer 503 and running executions wait; Baton retries by itself",
              {
                reason,
                db: path,
              },
            );
          }
          for (const listener of this.faultListeners) listener();
        },
        onHeal: ({ since }) =>
          logger?.info("the database accepts writes again; running executions and the queue resume", {
            db: path,
            refusedForMs: Date.now() - since,
          }),
      },
    );
    this.nextEventSeq = (this.s.nextEventSeq.get() as { next: number } | null)?.next ?? 1;
  }

  /** Queues `op` for the next group commit; the events it appends are written when it returns. */
  private write<T>(op: (deltas: CountDeltas) => T): Promise<T> {
    return this.writes.write((deltas) => {
      this.writeEvents.clear(); // left over from a write that threw
      const value = op(deltas);
      this.appendEvents();
      return value;
    });
  }

  /**
   * One row per execution for the events of the write just applied: fewer rows and index
   * entries than one per event, and the numbers stay contiguous (seq, seq + 1, …). A batch
   * rolled back leaves a gap in the numbers, never a repeat.
   */
  private appendEvents(): void {
    for (const { target, events } of this.writeEvents.values()) {
      const [{ at, type, taskId, attempt, data }, ...more] = events as [PendingEvent, ...PendingEvent[]];
      const row = { seq: this.nextEventSeq, executionSeq: target.seq, at, type, taskId, attempt, data: json(data) };
      this.s.insertEvents.run({ ...row, more: more.length > 0 ? JSON.stringify(more.map(packEvent)) : null });
      this.nextEventSeq += 1 + more.length;
    }
    this.writeEvents.clear();
  }

  /**
   * Opens (creating if needed) and migrates a database file, or ":memory:". A file is locked
   * to this process until `close()`; throws `DatabaseInUseError` when another process has it,
   * and `DatabaseFileError` when a file it needs cannot be written (nothing is changed then).
   * A file gets a background checkpointer (see `checkpointer.ts`).
   */
  static open(options: OpenOptions & { logger?: Logger }): SqliteStore {
    if (options.path === ":memory:") return new SqliteStore(openDatabase(options));
    prepareDatabaseFiles(options.path);
    const release = acquireLock(options.path);
    let db: Database | null = null;
    let checkpointer: Checkpointer | null = null;
    try {
      db = openWritable(options);
      checkpointer = new Checkpointer(db, options.path, (reason) =>
        options.logger?.warn("background checkpoints stopped; the writer checkpoints by itself (slower commits now and then)", { reason }),
      );
      return new SqliteStore(db, release, checkpointer, options.logger, options.path);
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
    return this.write(() => {
      const latest = this.s.latestDefinitionCanonical.get({ id }) as { version: number; canonical: string } | null;
      if (latest && latest.canonical === canonical) return { version: latest.version, created: false };
      const version = (latest?.version ?? 0) + 1;
      this.s.insertDefinition.run({ id, version, body: JSON.stringify(body), canonical, now });
      return { version, created: true };
    });
  }

  async getDefinition(id: string, version?: number) {
    return this.reading(() => {
      const row = (
        version === undefined ? this.s.latestDefinition.get({ id }) : this.s.definitionVersion.get({ id, version })
      ) as DefinitionRow | null;
      return row ? toDefinition(row) : null;
    });
  }

  async listDefinitions() {
    return this.reading(() => {
      return (this.s.listDefinitions.all() as DefinitionRow[]).map(toDefinition);
    });
  }

  async definitionVersions(id: string) {
    return this.reading(() => {
      return (this.s.definitionVersions.all({ id }) as { version: number }[]).map((r) => r.version);
    });
  }

  // ---- admission ----

  async enqueue(e: NewExecution, now: number): Promise<Execution> {
    const input = JSON.stringify(e.input);
    await this.write((deltas) => this.insertExecution(e, input, now, deltas));
    return newExecutionRecord(e, now);
  }

  async enqueueStarted(e: NewExecution, now: number, start: readonly { taskId: string; attempt: number }[]): Promise<ExecutionWithTasks> {
    const input = JSON.stringify(e.input);
    const tasks = await this.write((deltas) => this.insertExecution(e, input, now, deltas, start));
    return insertedRecord(e, tasks, now, start !== undefined);
  }

  enqueueOnce(
    e: NewExecution,
    key: IdempotencyKey,
    now: number,
    start?: readonly { taskId: string; attempt: number }[],
  ): Promise<EnqueueOnceResult> {
    const input = JSON.stringify(e.input);
    return this.write((deltas): EnqueueOnceResult => {
      const params = { definitionId: e.definitionId, key: key.key };
      const found = this.s.idempotencyKey.get(params) as { request_hash: string; execution_id: string; created_at: number } | null;
      if (found && found.created_at >= key.notBefore) {
        if (found.request_hash !== key.requestHash) return { outcome: "conflict", executionId: found.execution_id };
        const row = this.s.execution.get({ id: found.execution_id }) as ExecutionRow | null;
        if (row) return { outcome: "existing", execution: toExecution(row) };
      }
      const tasks = this.insertExecution(e, input, now, deltas, start);
      this.s.putIdempotencyKey.run({ ...params, requestHash: key.requestHash, executionId: e.id, now });
      return { outcome: "created", execution: insertedRecord(e, tasks, now, start !== undefined) };
    });
  }

  purgeIdempotencyKeys(before: number): Promise<number> {
    return this.write(() => this.s.purgeIdempotencyKeys.run({ before }).changes);
  }

  /** Inserts a QUEUED execution or, given `start`, one already RUNNING with those attempts started. Returns its task states. */
  private insertExecution(
    e: NewExecution,
    input: string,
    now: number,
    deltas: CountDeltas,
    start?: readonly { taskId: string; attempt: number }[],
  ): TaskState[] {
    const tasks = e.tasks.map((t) =>
      t.carried
        ? { ...newTask(t.taskId, t.name), status: "COMPLETED" as const, endTime: now, carriedOver: true }
        : newTask(t.taskId, t.name),
    );
    const x: Target = { id: e.id, seq: 0 }; // its seq once inserted, before its events are written
    this.event(
      x,
      now,
      "ExecutionQueued",
      null,
      null,
      e.runAt || e.rerunOf ? { runAt: e.runAt ? new Date(e.runAt).toISOString() : undefined, rerunOf: e.rerunOf ?? undefined } : null,
    );
    if (e.rerunOf) this.event(this.target(e.rerunOf), now, "ExecutionRerunCreated", null, null, { rerun: e.id });
    if (start) {
      this.event(x, now, "ExecutionStarted", null, null, null);
      for (const { taskId, attempt } of start) this.applyStep(x, tasks, { kind: "start", taskId, attempt }, now, deltas);
    }
    x.seq = Number(
      this.s.insertExecution.run({
        id: e.id,
        definitionId: e.definitionId,
        definitionVersion: e.definitionVersion,
        status: start ? "RUNNING" : "QUEUED",
        input,
        now,
        startedAt: start ? now : null,
        runAt: e.runAt ?? null,
        rerunOf: e.rerunOf ?? null,
        tasks: tasksJson(tasks),
      }).lastInsertRowid,
    );
    for (const t of e.tasks) if (t.carried) this.putOutput(x, t.taskId, t.carried.output);
    deltas.add(start ? "RUNNING" : "QUEUED", 1);
    return tasks;
  }

  cancel(executionId: string, now: number): Promise<CancelResult> {
    return this.write((deltas): CancelResult => {
      const row = this.s.taskStates.get({ id: executionId }) as StatesRow | null;
      if (!row) return { outcome: "missing" };
      const x: Target = { id: executionId, seq: row.seq };
      if (row.status === "QUEUED") {
        this.event(x, now, "ExecutionCancelRequested", null, null, null);
        const tasks = parseTasks(row.tasks);
        this.cancelTasks(
          x,
          tasks,
          tasks.filter((t) => UNFINISHED.has(t.status)).map((t) => t.taskId),
          now,
        );
        this.guard(this.s.cancelQueued.run({ seq: x.seq, now, tasks: tasksJson(tasks) }).changes, `cancel execution ${executionId}`);
        this.event(x, now, "ExecutionCancelled", null, null, null);
        deltas.move("QUEUED", "CANCELLED");
        return { outcome: "cancelled" };
      }
      if (row.status === "RUNNING") {
        if (row.cancel_requested_at === null) {
          this.guard(this.s.requestCancel.run({ seq: x.seq, now }).changes, `request cancel of ${executionId}`);
          this.event(x, now, "ExecutionCancelRequested", null, null, null);
        }
        return { outcome: "requested" };
      }
      return { outcome: "finished", status: row.status };
    });
  }

  redrive(executionId: string, now: number): Promise<RedriveResult> {
    return this.write((deltas): RedriveResult => {
      const row = this.s.taskStates.get({ id: executionId }) as StatesRow | null;
      if (!row) return { outcome: "missing" };
      if (row.status !== "FAILED" && row.status !== "CANCELLED") return { outcome: "refused", status: row.status };
      const tasks = parseTasks(row.tasks);
      const reset: string[] = [];
      for (const t of tasks) {
        if (!REDRIVABLE.has(t.status)) continue;
        Object.assign(t, { status: "PENDING", attemptBase: t.attempts, error: null, endTime: null, nextAttemptAt: null });
        reset.push(t.taskId);
      }
      this.guard(this.s.redriveExecution.run({ seq: row.seq, tasks: tasksJson(tasks) }).changes, `redrive execution ${executionId}`);
      deltas.move(row.status, "QUEUED");
      this.event({ id: executionId, seq: row.seq }, now, "ExecutionRedriven", null, null, { from: row.status, reset });
      return { outcome: "redriven", reset };
    });
  }

  handlerStarted(executionId: string, handler: string, now: number): Promise<void> {
    return this.write(() => this.event(this.target(executionId), now, "HandlerStarted", null, null, { handler }));
  }

  handlerFinished(executionId: string, handler: string, outcome: HandlerOutcome, last: boolean, now: number): Promise<void> {
    return this.write(() => {
      const x = this.target(executionId);
      this.event(x, now, "HandlerFinished", null, null, { handler, ...outcome });
      if (last) this.s.handlersDone.run({ seq: x.seq });
    });
  }

  async rerunsOf(executionId: string): Promise<string[]> {
    return this.reading(() => {
      return (this.s.rerunsOf.all({ id: executionId }) as { id: string }[]).map((r) => r.id);
    });
  }

  private cancelTasks(x: Target, tasks: TaskState[], taskIds: readonly string[], now: number): void {
    for (const taskId of taskIds) {
      const task = this.task(x, tasks, taskId);
      this.guard(UNFINISHED.has(task.status) ? 1 : 0, `cancel task ${taskId} in ${x.id}`);
      Object.assign(task, { status: "CANCELLED", endTime: now, nextAttemptAt: null });
      this.event(x, now, "TaskCancelled", taskId, null, null);
    }
  }

  admit(executionId: string, now: number, start: readonly { taskId: string; attempt: number }[] = []) {
    return this.write((deltas): ExecutionWithTasks | null => {
      const row = this.s.execution.get({ id: executionId }) as ExecutionWithTasksRow | null;
      if (row?.status !== "QUEUED") return null;
      const tasks = parseTasks(row.tasks);
      const x: Target = { id: executionId, seq: row.seq };
      this.event(x, now, "ExecutionStarted", null, null, null);
      for (const { taskId, attempt } of start) this.applyStep(x, tasks, { kind: "start", taskId, attempt }, now, deltas);
      this.guard(this.s.admit.run({ seq: x.seq, now, tasks: tasksJson(tasks) }).changes, `admit execution ${executionId}`);
      deltas.move("QUEUED", "RUNNING");
      const admitted = toExecution({ ...row, status: "RUNNING", started_at: row.started_at ?? now });
      return { ...admitted, tasks: withOutputs(tasks, this.outputsOf(x, tasks)) };
    });
  }

  resume(executionId: string, now: number) {
    return this.write(() => {
      const row = this.s.runningSeq.get({ id: executionId }) as { seq: number } | null;
      this.guard(row ? 1 : 0, `resume execution ${executionId}`);
      this.event({ id: executionId, seq: row!.seq }, now, "ExecutionResumed", null, null, null);
    });
  }

  recover(maxRunning: number, now: number): Promise<RecoveryPlan> {
    return this.write((deltas) => {
      const running = this.s.idsByStatus.all({ status: "RUNNING" }) as Target[];
      for (const x of running.slice(maxRunning)) {
        this.guard(this.s.requeue.run({ seq: x.seq }).changes, `requeue execution ${x.id}`);
        deltas.move("RUNNING", "QUEUED");
        this.event(x, now, "ExecutionRequeued", null, null, { reason: `more than ${maxRunning} executions were RUNNING at start` });
      }
      const queued: string[] = [];
      const delayed: { id: string; runAt: number }[] = [];
      for (const r of this.s.queuedWithRunAt.all() as { id: string; run_at: number | null }[]) {
        if (r.run_at !== null && r.run_at > now) delayed.push({ id: r.id, runAt: r.run_at });
        else queued.push(r.id);
      }
      const handlersPending = (this.s.handlersPending.all() as { id: string }[]).map((r) => r.id);
      return { running: running.slice(0, maxRunning).map((x) => x.id), queued, delayed, handlersPending };
    });
  }

  async loadExecution(executionId: string): Promise<ExecutionWithTasks | null> {
    return this.reading(() => {
      return this.readExecution(executionId);
    });
  }

  // ---- attempts ----

  record(executionId: string, steps: readonly Step[], now: number): Promise<void> {
    return this.write((deltas) => {
      const row = this.s.taskStates.get({ id: executionId }) as StatesRow | null;
      if (!row) throw new StaleStateError(`could not record steps of execution ${executionId}: it does not exist`);
      const tasks = parseTasks(row.tasks);
      const x: Target = { id: executionId, seq: row.seq };
      // A finish step writes the task states with the execution's end: only steps after the last one need a write.
      let unsaved = false;
      for (const step of steps) {
        this.applyStep(x, tasks, step, now, deltas);
        unsaved = step.kind !== "finish";
      }
      if (unsaved) this.guard(this.s.saveTasks.run({ seq: x.seq, tasks: tasksJson(tasks) }).changes, `save the tasks of ${executionId}`);
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

  /**
   * Applies one step to `tasks` (the execution's task states, written back by the caller) and
   * writes its event; a finish step also writes the execution's row, with `tasks`. Throws
   * `StaleStateError` when a task or the execution is not in the state the step expects.
   */
  private applyStep(x: Target, tasks: TaskState[], step: Step, now: number, deltas: CountDeltas): void {
    switch (step.kind) {
      case "start": {
        const { taskId, attempt, resumed = false } = step;
        const task = this.task(x, tasks, taskId);
        const expected = resumed
          ? task.status === "RUNNING" && task.attempts === attempt
          : (task.status === "PENDING" || task.status === "RETRYING") && task.attempts === attempt - 1;
        this.guard(expected ? 1 : 0, `start attempt ${attempt} of task ${taskId} in ${x.id}`);
        Object.assign(task, {
          status: "RUNNING",
          attempts: attempt,
          startedAt: task.startedAt ?? now,
          nextAttemptAt: resumed ? task.nextAttemptAt : null,
        });
        this.event(x, now, "TaskStarted", taskId, attempt, resumed ? { resumed: true } : null);
        return;
      }
      case "complete": {
        const { taskId, attempt, output } = step;
        const task = this.runningTask(x, tasks, taskId, attempt, "complete");
        Object.assign(task, { status: "COMPLETED", error: null, endTime: now });
        this.putOutput(x, taskId, output);
        this.event(x, now, "TaskCompleted", taskId, attempt, null);
        return;
      }
      case "retry": {
        const { taskId, attempt, error, nextAttemptAt } = step;
        const task = this.runningTask(x, tasks, taskId, attempt, "retry");
        Object.assign(task, { status: "RETRYING", error, nextAttemptAt });
        this.event(x, now, "TaskRetrying", taskId, attempt, { error, nextAttemptAt: new Date(nextAttemptAt).toISOString() });
        return;
      }
      case "fail": {
        const { taskId, attempt, error, skip } = step;
        const task = this.runningTask(x, tasks, taskId, attempt, "fail");
        Object.assign(task, { status: "FAILED", error, endTime: now });
        this.event(x, now, "TaskFailed", taskId, attempt, { error });
        for (const skipped of skip) {
          const pending = this.task(x, tasks, skipped);
          this.guard(pending.status === "PENDING" ? 1 : 0, `skip task ${skipped} in ${x.id}`);
          Object.assign(pending, { status: "SKIPPED", endTime: now });
          this.event(x, now, "TaskSkipped", skipped, null, { because: taskId });
        }
        return;
      }
      case "finish": {
        const { status, output, error, cancelTasks = [], timedOut = false, handlersPending = false } = step;
        this.cancelTasks(x, tasks, cancelTasks, now);
        if (timedOut) this.event(x, now, "ExecutionTimedOut", null, null, error ? { error } : null);
        this.guard(
          this.s.finishExecution.run({
            seq: x.seq,
            status,
            output: json(output),
            error: json(error),
            now,
            handlersPending: handlersPending ? 1 : 0,
            tasks: tasksJson(tasks),
          }).changes,
          `finish execution ${x.id}`,
        );
        deltas.move("RUNNING", status);
        const type = status === "COMPLETED" ? "ExecutionCompleted" : status === "FAILED" ? "ExecutionFailed" : "ExecutionCancelled";
        this.event(x, now, type, null, null, error ? { error } : null);
        return;
      }
    }
  }

  private task(x: Target, tasks: TaskState[], taskId: string): TaskState {
    const task = tasks.find((t) => t.taskId === taskId);
    if (!task) throw new StaleStateError(`execution ${x.id} has no task ${taskId}`);
    return task;
  }

  /** The task, if it is RUNNING `attempt`; else a `StaleStateError` saying the step (`what`) could not be applied. */
  private runningTask(x: Target, tasks: TaskState[], taskId: string, attempt: number, what: string): TaskState {
    const task = this.task(x, tasks, taskId);
    this.guard(task.status === "RUNNING" && task.attempts === attempt ? 1 : 0, `${what} task ${taskId} in ${x.id}`);
    return task;
  }

  /** Stores a task's output; null needs no row (a task without one reads back as null). */
  private putOutput(x: Target, taskId: string, output: unknown): void {
    if (output === undefined || output === null) return;
    this.s.putOutput.run({ seq: x.seq, taskId, output: JSON.stringify(output) });
  }

  /** The outputs of `tasks`, read only when one of them has completed (only a completed task has one). */
  private outputsOf(x: Target, tasks: readonly TaskState[]): ReadonlyMap<string, unknown> {
    if (!tasks.some((t) => t.status === "COMPLETED")) return NO_OUTPUTS;
    const rows = this.s.outputsOf.all({ seq: x.seq }) as { task_id: string; output: string }[];
    return new Map(rows.map((r) => [r.task_id, JSON.parse(r.output)]));
  }

  private readExecution(executionId: string): ExecutionWithTasks | null {
    const row = this.s.execution.get({ id: executionId }) as ExecutionWithTasksRow | null;
    if (!row) return null;
    const tasks = parseTasks(row.tasks);
    return { ...toExecution(row), tasks: withOutputs(tasks, this.outputsOf({ id: executionId, seq: row.seq }, tasks)) };
  }

  // ---- reads ----

  async listExecutions({ status, definitionId, cursor, limit }: ListFilter): Promise<ExecutionPage> {
    return this.reading(() => {
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
    });
  }

  async events(executionId: string): Promise<ExecutionEventRecord[] | null> {
    return this.reading(() => {
      const found = this.s.seqOf.get({ id: executionId }) as { seq: number } | null;
      if (!found) return null;
      const events: ExecutionEventRecord[] = [];
      for (const r of this.s.eventsOf.all({ executionSeq: found.seq }) as EventRow[]) {
        events.push({
          seq: r.seq,
          executionId,
          at: r.at,
          type: r.type,
          taskId: r.task_id,
          attempt: r.attempt,
          data: parse(r.data) as Record<string, unknown> | null,
        });
        if (r.more === null) continue;
        for (const [i, e] of (JSON.parse(r.more) as StoredEvent[]).entries())
          events.push({ seq: r.seq + 1 + i, executionId, ...unpackEvent(e) });
      }
      return events;
    });
  }

  async systemCounts(queuedLimit: number): Promise<SystemCounts> {
    return this.reading(() => {
      // Reads run between batches on the one connection, so these four see one state.
      const count = (status: ExecutionStatus) => (this.s.countOf.get({ status }) as { n: number } | null)?.n ?? 0;
      return {
        running: (this.s.idsByStatus.all({ status: "RUNNING" }) as { id: string }[]).map((r) => r.id),
        queued: (this.s.firstIdsByStatus.all({ status: "QUEUED", limit: queuedLimit }) as { id: string }[]).map((r) => r.id),
        queuedCount: count("QUEUED"),
        completedCount: count("COMPLETED"),
      };
    });
  }

  ping(): boolean {
    try {
      return (this.s.ping.get() as { ok: number }).ok === 1;
    } catch {
      return false;
    }
  }

  /** Runs a read; a storage fault (an I/O error reading the file) becomes a `StorageError` (503), not a bug (500). */
  private reading<T>(read: () => T): T {
    try {
      return read();
    } catch (err) {
      const fault = storageFaultOf(err);
      if (!fault) throw err;
      throw new StorageError(
        `the database could not be read: ${fault.reason}. Retry in a few seconds; if it persists, check the disk holding the database and the server log`,
        null,
        fault.reason,
      );
    }
  }

  writeFault(): StoreFault | null {
    const fault = this.writes.writeFault;
    return fault && { reason: fault.reason, since: fault.since };
  }

  onWriteFault(listener: () => void): void {
    this.faultListeners.push(listener);
  }

  async probeWrites(): Promise<boolean> {
    const fault = this.writes.writeFault;
    if (!fault) return true;
    // A full disk with no room yet: a probe write could still fit in the WAL's free pages,
    // only for the next batch to fail again.
    if (fault.code.startsWith("SQLITE_FULL") && this.path !== ":memory:" && freeBytes(dirname(this.path)) < MIN_FREE_BYTES) return false;
    // A real page write (a no-op UPDATE still rewrites its page), in a transaction of its own.
    return this.writes.probe(() => this.s.bumpCount.run({ status: "QUEUED", n: 0 }));
  }

  close(): void {
    this.writes.close();
    this.checkpointer?.close();
    // close(false) would leave a zombie connection that prepared statements still read and write through.
    this.db.close(true);
    this.release();
  }

  /** Appends an event to the write being applied; written with the others for `x` when the write ends. */
  private event(
    x: Target,
    at: number,
    type: EventType,
    taskId: string | null,
    attempt: number | null,
    data: Record<string, unknown> | null,
  ) {
    const event: PendingEvent = { at, type, taskId, attempt, data };
    const pending = this.writeEvents.get(x.id);
    if (pending) pending.events.push(event);
    else this.writeEvents.set(x.id, { target: x, events: [event] });
  }

  /** The execution `id` as the target of a write; `StaleStateError` when it does not exist. */
  private target(id: string): Target {
    const row = this.s.seqOf.get({ id }) as { seq: number } | null;
    if (!row) throw new StaleStateError(`execution ${id} does not exist`);
    return { id, seq: row.seq };
  }

  private guard(changes: number, what: string): void {
    if (changes !== 1) throw new StaleStateError(`could not ${what}: the row was not in the expected state`);
  }
}
