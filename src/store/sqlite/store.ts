/**
 * The SQLite store: opens (and locks, migrates, checkpoints) one database file and implements
 * the store ports on it. Every write goes through group commit (one transaction per turn of the
 * event loop, a failing write rolled back alone) and resolves after COMMIT. What each write
 * means is decided by `domain/transitions.ts` and persisted by `writes.ts`; `reads.ts`, `codec.ts`,
 * `events.ts`, `retention.ts`, `operations.ts` hold the rest. Counts per status are kept in
 * `execution_counts` by the same transactions, so `/system/state` never counts rows. Over 300
 * lines on purpose: one class implements every port, one short method each.
 */
import { dirname } from "node:path";
import { StorageError } from "../../domain/errors.ts";
import type { Logger } from "../../domain/log.ts";
import type { Execution, ExecutionPage, ExecutionWithTasks, ListFilter } from "../../domain/model.ts";
import type { ScheduleSpec } from "../../domain/schedule.ts";
import type {
  BackupPort,
  BackupResult,
  CancelResult,
  EnqueueOnceResult,
  ExpiryRule,
  HandlerOutcome,
  IdempotencyKey,
  Lease,
  LeaseGrant,
  LeaseSettlement,
  NewExecution,
  NewLease,
  PollingWorker,
  RecoveryPlan,
  RedriveResult,
  ScheduledExecution,
  Store,
  StoreFault,
} from "../../domain/store.ts";
import type { AttemptStart, Step } from "../../domain/transitions.ts";
import { backupInWorker } from "./backup.ts";
import { Checkpointer } from "./checkpointer.ts";
import { insertedExecution, insertedRecord } from "./codec.ts";
import { freeBytes, MIN_FREE_BYTES, openWritable, prepareDatabaseFiles } from "./database-files.ts";
import { type Database, driverOf, type OpenOptions, openDatabase, storageFaultOf } from "./driver.ts";
import { EventLog } from "./events.ts";
import { type BatchStats, GroupCommit } from "./group-commit.ts";
import * as leases from "./leases.ts";
import { acquireLock } from "./lockfile.ts";
import { migrate } from "./migrations.ts";
import { SqliteOperations } from "./operations.ts";
import * as reads from "./reads.ts";
import * as retention from "./retention.ts";
import * as schedules from "./schedules.ts";
import { prepareStatements, type Statements } from "./statements.ts";
import * as writes from "./writes.ts";

export class SqliteStore implements Store, BackupPort {
  private readonly s: Statements;
  private readonly ss: schedules.ScheduleStatements;
  private readonly rs: retention.RetentionStatements;
  private readonly writes: GroupCommit;
  private readonly eventLog: EventLog;
  private readonly faultListeners: (() => void)[] = [];
  readonly operations: SqliteOperations;

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
    this.ss = schedules.prepareScheduleStatements(db);
    this.rs = retention.prepareRetentionStatements(db, (at) => reads.firstSeqCreatedAt(this.s, at));
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
              { reason, db: path },
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
    this.eventLog = new EventLog(this.s);
    this.operations = new SqliteOperations(db, this.writes, (r) => this.reading(r));
  }

  /** Queues `op` for the next group commit; the events it appends are written when it returns. */
  private write<T>(op: (tx: writes.Tx) => T): Promise<T> {
    return this.writes.write((deltas) => {
      this.eventLog.reset(); // left over from a write that threw
      const value = op({ s: this.s, deltas, events: this.eventLog });
      this.eventLog.flush();
      return value;
    });
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

  registerDefinition(
    id: string,
    body: Record<string, unknown>,
    canonical: string,
    now: number,
    specs: readonly ScheduleSpec[] = [],
    actor: string | null = null,
  ) {
    return this.write(({ s }) => {
      const latest = s.latestDefinitionCanonical.get({ id }) as { version: number; canonical: string } | null;
      if (latest && latest.canonical === canonical) return { version: latest.version, created: false };
      const version = (latest?.version ?? 0) + 1;
      s.insertDefinition.run({ id, version, body: JSON.stringify(body), canonical, now, actor });
      schedules.replaceSchedules(this.ss, id, version, specs, now);
      return { version, created: true };
    });
  }

  async getDefinition(id: string, version?: number) {
    return this.reading(() => reads.getDefinition(this.s, id, version));
  }

  async listDefinitions() {
    return this.reading(() => reads.listDefinitions(this.s));
  }

  async definitionVersions(id: string) {
    return this.reading(() => reads.definitionVersions(this.s, id));
  }

  // ---- execution writes ----

  async enqueue(e: NewExecution, now: number): Promise<Execution> {
    await this.write((tx) => writes.insertExecution(tx, e, now));
    return insertedExecution(e, now, false);
  }

  async enqueueStarted(e: NewExecution, now: number, start: readonly AttemptStart[]): Promise<ExecutionWithTasks> {
    const tasks = await this.write((tx) => writes.insertExecution(tx, e, now, start));
    return insertedRecord(e, tasks, now, true);
  }

  enqueueOnce(e: NewExecution, key: IdempotencyKey, now: number, start?: readonly AttemptStart[]): Promise<EnqueueOnceResult> {
    return this.write((tx) => writes.enqueueOnce(tx, e, key, now, start));
  }

  purgeIdempotencyKeys(before: number): Promise<number> {
    return this.write(({ s }) => s.purgeIdempotencyKeys.run({ before }).changes);
  }

  admit(executionId: string, now: number, start: readonly AttemptStart[] = []): Promise<ExecutionWithTasks | null> {
    return this.write((tx) => writes.admitExecution(tx, executionId, now, start));
  }

  resume(executionId: string, now: number): Promise<void> {
    return this.write((tx) => writes.resumeExecution(tx, executionId, now));
  }

  recover(maxRunning: number, now: number): Promise<RecoveryPlan> {
    return this.write((tx) => writes.recover(tx, maxRunning, now));
  }

  record(executionId: string, steps: readonly Step[], now: number, lease?: LeaseSettlement): Promise<void> {
    return this.write((tx) => writes.record(tx, executionId, steps, now, lease));
  }

  cancel(executionId: string, now: number, actor: string | null = null): Promise<CancelResult> {
    return this.write((tx) => writes.cancelExecution(tx, executionId, now, actor));
  }

  redrive(executionId: string, now: number, actor: string | null = null): Promise<RedriveResult> {
    return this.write((tx) => writes.redriveExecution(tx, executionId, now, actor));
  }

  handlerStarted(executionId: string, handler: string, now: number): Promise<void> {
    return this.write((tx) => writes.handlerStarted(tx, executionId, handler, now));
  }

  handlerFinished(executionId: string, handler: string, outcome: HandlerOutcome, last: boolean, now: number): Promise<void> {
    return this.write((tx) => writes.handlerFinished(tx, executionId, handler, outcome, last, now));
  }

  // ---- leases and workers ----

  grantLease(lease: NewLease, now: number): Promise<Lease> {
    return this.write(({ s }) => leases.grantLease(s, lease, now));
  }

  grantLeases(worker: PollingWorker, ls: readonly NewLease[], now: number): Promise<LeaseGrant[]> {
    return this.write(({ s }) => leases.grantLeases(s, worker, ls, now));
  }

  heartbeatLease(leaseId: string, expiresAt: number, now: number) {
    return this.write(({ s }) => leases.heartbeatLease(s, leaseId, expiresAt, now));
  }

  endStaleLease(leaseId: string, now: number): Promise<boolean> {
    return this.write(({ s }) => leases.endStaleLease(s, leaseId, now));
  }

  seeWorker(workerId: string, functions: readonly string[], now: number): Promise<void> {
    return this.write(({ s }) => void s.seeWorker.run({ workerId, functions: JSON.stringify(functions), now }));
  }

  async getLease(leaseId: string) {
    return this.reading(() => leases.getLease(this.s, leaseId));
  }

  async expiredLeases(now: number) {
    return this.reading(() => leases.expiredLeases(this.s, now));
  }

  async openLeaseOf(executionId: string, taskId: string, attempt: number) {
    return this.reading(() => leases.openLeaseOf(this.s, executionId, taskId, attempt));
  }

  listWorkers = async (since: number, now: number) => this.reading(() => leases.listWorkers(this.s, since, now));
  liveLeases = async (now: number, limit: number) => this.reading(() => leases.liveLeases(this.s, now, limit));

  // ---- schedules ----

  async listSchedules() {
    return this.reading(() => schedules.listSchedules(this.ss));
  }

  async getSchedule(definitionId: string, scheduleId: string) {
    return this.reading(() => schedules.getSchedule(this.ss, { definitionId, scheduleId }));
  }

  async scheduleEvents(definitionId: string, scheduleId: string, limit: number, beforeSeq?: number) {
    return this.reading(() => schedules.scheduleEvents(this.ss, { definitionId, scheduleId }, limit, beforeSeq));
  }

  fireSchedule(e: ScheduledExecution, now: number) {
    return this.write((tx) => schedules.fireSchedule(tx, this.ss, e, now));
  }

  recordMissed(definitionId: string, scheduleId: string, missed: schedules.Missed, progress: number, now: number): Promise<void> {
    return this.write(() => schedules.recordMissed(this.ss, { definitionId, scheduleId }, missed, progress, now));
  }

  startBufferedFire(e: ScheduledExecution, now: number) {
    return this.write((tx) => schedules.startBufferedFire(tx, this.ss, e, now));
  }

  setSchedulePaused(definitionId: string, scheduleId: string, paused: boolean, actor: string | null, now: number) {
    return this.write(() => schedules.setPaused(this.ss, { definitionId, scheduleId }, paused, actor, now));
  }

  triggerSchedule(e: ScheduledExecution, actor: string | null, now: number) {
    return this.write((tx) => schedules.trigger(tx, this.ss, e, actor, now));
  }

  /** Retention (`retention.ts`): a batch of deletes, how many are left, the vacuum step. */
  deleteExpired(rule: ExpiryRule): Promise<number> {
    return this.write((tx) => retention.deleteExpired(tx, this.rs, rule));
  }

  async countExpired(rule: ExpiryRule, max: number): Promise<number> {
    return this.reading(() => retention.countExpired(this.rs, rule, max));
  }

  releaseFreePages(maxPages: number): Promise<number> {
    return this.write(() => retention.releaseFreePages(this.rs, maxPages));
  }

  // ---- reads ----

  async loadExecution(executionId: string): Promise<ExecutionWithTasks | null> {
    return this.reading(() => reads.loadExecution(this.s, executionId));
  }

  async listExecutions(filter: ListFilter): Promise<ExecutionPage> {
    return this.reading(() => reads.listExecutions(this.s, filter));
  }

  async events(executionId: string) {
    return this.reading(() => reads.events(this.s, executionId));
  }

  async rerunsOf(executionId: string): Promise<string[]> {
    return this.reading(() => reads.rerunsOf(this.s, executionId));
  }

  async systemCounts(queuedLimit: number) {
    return this.reading(() => reads.systemCounts(this.s, queuedLimit));
  }

  async recentStarts(definitionId: string, since: number, limit: number): Promise<number[]> {
    return this.reading(() => reads.recentStarts(this.s, definitionId, since, limit));
  }

  async failuresSince(since: number, limit: number, scan: number) {
    return this.reading(() => reads.failuresSince(this.s, since, limit, scan));
  }
  activity = async (from: number, stepMs: number, buckets: number, scan: number) =>
    this.reading(() => reads.activity(this.s, from, stepMs, buckets, scan));

  // ---- health ----

  async ping(): Promise<boolean> {
    return reads.ping(this.s);
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

  /** See `BackupPort`: `VACUUM INTO` on a thread and connection of its own (`backup.ts`); an existing file is a `ConflictError`. */
  async backup(path: string): Promise<BackupResult> {
    if (this.path === ":memory:") throw new Error("an in-memory database has no file to back up");
    return backupInWorker(this.path, path, driverOf(this.db));
  }

  async close(): Promise<void> {
    this.writes.close();
    this.checkpointer?.close();
    // close(false) would leave a zombie connection that prepared statements still read and write through.
    this.db.close(true);
    this.release();
  }
}
