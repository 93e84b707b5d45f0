/**
 * The engine: admits executions through a semaphore first in, first out, runs each one, and
 * at start resumes what a previous process left unfinished. It talks to durable state only
 * through the `Store` interface. After a storage fault it resumes by itself: work that could
 * not be recorded is parked and read back once the database accepts writes.
 *
 * This class is the facade: it wires the parts and is their one public surface. Over 300
 * lines for that reason: one short method per command, each delegating to a part.
 * - `admission.ts`: the semaphore, the queue, the direct path, driving runs, parked executions
 * - `commands.ts`: submit (idempotency, delayed starts), cancel, redrive, rerun
 * - `run.ts` (with `run-record.ts`, `task-call.ts`): one execution's run
 * - `handler-runner.ts`: onSuccess/onFailure/onExit, resumed after a restart or a fault
 * - `remote.ts`: remote tasks offered to workers that poll over HTTP, under leases
 * - `services/`: delayed starts, idempotency-key purge, fault recovery, lease expiry, the scheduler, retention, each with `runOnce(now)`
 */
import { type Clock, systemClock } from "../domain/clock.ts";
import { type ErrorInfo, ShutdownError } from "../domain/errors.ts";
import type { WaitReason } from "../domain/flow.ts";
import type { FunctionRegistry } from "../domain/function.ts";
import { uuidv7 } from "../domain/ids.ts";
import { type Logger, silentLogger } from "../domain/log.ts";
import { type EngineMetrics, noMetrics } from "../domain/metrics.ts";
import type { Execution } from "../domain/model.ts";
import type { Rng } from "../domain/retry.ts";
import { noSecrets, type SecretSource } from "../domain/secrets.ts";
import type { CancelResult, RedriveResult, ScheduleRecord, Store, WorkerInfo } from "../domain/store.ts";
import { Admission } from "./admission.ts";
import { DefinitionCatalog } from "./catalog.ts";
import { Commands, type Phase, type SubmitOptions, type Submitted } from "./commands.ts";
import type { RunDeps } from "./deps.ts";
import { HandlerRunner } from "./handler-runner.ts";
import { type LeaseAnswer, RemoteDispatcher, type RemoteTask } from "./remote.ts";
import { DelayedStarts } from "./services/delayed-starts.ts";
import { FaultRecovery } from "./services/fault-recovery.ts";
import { KeyPurge } from "./services/key-purge.ts";
import { LeaseExpiry } from "./services/lease-expiry.ts";
import { Retention } from "./services/retention.ts";
import { Scheduler } from "./services/scheduler.ts";

export type { SubmitOptions, Submitted } from "./commands.ts";

export interface EngineOptions {
  store: Store;
  functions: FunctionRegistry;
  /** Most executions RUNNING at once. @default 10 */
  maxConcurrentJobs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** @default Math.random */
  rng?: Rng;
  logger?: Logger;
  /** Called once an execution's terminal state is committed (metrics, benchmarks). */
  onSettled?: (executionId: string, status: "COMPLETED" | "FAILED" | "CANCELLED") => void;
  /** Makes execution ids; injected by tests. @default time-ordered UUIDv7 */
  newId?: () => string;
  /** How long a cancelled execution's running attempts get to return. @default 10 s */
  cancelGraceMs?: number;
  /** How long an `Idempotency-Key` is remembered. @default 24 h */
  idempotencyRetentionMs?: number;
  /** What `{{secrets.NAME}}` resolves to; every value is redacted from outputs, errors and task logs. @default none */
  secrets?: SecretSource;
  /** How long a worker's lease lasts from its grant or last heartbeat. @default 30 s */
  leaseMs?: number;
  /** Told each committed fact worth a metric. @default noMetrics */
  metrics?: EngineMetrics;
  /** Terminal executions are deleted this long after they ended (see `services/retention.ts`). @default 0: kept */
  retentionMs?: number;
  /** At most this many executions stay stored: the oldest terminal ones are deleted. @default 0: no cap */
  retentionMaxExecutions?: number;
}

/** Workers seen polling within this long are listed. */
const WORKERS_SEEN_MS = 10 * 60 * 1000;

export class Engine {
  readonly catalog: DefinitionCatalog;
  readonly maxConcurrentJobs: number;
  private readonly deps: RunDeps;
  private readonly admission: Admission;
  private readonly commands: Commands;
  private readonly handlers: HandlerRunner;
  private readonly delayedStarts: DelayedStarts;
  private readonly keyPurge: KeyPurge;
  private readonly recovery: FaultRecovery;
  private readonly remote: RemoteDispatcher;
  private readonly leaseExpiry: LeaseExpiry;
  private readonly retention: Retention;
  readonly scheduler: Scheduler;
  private readonly idleWaiters: (() => void)[] = [];
  private started = false;

  constructor(options: EngineOptions) {
    this.maxConcurrentJobs = options.maxConcurrentJobs ?? 10;
    const clock = options.clock ?? systemClock;
    const logger = options.logger ?? silentLogger;
    const { store, functions } = options;
    const secrets = options.secrets ?? noSecrets;
    const leaseMs = options.leaseMs ?? 30_000;
    const newId = options.newId ?? (() => uuidv7(clock.now()));
    const metrics = options.metrics ?? noMetrics;
    this.remote = new RemoteDispatcher({ store, clock, logger, leaseMs, newId, onLeased: () => this.leaseExpiry.nudge() });
    this.leaseExpiry = new LeaseExpiry({
      store,
      clock,
      logger,
      expire: (lease, now) => this.remote.expire(lease, now),
      intervalMs: Math.min(1000, leaseMs / 4),
      holding: () => this.remote.holding,
    });
    this.deps = {
      store,
      functions,
      clock,
      rng: options.rng ?? Math.random,
      logger,
      secrets,
      metrics,
      onSettled: (id, status, scheduled) => {
        options.onSettled?.(id, status);
        if (scheduled) this.scheduler.settled(scheduled.definitionId, scheduled.scheduleId);
      },
      startHandlers: (execution, def) => this.handlers.start(execution, def),
      onRefused: () => this.admission.faultSeen(),
      remote: this.remote,
      functionTime: { ms: 0 },
    };
    this.catalog = new DefinitionCatalog(
      store,
      functions,
      () => clock.now(),
      () => this.scheduler.reload(),
    );
    const definition = (id: string, version: number) => this.catalog.definition(id, version);
    const arm = () => this.recovery.arm();
    const notifyIdle = () => this.notifyIdle();
    this.admission = new Admission({
      run: this.deps,
      maxConcurrentJobs: this.maxConcurrentJobs,
      cancelGraceMs: options.cancelGraceMs ?? 10_000,
      definition,
      cachedFlow: (id, version) => this.catalog.cached(id, version)?.flow,
      resumeHandlers: (id) => void this.handlers.resume(id),
      arm,
      notifyIdle,
    });
    this.handlers = new HandlerRunner({ store, functions, clock, logger, secrets, definition, arm, notifyIdle });
    this.recovery = new FaultRecovery({ store, clock, logger, resume: (now) => this.resumeParked(now) });
    this.delayedStarts = new DelayedStarts({ clock, enqueue: (ref) => this.admission.enqueue(ref) });
    const idempotencyRetentionMs = options.idempotencyRetentionMs ?? 24 * 3600 * 1000;
    this.keyPurge = new KeyPurge({ store, clock, logger, retentionMs: idempotencyRetentionMs });
    const [retentionMs, maxExecutions] = [options.retentionMs ?? 0, options.retentionMaxExecutions ?? 0];
    this.retention = new Retention({ store, clock, logger, retentionMs, maxExecutions });
    this.commands = new Commands({
      store,
      clock,
      catalog: this.catalog,
      definition,
      admission: this.admission,
      delayed: this.delayedStarts,
      logger,
      newId,
      idempotencyRetentionMs,
      phase: () => this.phase,
    });
    this.scheduler = new Scheduler({
      store,
      clock,
      logger,
      metrics,
      newId,
      definition,
      enqueue: (execution) => this.admission.enqueue(execution),
    });
    store.onWriteFault(() => this.admission.faultSeen());
  }

  /** True once `stop` began: nothing new is admitted. */
  get isStopping(): boolean {
    return this.admission.isStopping;
  }

  /** Executions holding a slot right now. */
  get running(): number {
    return this.admission.running;
  }

  private get phase(): Phase {
    return this.admission.isStopping ? "stopping" : this.started ? "serving" : "recovering";
  }

  /**
   * Recovery, then normal service: RUNNING executions take their slots back first (none
   * beyond the limit), then QUEUED ones in their order, all through the semaphore.
   */
  async start(): Promise<{ resumed: number; queued: number }> {
    if (this.started) throw new Error("engine already started");
    this.started = true;
    const plan = await this.deps.store.recover(this.maxConcurrentJobs, this.deps.clock.now());
    // Definitions and rate windows are read first, so the queue is built in the order found.
    await this.admission.prepare([...plan.running, ...plan.queued]);
    for (const ref of plan.running) this.admission.push(ref, { resuming: true });
    for (const ref of plan.queued) this.admission.push(ref);
    for (const { runAt, ...ref } of plan.delayed) this.delayedStarts.add(ref, runAt);
    this.delayedStarts.start();
    for (const id of plan.handlersPending) void this.handlers.resume(id);
    if (plan.running.length + plan.queued.length + plan.delayed.length > 0) {
      this.deps.logger.info("recovering executions left by the previous process", {
        resuming: plan.running.length,
        queued: plan.queued.length,
        delayed: plan.delayed.length,
      });
    }
    this.admission.pump();
    this.keyPurge.start();
    this.retention.start();
    this.leaseExpiry.start();
    await this.scheduler.start();
    return { resumed: plan.running.length, queued: plan.queued.length };
  }

  /** Accepts an execution of the latest version of a definition. Resolves once it is committed. */
  async submit(definitionId: string, input: Record<string, unknown>): Promise<Execution> {
    return (await this.submitWith(definitionId, input)).execution;
  }

  /** `submit` with a delayed start and/or an idempotency key. */
  submitWith(definitionId: string, input: Record<string, unknown>, options: SubmitOptions = {}): Promise<Submitted> {
    return this.commands.submitWith(definitionId, input, options);
  }

  /**
   * Cancels an execution: a QUEUED one at once; a RUNNING one through its run (attempts
   * aborted, unfinished tasks CANCELLED). The request itself is durable, so a restart finishes it.
   */
  async cancel(executionId: string, actor: string | null = null): Promise<CancelResult> {
    const result = await this.commands.cancel(executionId, actor);
    // A QUEUED one ends without a run: a buffered fire of its schedule may start now.
    if (result.outcome === "cancelled") {
      const cancelled = await this.deps.store.loadExecution(executionId);
      if (cancelled) this.deps.metrics.executionFinished(cancelled.definitionId, "CANCELLED", null);
      if (cancelled?.scheduleId) this.scheduler.settled(cancelled.definitionId, cancelled.scheduleId);
    }
    return result;
  }

  /** Pauses a schedule (stored: it survives restarts and reloads of the same version). */
  pauseSchedule(definitionId: string, scheduleId: string, actor: string | null = null): Promise<ScheduleRecord> {
    return this.scheduler.setPaused(definitionId, scheduleId, true, actor);
  }

  /** Resumes a schedule: its next fire is computed from now. */
  resumeSchedule(definitionId: string, scheduleId: string, actor: string | null = null): Promise<ScheduleRecord> {
    return this.scheduler.setPaused(definitionId, scheduleId, false, actor);
  }

  /** Runs a schedule once now, whatever its overlap policy and pause state. */
  triggerSchedule(definitionId: string, scheduleId: string, actor: string | null = null): Promise<Execution> {
    this.commands.assertAccepting();
    return this.scheduler.trigger(definitionId, scheduleId, actor);
  }

  /** FAILED or CANCELLED → QUEUED, keeping completed work; it waits for a slot like any other. */
  redrive(executionId: string, actor: string | null = null): Promise<RedriveResult> {
    return this.commands.redrive(executionId, actor);
  }

  /**
   * A new execution of the same definition version: `fromTask` and everything downstream of
   * it run again; every other task is carried over COMPLETED with its output.
   */
  rerun(executionId: string, fromTask: string, input?: Record<string, unknown>, actor: string | null = null): Promise<Execution> {
    return this.commands.rerun(executionId, fromTask, input, actor);
  }

  /** A worker takes up to `max` offered attempts of `functions`, waiting up to `waitMs` for one. */
  poll(workerId: string, functions: readonly string[], max: number, waitMs: number, signal?: AbortSignal): Promise<RemoteTask[]> {
    return this.remote.poll(workerId, functions, max, waitMs, signal);
  }

  /** Extends a worker's lease; says whether its execution is being cancelled. */
  heartbeat(leaseId: string): Promise<{ leaseExpiresAt: number; cancelRequested: boolean }> {
    return this.remote.heartbeat(leaseId);
  }

  /** Completes the attempt a worker holds; idempotent. */
  completeLease(leaseId: string, output: unknown): Promise<LeaseAnswer> {
    return this.remote.complete(leaseId, output);
  }

  /** Fails the attempt a worker holds (its retry policy applies to `error.name`); idempotent. */
  failLease(leaseId: string, error: ErrorInfo): Promise<LeaseAnswer> {
    return this.remote.fail(leaseId, error);
  }

  /** Workers seen polling in the last 10 minutes. */
  workers(): Promise<WorkerInfo[]> {
    const now = this.deps.clock.now();
    return this.deps.store.listWorkers(now - WORKERS_SEEN_MS, now);
  }

  /** Executions deleted by retention since this process started: the metric `baton_retention_deleted_total`. */
  get retentionDeleted(): number {
    return this.retention.deleted;
  }

  /** Expires the leases whose stored expiry has passed (tests drive it with the fake clock). */
  expireLeases(now: number): Promise<number> {
    return this.leaseExpiry.runOnce(now);
  }

  /** Slot time in seconds since start: `maxConcurrentJobs` slots held (summed over slots), and the part task functions ran. */
  slotTime(): { busy: number; functions: number } {
    return { busy: this.admission.slotBusyMs / 1000, functions: this.deps.functionTime.ms / 1000 };
  }

  /** Executions of this process waiting out a task's retry backoff (a gauge read at scrape time). */
  retrying(): number {
    return this.admission.retrying();
  }

  /** Resolves when nothing is queued or running (tests and benchmarks). */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Stops admitting, lets running attempts finish for up to `graceMs`, then interrupts the
   * rest (they run again at next start). Resolves when no run is left; the store stays open.
   */
  async stop(graceMs: number): Promise<{ interrupted: number }> {
    this.recovery.stop();
    this.delayedStarts.stop();
    this.keyPurge.stop();
    const cleaning = this.retention.stop();
    this.leaseExpiry.stop();
    this.scheduler.stop();
    this.remote.stop();
    const runs = this.admission.stop();
    const all = Promise.all([...runs.map((r) => r.done), ...this.handlers.inProgress(), cleaning]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), graceMs)));
    const first = await Promise.race([all.then(() => "done" as const), graceOver]);
    clearTimeout(timer);
    let interrupted = 0;
    if (first === "timeout") {
      this.handlers.interrupt(new ShutdownError());
      interrupted = this.admission.interrupt();
      await all;
    }
    return { interrupted };
  }

  /**
   * Called by `FaultRecovery` once writes are accepted: refused decisions of running
   * executions are sent again first (an execution's end before the admission that takes its
   * slot), then parked executions are read again and admitted or resumed in the order they
   * failed, then parked handlers run again, then the queue moves. True while something still waits.
   */
  private resumeParked(now: number): boolean {
    if (this.admission.isStopping) return false;
    const admissions = this.admission.resumeParked(now);
    this.handlers.resumeParked(now);
    this.admission.moveOn(admissions);
    return this.admission.waiting || this.handlers.waiting;
  }

  /** Nothing running or finishing, and nothing queued that this process will still admit. */
  isIdle(): boolean {
    return this.admission.isIdle() && this.handlers.isIdle();
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Ids of the first `n` executions waiting in this process, in the order they would start if no limit held them back. */
  queuedIds(n: number): string[] {
    return this.admission.queuedIds(n);
  }

  /**
   * What a QUEUED execution waits for: its start time (`runAt`), a limit of its definition, or a
   * free slot (also while this process has not queued it yet, e.g. during recovery).
   */
  waitingFor(executionId: string): WaitReason {
    if (this.delayedStarts.has(executionId)) return "runAt";
    return this.admission.waitingFor(executionId) ?? "slot";
  }

  /** QUEUED executions of this process by what they wait for. */
  queuedWaitingFor(): Record<WaitReason, number> {
    const counts = this.admission.waitingCounts();
    counts.runAt = this.delayedStarts.size;
    return counts;
  }
}
