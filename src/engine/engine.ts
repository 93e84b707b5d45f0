/**
 * The engine: admits executions through a semaphore first in, first out, runs each one, and
 * at start resumes what a previous process left unfinished. It talks to durable state only
 * through the `Store` interface.
 */
import { systemClock, type Clock, type TimerHandle } from "../domain/clock.ts";
import { ConflictError, NotFoundError, ShutdownError, UnavailableError, ValidationError } from "../domain/errors.ts";
import { dependentsOf, type JobDefinition } from "../domain/definition.ts";
import { handlersFor, runHandlers, type SettledExecution } from "./handlers.ts";
import { canonicalJson } from "../domain/json.ts";
import type { CancelResult, NewExecution, RedriveResult } from "../domain/store.ts";
import type { FunctionRegistry } from "../domain/function.ts";
import { uuidv7 } from "../domain/ids.ts";
import { type Logger, silentLogger } from "../domain/log.ts";
import type { Execution, ExecutionWithTasks } from "../domain/model.ts";
import type { Rng } from "../domain/retry.ts";
import type { Store } from "../domain/store.ts";
import { DefinitionCatalog } from "./catalog.ts";
import { Fifo } from "./fifo.ts";
import { ExecutionRun, readyTasks, type RunDeps } from "./run.ts";
import { Semaphore } from "./semaphore.ts";

/** The tasks without dependencies: what an admission starts. */
const rootsOf = (def: JobDefinition): string[] => def.tasks.filter((t) => t.dependsOn.length === 0).map((t) => t.id);

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
  /** Already RUNNING when the process started: takes its slot back without a new admission. */
  resume: boolean;
  /** Submitted by this process, so every task is PENDING: the definition it runs, known without a read. */
  fresh?: { definitionId: string; definitionVersion: number };
}

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
  /** Delayed executions waiting for their `runAt`, by id. */
  private readonly delayed = new Map<string, TimerHandle>();
  /** Cancels accepted for RUNNING executions whose run this process has not built yet. */
  private readonly pendingCancels = new Set<string>();
  private readonly cancelGraceMs: number;
  private readonly idempotencyRetentionMs: number;
  private purgeTimer: ReturnType<typeof setInterval> | undefined;
  /** Handlers running now; a shutdown aborts them through this signal (they run again at next start). */
  private readonly handlerRuns = new Set<Promise<void>>();
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
    };
    const clock = this.deps.clock;
    this.catalog = new DefinitionCatalog(options.store, options.functions, () => clock.now());
    this.newId = options.newId ?? (() => uuidv7(this.deps.clock.now()));
    this.cancelGraceMs = options.cancelGraceMs ?? 10_000;
    this.idempotencyRetentionMs = options.idempotencyRetentionMs ?? 24 * 3600 * 1000;
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
    for (const id of plan.running) this.queue.push({ id, resume: true });
    for (const id of plan.queued) this.queue.push({ id, resume: false });
    for (const { id, runAt } of plan.delayed) this.delay(id, runAt);
    for (const id of plan.handlersPending) void this.resumeHandlers(id);
    if (plan.running.length + plan.queued.length + plan.delayed.length > 0) {
      this.deps.logger.info("recovering executions left by the previous process", {
        resuming: plan.running.length,
        queued: plan.queued.length,
        delayed: plan.delayed.length,
      });
    }
    this.pump();
    this.purgeIdempotencyKeys();
    return { resumed: plan.running.length, queued: plan.queued.length };
  }

  /**
   * Forgets expired idempotency keys now and every hour. Housekeeping only (an expired key is
   * ignored when read anyway), so it runs on a real, unref'd interval rather than the clock.
   */
  private purgeIdempotencyKeys(): void {
    const purge = () => {
      const { store, clock, logger } = this.deps;
      store.purgeIdempotencyKeys(clock.now() - this.idempotencyRetentionMs).catch((err: unknown) =>
        logger.warn("could not purge expired idempotency keys; will try again in an hour", { error: err instanceof Error ? err.message : String(err) }),
      );
    };
    purge();
    this.purgeTimer = setInterval(purge, 3600 * 1000);
    this.purgeTimer.unref?.();
  }

  private startHandlers(execution: SettledExecution, def: JobDefinition, only?: ReadonlySet<string>): void {
    const handlers = handlersFor(def, execution.status).filter((h) => !only || only.has(h.kind));
    const run = runHandlers(this.deps, execution, handlers, this.handlerStop.signal)
      .catch((err: unknown) =>
        this.deps.logger.error("could not record a handler; it runs again at next start", { execution: execution.id, error: err instanceof Error ? err.message : String(err) }),
      )
      .finally(() => {
        this.handlerRuns.delete(run);
        this.notifyIdle();
      });
    this.handlerRuns.add(run);
  }

  /** After a restart: the handlers of a settled execution that had not finished run (again). */
  private async resumeHandlers(id: string): Promise<void> {
    try {
      const execution = await this.deps.store.loadExecution(id);
      if (!execution || (execution.status !== "COMPLETED" && execution.status !== "FAILED" && execution.status !== "CANCELLED")) return;
      const def = await this.definition(execution.definitionId, execution.definitionVersion);
      const finished = new Set(((await this.deps.store.events(id)) ?? []).filter((e) => e.type === "HandlerFinished").map((e) => String(e.data?.handler)));
      const left = new Set(handlersFor(def, execution.status).map((h) => h.kind).filter((k) => !finished.has(k)));
      const rows = new Map(execution.tasks.map((t) => [t.taskId, t]));
      const results: Record<string, unknown> = {};
      for (const [taskId, row] of rows) results[taskId] = row.status === "FAILED" ? { error: row.error } : row.output;
      this.startHandlers(
        {
          id,
          status: execution.status,
          input: execution.input,
          output: execution.output,
          error: execution.error,
          failedTasks: execution.tasks.filter((t) => t.status === "FAILED").map((t) => t.taskId),
          results,
        },
        def,
        left,
      );
    } catch (err) {
      this.deps.logger.error("could not resume the handlers of an execution", { execution: id, error: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Queues `id` once `runAt` has come. */
  private delay(id: string, runAt: number): void {
    const timer = this.deps.clock.setTimer(() => {
      this.delayed.delete(id);
      this.queue.push({ id, resume: false });
      this.pump();
    }, Math.max(0, runAt - this.deps.clock.now()));
    this.delayed.set(id, timer);
  }

  /** Accepts an execution of the latest version of a definition. Resolves once it is committed. */
  async submit(definitionId: string, input: Record<string, unknown>): Promise<Execution> {
    return (await this.submitWith(definitionId, input)).execution;
  }

  /** `submit` with a delayed start and/or an idempotency key. */
  async submitWith(definitionId: string, input: Record<string, unknown>, options: SubmitOptions = {}): Promise<Submitted> {
    this.assertAccepting();
    const found = await this.catalog.get(definitionId);
    if (!found) throw new NotFoundError(`no job definition with id "${definitionId}"; register it with POST /job-definitions or add it to the jobs folder`);
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
    const direct = runAt === null && this.queue.length === 0 && this.semaphore.tryAcquire();
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
      if (direct) this.release();
      throw err;
    }
    if (runAt !== null) this.delay(execution.id, runAt);
    else this.queue.push({ id: execution.id, resume: false, fresh: { definitionId: stored.id, definitionVersion: stored.version } });
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
    if (result.outcome === "cancelled") {
      this.delayed.get(executionId)?.cancel();
      this.delayed.delete(executionId);
    }
    return result;
  }

  /** FAILED or CANCELLED → QUEUED, keeping completed work; it waits for a slot like any other. */
  async redrive(executionId: string): Promise<RedriveResult> {
    this.assertAccepting();
    const result = await this.deps.store.redrive(executionId, this.deps.clock.now());
    if (result.outcome === "redriven") {
      this.queue.push({ id: executionId, resume: false });
      this.pump();
    }
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
    const execution = await this.deps.store.enqueue(
      {
        id: this.newId(),
        definitionId: original.definitionId,
        definitionVersion: original.definitionVersion,
        input: input ?? original.input,
        tasks: def.tasks.map((t) => ({ taskId: t.id, name: t.name, ...(rerun.has(t.id) ? {} : { carried: { output: rows.get(t.id)!.output } }) })),
        rerunOf: executionId,
      },
      this.deps.clock.now(),
    );
    this.queue.push({ id: execution.id, resume: false });
    this.pump();
    return execution;
  }

  private assertAccepting(): void {
    if (this.stopping) throw new UnavailableError("Baton is shutting down and accepts no new executions; retry against the restarted server");
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
    for (const timer of this.delayed.values()) timer.cancel();
    this.delayed.clear();
    clearInterval(this.purgeTimer);
    const runs = [...this.runs.values()];
    for (const run of runs) run.stop();
    const all = Promise.all([...runs.map((r) => r.done), ...this.handlerRuns]);
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

  private pump(): void {
    while (!this.stopping && this.queue.length > 0 && this.semaphore.tryAcquire()) {
      void this.admit(this.queue.shift()!);
    }
    this.notifyIdle();
  }

  /** Holds a permit: admits the execution, then drives it (or gives the permit back). */
  private async admit({ id, resume, fresh }: Admission): Promise<void> {
    let run: ExecutionRun | null;
    try {
      run = fresh ? await this.admitFresh(id, fresh.definitionId, fresh.definitionVersion) : await this.admitStored(id, resume);
    } catch (err) {
      this.couldNotRun(id, err);
      run = null;
    }
    if (run) return this.drive(run);
    this.release(); // failed, or found nothing to run
    this.notifyIdle();
  }

  /** Holds a permit for an admitted execution: runs it, and releases the permit once it no longer needs its slot. */
  private async drive(run: ExecutionRun): Promise<void> {
    const { id } = run;
    let released = false;
    try {
      this.runs.set(id, run);
      if (this.stopping) run.stop();
      if (this.pendingCancels.delete(id)) run.end("cancel", this.cancelGraceMs);
      const done = run.start();
      await run.slotFree;
      released = true;
      this.release();
      await done;
    } catch (err) {
      this.couldNotRun(id, err);
    } finally {
      this.runs.delete(id);
      // Released early (at slotFree) unless the run broke before.
      if (!released) this.release();
      this.notifyIdle();
    }
  }

  private couldNotRun(id: string, err: unknown): void {
    this.deps.logger.error("could not run execution; it stays as stored and resumes at next start", { execution: id, error: err instanceof Error ? err.message : String(err) });
  }

  private release(): void {
    this.semaphore.release();
    this.pump();
  }

  /** All tasks PENDING: the admission starts the roots in the same commit. */
  private async admitFresh(id: string, definitionId: string, definitionVersion: number): Promise<ExecutionRun | null> {
    const def = await this.definition(definitionId, definitionVersion);
    const roots = rootsOf(def);
    const admitted = await this.deps.store.admit(id, this.deps.clock.now(), roots.map((taskId) => ({ taskId, attempt: 1 })));
    return admitted && new ExecutionRun(this.deps, admitted, def, new Set(roots));
  }

  /** Found in the store at start: RUNNING takes its slot back; QUEUED (maybe requeued with progress) is admitted with what is ready. */
  private async admitStored(id: string, resume: boolean): Promise<ExecutionRun | null> {
    const { store, clock } = this.deps;
    const stored = await store.loadExecution(id);
    if (!stored) throw new Error(`execution ${id} vanished from the store`);
    const def = await this.definition(stored.definitionId, stored.definitionVersion);
    if (resume) {
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
    return (this.stopping || this.queue.length === 0) && this.semaphore.inUse === 0 && this.runs.size === 0 && this.handlerRuns.size === 0;
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
