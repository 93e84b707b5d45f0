/**
 * The engine: admits executions through a semaphore first in, first out, runs each one, and
 * at start resumes what a previous process left unfinished. It talks to durable state only
 * through the `Store` interface. After a storage fault it resumes by itself: work that could
 * not be recorded is parked and read back once the database accepts writes (see
 * `services/fault-recovery.ts`). Delayed starts and the idempotency-key purge are services
 * too, each with a `runOnce(now)`.
 *
 * Over 400 lines: admission, commands, handler runs and background services still share this
 * class. Issue #12 splits them into small parts with a facade here; until then the sections
 * below follow that cut.
 */
import { type Clock, systemClock } from "../domain/clock.ts";
import type { JobDefinition } from "../domain/definition.ts";
import {
  ConflictError,
  isUnknownWrite,
  NotFoundError,
  ShutdownError,
  StorageError,
  UnavailableError,
  ValidationError,
} from "../domain/errors.ts";
import type { FunctionRegistry } from "../domain/function.ts";
import { dependentsOf, readyTasks, rootsOf } from "../domain/graph.ts";
import { uuidv7 } from "../domain/ids.ts";
import { canonicalJson } from "../domain/json.ts";
import { type Logger, silentLogger } from "../domain/log.ts";
import type { Execution, ExecutionWithTasks } from "../domain/model.ts";
import type { Rng } from "../domain/retry.ts";
import { handlersFor, type SettledExecution, settledView } from "../domain/settled.ts";
import type { CancelResult, NewExecution, RedriveResult, Store } from "../domain/store.ts";
import { DefinitionCatalog } from "./catalog.ts";
import type { RunDeps } from "./deps.ts";
import { Fifo } from "./fifo.ts";
import { runHandlers } from "./handlers.ts";
import { ExecutionRun } from "./run.ts";
import { Semaphore } from "./semaphore.ts";
import { DelayedStarts } from "./services/delayed-starts.ts";
import { FaultRecovery } from "./services/fault-recovery.ts";
import { KeyPurge } from "./services/key-purge.ts";

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
}

/** Options of one start. */
export interface SubmitOptions {
  /** Not admitted before this time (epoch ms). */
  runAt?: number;
  /** Same key and same request: the first execution is returned instead of a new one. */
  idempotencyKey?: string;
}

export interface Submitted {
  execution: Execution;
  /** False when an idempotency key returned an execution created earlier. */
  created: boolean;
}

interface Admission {
  id: string;
  /** Submitted by this process, so every task is PENDING: the definition it runs, known without a read. */
  fresh?: { definitionId: string; definitionVersion: number };
}

/** Work that failed for a reason outside its own logic (a storage fault, a bug) and is tried again. */
interface Parked {
  failures: number;
  /** Not retried before this time (epoch ms); 0: as soon as the store accepts writes. */
  notBefore: number;
}

/** Longest wait between retries of parked work that failed for another reason than storage. */
const MAX_PARK_BACKOFF_MS = 60_000;

export class Engine {
  readonly catalog: DefinitionCatalog;
  readonly maxConcurrentJobs: number;
  private readonly deps: RunDeps;
  private readonly semaphore: Semaphore;
  private readonly queue = new Fifo<Admission>();
  private readonly runs = new Map<string, ExecutionRun>();
  private readonly idleWaiters: (() => void)[] = [];
  private readonly newId: () => string;
  private started = false;
  private stopping = false;
  /** Delayed executions waiting for their `runAt`. */
  private readonly delayed: DelayedStarts;
  /** Cancels accepted for RUNNING executions whose run this process has not built yet. */
  private readonly pendingCancels = new Set<string>();
  private readonly cancelGraceMs: number;
  private readonly idempotencyRetentionMs: number;
  private readonly keyPurge: KeyPurge;
  /** Handlers running now, by execution; a shutdown aborts them through this signal (they run again at next start). */
  private readonly handlerRuns = new Map<string, Promise<void>>();
  /**
   * Executions whose admission or run failed, each holding its permit (the database may say
   * RUNNING): read again and admitted or resumed, in the order they failed, by `resumeParked`.
   */
  private readonly parkedExecutions = new Map<string, Parked>();
  /** Settled executions whose handlers could not be recorded: run again by `resumeParked`. */
  private readonly parkedHandlers = new Map<string, Parked>();
  private readonly recovery: FaultRecovery;
  /**
   * Set when the store refuses writes, cleared once `resumeParked` has sent the refused
   * writes again: until then nothing is admitted, so that an execution's end refused during
   * the fault commits before the admission that takes its slot.
   */
  private awaitingResume = false;
  private readonly handlerStop = new AbortController();

  constructor(options: EngineOptions) {
    this.maxConcurrentJobs = options.maxConcurrentJobs ?? 10;
    this.semaphore = new Semaphore(this.maxConcurrentJobs);
    this.deps = {
      store: options.store,
      functions: options.functions,
      clock: options.clock ?? systemClock,
      rng: options.rng ?? Math.random,
      logger: options.logger ?? silentLogger,
      onSettled: options.onSettled ?? (() => {}),
      startHandlers: (execution, def) => this.startHandlers(execution, def),
      onRefused: () => this.faultSeen(),
    };
    const clock = this.deps.clock;
    this.catalog = new DefinitionCatalog(options.store, options.functions, () => clock.now());
    this.newId = options.newId ?? (() => uuidv7(this.deps.clock.now()));
    this.cancelGraceMs = options.cancelGraceMs ?? 10_000;
    this.idempotencyRetentionMs = options.idempotencyRetentionMs ?? 24 * 3600 * 1000;
    this.recovery = new FaultRecovery({ store: options.store, clock, logger: this.deps.logger, resume: (now) => this.resumeParked(now) });
    this.delayed = new DelayedStarts({ clock, enqueue: (id) => this.enqueueById(id) });
    this.keyPurge = new KeyPurge({ store: options.store, clock, logger: this.deps.logger, retentionMs: this.idempotencyRetentionMs });
    options.store.onWriteFault(() => this.faultSeen());
  }

  get store(): Store {
    return this.deps.store;
  }

  /** True once `stop` began: nothing new is admitted. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Executions holding a slot right now. */
  get running(): number {
    return this.semaphore.inUse;
  }

  /**
   * Recovery, then normal service: RUNNING executions take their slots back first (none
   * beyond the limit), then QUEUED ones in their order, all through the semaphore.
   */
  async start(): Promise<{ resumed: number; queued: number }> {
    if (this.started) throw new Error("engine already started");
    this.started = true;
    const plan = await this.deps.store.recover(this.maxConcurrentJobs, this.deps.clock.now());
    for (const id of plan.running) this.queue.push({ id });
    for (const id of plan.queued) this.queue.push({ id });
    for (const { id, runAt } of plan.delayed) this.delayed.add(id, runAt);
    this.delayed.start();
    for (const id of plan.handlersPending) void this.resumeHandlers(id);
    if (plan.running.length + plan.queued.length + plan.delayed.length > 0) {
      this.deps.logger.info("recovering executions left by the previous process", {
        resuming: plan.running.length,
        queued: plan.queued.length,
        delayed: plan.delayed.length,
      });
    }
    this.pump();
    this.keyPurge.start();
    return { resumed: plan.running.length, queued: plan.queued.length };
  }

  private startHandlers(execution: SettledExecution, def: JobDefinition, only?: ReadonlySet<string>, failures = 0): void {
    const handlers = handlersFor(def, execution.status).filter((h) => !only || only.has(h.kind));
    const run = runHandlers(this.deps, execution, handlers, this.handlerStop.signal)
      .catch((err: unknown) => this.park(this.parkedHandlers, execution.id, err, failures + 1, "could not record a handler"))
      .finally(() => {
        this.handlerRuns.delete(execution.id);
        this.notifyIdle();
      });
    this.handlerRuns.set(execution.id, run);
  }

  /** After a restart or a fault: the handlers of a settled execution that had not finished run (again). */
  private async resumeHandlers(id: string, failures = 0): Promise<void> {
    if (this.handlerRuns.has(id) || this.parkedHandlers.has(id)) return;
    try {
      const execution = await this.deps.store.loadExecution(id);
      if (!execution || (execution.status !== "COMPLETED" && execution.status !== "FAILED" && execution.status !== "CANCELLED")) return;
      const def = await this.definition(execution.definitionId, execution.definitionVersion);
      const finished = new Set(
        ((await this.deps.store.events(id)) ?? []).filter((e) => e.type === "HandlerFinished").map((e) => String(e.data?.handler)),
      );
      const left = new Set(
        handlersFor(def, execution.status)
          .map((h) => h.kind)
          .filter((k) => !finished.has(k)),
      );
      this.startHandlers(settledView({ ...execution, status: execution.status }), def, left, failures);
    } catch (err) {
      this.park(this.parkedHandlers, id, err, failures + 1, "could not resume the handlers of an execution");
    }
  }

  /**
   * False from the store's first refused write until `resumeParked` (the store reports every
   * fault through `onWriteFault`): admissions wait, their slots free, instead of failing.
   */
  private get admitting(): boolean {
    return !this.awaitingResume;
  }

  private faultSeen(): void {
    this.awaitingResume = true;
    this.recovery.arm();
  }

  /** Accepts an execution of the latest version of a definition. Resolves once it is committed. */
  async submit(definitionId: string, input: Record<string, unknown>): Promise<Execution> {
    return (await this.submitWith(definitionId, input)).execution;
  }

  /** `submit` with a delayed start and/or an idempotency key. */
  async submitWith(definitionId: string, input: Record<string, unknown>, options: SubmitOptions = {}): Promise<Submitted> {
    this.assertAccepting();
    const found = await this.catalog.get(definitionId);
    if (!found)
      throw new NotFoundError(
        `no job definition with id "${definitionId}"; register it with POST /job-definitions or add it to the jobs folder`,
      );
    const { stored, def } = found;
    const now = this.deps.clock.now();
    const runAt = options.runAt !== undefined && options.runAt > now ? options.runAt : null;
    const fresh: NewExecution = {
      id: this.newId(),
      definitionId: stored.id,
      definitionVersion: stored.version,
      input,
      tasks: def.tasks.map((t) => ({ taskId: t.id, name: t.name })),
      runAt,
    };
    // A free slot and nobody waiting: store it RUNNING with its roots started, one commit instead of two.
    const direct = runAt === null && this.queue.length === 0 && this.admitting && this.semaphore.tryAcquire();
    const roots = direct ? rootsOf(def) : [];
    const start = direct ? roots.map((taskId) => ({ taskId, attempt: 1 })) : undefined;
    let execution: Execution;
    try {
      if (options.idempotencyKey !== undefined) {
        const requestHash = canonicalJson({ input, runAt: options.runAt ?? null });
        const key = { key: options.idempotencyKey, requestHash, notBefore: now - this.idempotencyRetentionMs };
        const result = await this.deps.store.enqueueOnce(fresh, key, now, start);
        if (result.outcome === "conflict") {
          throw new ConflictError(
            `the Idempotency-Key "${options.idempotencyKey}" was already used with a different request for execution ${result.executionId}; use a new key for a new request`,
          );
        }
        if (result.outcome === "existing") {
          if (direct) this.release();
          return { execution: result.execution, created: false };
        }
        if (direct) return { execution: this.runDirect(result.execution, def, roots), created: true };
        execution = result.execution;
      } else if (direct) {
        return { execution: this.runDirect(await this.deps.store.enqueueStarted(fresh, now, start!), def, roots), created: true };
      } else {
        execution = await this.deps.store.enqueue(fresh, now);
      }
    } catch (err) {
      if (isUnknownWrite(err)) {
        // It may be stored: go on as if it were; reading it back at admission tells.
        if (direct) this.park(this.parkedExecutions, fresh.id, err, 1, "could not start an execution");
        else if (runAt !== null) this.delayed.add(fresh.id, runAt);
        else this.enqueueById(fresh.id);
      } else if (direct) this.release();
      throw err;
    }
    if (runAt !== null) this.delayed.add(execution.id, runAt);
    else this.queue.push({ id: execution.id, fresh: { definitionId: stored.id, definitionVersion: stored.version } });
    this.pump();
    return { execution, created: true };
  }

  /** Drives an execution its submission stored RUNNING (its permit already held); returns it without its tasks. */
  private runDirect(admitted: ExecutionWithTasks, def: JobDefinition, roots: readonly string[]): Execution {
    void this.drive(new ExecutionRun(this.deps, admitted, def, new Set(roots)));
    const { tasks: _, ...execution } = admitted;
    return execution;
  }

  /**
   * Cancels an execution: a QUEUED one at once; a RUNNING one through its run (attempts
   * aborted, unfinished tasks CANCELLED). The request itself is durable, so a restart finishes it.
   */
  async cancel(executionId: string): Promise<CancelResult> {
    const result = await this.deps.store.cancel(executionId, this.deps.clock.now());
    if (result.outcome === "requested") {
      const run = this.runs.get(executionId);
      if (run) run.end("cancel", this.cancelGraceMs);
      else this.pendingCancels.add(executionId);
    }
    if (result.outcome === "cancelled") this.delayed.drop(executionId);
    return result;
  }

  /** FAILED or CANCELLED → QUEUED, keeping completed work; it waits for a slot like any other. */
  async redrive(executionId: string): Promise<RedriveResult> {
    this.assertAccepting();
    let result: RedriveResult;
    try {
      result = await this.deps.store.redrive(executionId, this.deps.clock.now());
    } catch (err) {
      if (isUnknownWrite(err)) this.enqueueById(executionId); // admission reads what was stored
      throw err;
    }
    if (result.outcome === "redriven") this.enqueueById(executionId);
    return result;
  }

  /**
   * A new execution of the same definition version: `fromTask` and everything downstream of
   * it run again; every other task is carried over COMPLETED with its output.
   */
  async rerun(executionId: string, fromTask: string, input?: Record<string, unknown>): Promise<Execution> {
    this.assertAccepting();
    const original = await this.deps.store.loadExecution(executionId);
    if (!original) throw new NotFoundError(`no execution with id "${executionId}"`);
    const def = await this.definition(original.definitionId, original.definitionVersion);
    if (!def.tasks.some((t) => t.id === fromTask)) {
      throw new ValidationError(`fromTask: definition ${def.id} version ${original.definitionVersion} has no task "${fromTask}"`, [
        { path: "$.fromTask", message: `names no task of definition ${def.id} version ${original.definitionVersion}: "${fromTask}"` },
      ]);
    }
    const rerun = new Set([fromTask, ...dependentsOf(def, fromTask)]);
    const rows = new Map(original.tasks.map((t) => [t.taskId, t]));
    const notDone = def.tasks.filter((t) => !rerun.has(t.id) && rows.get(t.id)?.status !== "COMPLETED").map((t) => t.id);
    if (notDone.length > 0) {
      throw new ConflictError(
        `task(s) ${notDone.join(", ")} did not complete in execution ${executionId}, so they cannot be carried over; rerun from one of them or from a task upstream`,
      );
    }
    const id = this.newId();
    const execution = await this.deps.store
      .enqueue(
        {
          id,
          definitionId: original.definitionId,
          definitionVersion: original.definitionVersion,
          input: input ?? original.input,
          tasks: def.tasks.map((t) => ({
            taskId: t.id,
            name: t.name,
            ...(rerun.has(t.id) ? {} : { carried: { output: rows.get(t.id)!.output } }),
          })),
          rerunOf: executionId,
        },
        this.deps.clock.now(),
      )
      .catch((err: unknown) => {
        if (isUnknownWrite(err)) this.enqueueById(id);
        throw err;
      });
    this.enqueueById(execution.id);
    return execution;
  }

  private assertAccepting(): void {
    if (this.stopping)
      throw new UnavailableError("Baton is shutting down and accepts no new executions; retry against the restarted server");
    if (!this.started) throw new UnavailableError("Baton is still recovering executions from its last run; retry in a moment");
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
    this.stopping = true;
    this.recovery.stop();
    this.delayed.stop();
    this.keyPurge.stop();
    const runs = [...this.runs.values()];
    for (const run of runs) run.stop();
    const all = Promise.all([...runs.map((r) => r.done), ...this.handlerRuns.values()]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const graceOver = new Promise<"timeout">((resolve) => (timer = setTimeout(() => resolve("timeout"), graceMs)));
    const first = await Promise.race([all.then(() => "done" as const), graceOver]);
    clearTimeout(timer);
    let interrupted = 0;
    if (first === "timeout") {
      this.handlerStop.abort(new ShutdownError());
      for (const run of this.runs.values()) {
        interrupted++;
        run.interrupt();
      }
      await all;
    }
    return { interrupted };
  }

  /** Queues an execution that is (or may be) stored QUEUED; its admission reads it. */
  private enqueueById(id: string): void {
    this.queue.push({ id });
    this.pump();
  }

  /** Admits from the queue while permits are free, unless writes are refused. */
  private pump(): void {
    while (!this.stopping && this.queue.length > 0 && this.admitting && this.semaphore.tryAcquire()) {
      void this.admit(this.queue.shift()!);
    }
    this.notifyIdle();
  }

  /** Holds a permit: admits the execution, then drives it. */
  private async admit(admission: Admission, failures = 0): Promise<void> {
    const run = await this.admission(admission, failures);
    if (run) return this.drive(run);
  }

  /** Holds a permit: the admission's write. The run to drive, or null when the permit was given back or the admission parked. */
  private async admission({ id, fresh }: Admission, failures: number): Promise<ExecutionRun | null> {
    let run: ExecutionRun | null;
    try {
      run = fresh ? await this.admitFresh(id, fresh.definitionId, fresh.definitionVersion) : await this.admitStored(id);
    } catch (err) {
      // Keeps the permit: the database may hold it RUNNING (a commit of unknown outcome).
      this.park(this.parkedExecutions, id, err, failures + 1, "could not admit an execution");
      return null;
    }
    if (!run) {
      this.release(); // found nothing to run
      this.notifyIdle();
    }
    return run;
  }

  /**
   * Remembers work that failed to be tried again by `resumeParked`: as soon as writes are
   * accepted after a storage fault, else after a backoff (1 s, 2 s, … 60 s) so that a bug
   * does not spin.
   */
  private park(parked: Map<string, Parked>, id: string, err: unknown, failures: number, what: string): void {
    const storage = err instanceof StorageError;
    const delay = storage ? 0 : Math.min(MAX_PARK_BACKOFF_MS, 1000 * 2 ** (failures - 1));
    parked.set(id, { failures, notBefore: storage ? 0 : this.deps.clock.now() + delay });
    const fields = { execution: id, error: err instanceof Error ? err.message : String(err) };
    if (storage) this.deps.logger.debug(`${what}; it waits for the database to accept writes`, fields);
    else this.deps.logger.error(`${what}; Baton reads it again from the database and retries`, { ...fields, retryInMs: delay });
    this.recovery.arm();
  }

  /**
   * Called by `FaultRecovery` once writes are accepted: refused decisions of running
   * executions are sent again first (an execution's end before the admission that takes its
   * slot), then parked executions are read again and admitted or resumed in the order they
   * failed, then the queue moves. True while something still waits.
   */
  private resumeParked(now: number): boolean {
    if (this.stopping) return false;
    for (const run of this.runs.values()) run.replay();
    this.awaitingResume = false;
    const admissions: Promise<ExecutionRun | null>[] = [];
    for (const [id, p] of this.parkedExecutions) {
      if (p.notBefore > now) continue;
      this.parkedExecutions.delete(id);
      admissions.push(this.admission({ id }, p.failures));
    }
    for (const [id, p] of this.parkedHandlers) {
      if (p.notBefore > now) continue;
      this.parkedHandlers.delete(id);
      void this.resumeHandlers(id, p.failures);
    }
    // Parked admissions read the database first: the queue waits until their writes are queued, to keep its order.
    if (admissions.length === 0) this.pump();
    else {
      void Promise.all(admissions).then((runs) => {
        for (const run of runs) if (run) void this.drive(run);
        this.pump();
      });
    }
    return this.parkedExecutions.size > 0 || this.parkedHandlers.size > 0 || [...this.runs.values()].some((r) => r.waitingForStore);
  }

  /**
   * Holds a permit for an admitted execution: runs it, and releases the permit once it no
   * longer needs its slot. A run that broke keeps (or takes back) its permit, since the
   * database still says RUNNING, and is parked to be read again and resumed.
   */
  private async drive(run: ExecutionRun): Promise<void> {
    const { id } = run;
    let released = false;
    let failure: unknown = null;
    try {
      this.runs.set(id, run);
      if (this.stopping) run.stop();
      if (this.pendingCancels.delete(id)) run.end("cancel", this.cancelGraceMs);
      const done = run.start();
      await run.slotFree;
      if (run.brokenBy === null) {
        released = true;
        this.release();
      }
      await done;
    } catch (err) {
      failure = err;
    } finally {
      this.runs.delete(id);
      failure ??= run.brokenBy;
      if (failure !== null && !this.stopping) {
        // Its end was decided (slot released) but did not commit: the slot is still taken in the database.
        if (released) this.semaphore.forceAcquire();
        this.park(this.parkedExecutions, id, failure, 1, "could not run an execution");
      } else if (!released) this.release();
      this.notifyIdle();
    }
  }

  private release(): void {
    this.semaphore.release();
    this.pump();
  }

  /** All tasks PENDING: the admission starts the roots in the same commit. */
  private async admitFresh(id: string, definitionId: string, definitionVersion: number): Promise<ExecutionRun | null> {
    const def = await this.definition(definitionId, definitionVersion);
    const roots = rootsOf(def);
    const admitted = await this.deps.store.admit(
      id,
      this.deps.clock.now(),
      roots.map((taskId) => ({ taskId, attempt: 1 })),
    );
    return admitted && new ExecutionRun(this.deps, admitted, def, new Set(roots));
  }

  /**
   * Admits what the database holds (after a restart, a redrive, a fault): RUNNING takes its
   * slot back and resumes; QUEUED (maybe requeued with progress) is admitted with what is
   * ready; a settled one gets its pending handlers run; a missing one (a start whose commit
   * failed) is nothing to run.
   */
  private async admitStored(id: string): Promise<ExecutionRun | null> {
    const { store, clock } = this.deps;
    const stored = await store.loadExecution(id);
    if (!stored) return null;
    if (stored.status !== "QUEUED" && stored.status !== "RUNNING") {
      if (stored.handlersPending) void this.resumeHandlers(id);
      return null;
    }
    const def = await this.definition(stored.definitionId, stored.definitionVersion);
    if (stored.status === "RUNNING") {
      if (this.runs.has(id)) return null; // driven already, under its own permit
      await store.resume(id, clock.now());
      return new ExecutionRun(this.deps, stored, def);
    }
    const rows = new Map(stored.tasks.map((t) => [t.taskId, t]));
    const ready = readyTasks(def, rows).map((t) => ({ taskId: t.id, attempt: rows.get(t.id)!.attempts + 1 }));
    const admitted = await store.admit(id, clock.now(), ready);
    return admitted && new ExecutionRun(this.deps, admitted, def, new Set(ready.map((r) => r.taskId)));
  }

  private async definition(id: string, version: number) {
    const found = await this.catalog.get(id, version);
    if (!found) throw new Error(`definition ${id} version ${version} is missing from the store`);
    return found.def;
  }

  /** Nothing running or finishing, and nothing queued that this process will still admit. */
  isIdle(): boolean {
    return (
      (this.stopping || this.queue.length === 0) &&
      this.semaphore.inUse === 0 &&
      this.runs.size === 0 &&
      this.handlerRuns.size === 0 &&
      this.parkedHandlers.size === 0
    );
  }

  private notifyIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  /** Ids of the first `n` executions waiting for a slot in this process, oldest first. */
  queuedIds(n: number): string[] {
    return this.queue.peek(n).map((a) => a.id);
  }
}
