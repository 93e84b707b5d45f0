/**
 * One execution in flight: starts every task whose dependencies are COMPLETED, records each
 * attempt's outcome, waits out retries on timers, and settles the execution. Every step is
 * written through the store before the next one depends on it.
 */
import type { Clock, TimerHandle } from "../domain/clock.ts";
import { dependentsOf, type JobDefinition, type TaskSpec, terminalTasks } from "../domain/definition.ts";
import { type ErrorInfo, ErrorNames, ShutdownError } from "../domain/errors.ts";
import type { FunctionRegistry } from "../domain/function.ts";
import type { Logger } from "../domain/log.ts";
import type { ExecutionWithTasks, TaskRun } from "../domain/model.ts";
import { retryDelayMs, type Rng, shouldRetry } from "../domain/retry.ts";
import type { Store } from "../domain/store.ts";
import { type AttemptOutcome, runAttempt } from "./attempt.ts";

export interface RunDeps {
  store: Store;
  functions: FunctionRegistry;
  clock: Clock;
  rng: Rng;
  logger: Logger;
}

export class ExecutionRun {
  private readonly rows: Map<string, TaskRun>;
  private readonly inflight = new Map<string, AbortController>();
  private readonly timers = new Map<string, TimerHandle>();
  private stopping = false;
  private settled = false;
  private resolveDone!: () => void;
  /** Resolves when the execution is terminal, or when a stop has let go of it. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly deps: RunDeps,
    private readonly execution: ExecutionWithTasks,
    private readonly def: JobDefinition,
  ) {
    this.rows = new Map(execution.tasks.map((t) => [t.taskId, t]));
  }

  get id(): string {
    return this.execution.id;
  }

  /** Picks up where the stored state left off: interrupted attempts re-run, retries keep their time. */
  start(): Promise<void> {
    // Admitted while the engine was stopping: start nothing the stop no longer waits for.
    for (const spec of this.stopping ? [] : this.def.tasks) {
      const row = this.row(spec.id);
      if (row.status === "RUNNING") this.launch(spec, row.attempts, true);
      else if (row.status === "RETRYING") this.armRetry(spec, row.attempts + 1, (row.nextAttemptAt ?? 0) - this.deps.clock.now());
    }
    this.advance();
    return this.done;
  }

  /** Starts no new attempt; pending retries stay persisted. Running attempts may still finish and be recorded. */
  stop(): void {
    this.stopping = true;
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    this.advance();
  }

  /** Aborts running attempts without recording them: they run again at next start. */
  interrupt(): void {
    for (const controller of this.inflight.values()) controller.abort(new ShutdownError());
  }

  private row(taskId: string): TaskRun {
    const row = this.rows.get(taskId);
    if (!row) throw new Error(`execution ${this.id} has no task row for ${taskId}`);
    return row;
  }

  /** Launches what is ready; settles when nothing is running or waiting. */
  private advance(): void {
    if (this.settled) return;
    if (this.stopping) {
      if (this.inflight.size === 0) this.settle();
      return;
    }
    for (const spec of this.def.tasks) {
      const row = this.row(spec.id);
      if (row.status === "PENDING" && spec.dependsOn.every((d) => this.row(d).status === "COMPLETED")) {
        this.launch(spec, row.attempts + 1, false);
      }
    }
    if (this.inflight.size === 0 && this.timers.size === 0) void this.finish();
  }

  private launch(spec: TaskSpec, attempt: number, resumed: boolean): void {
    const row = this.row(spec.id);
    row.status = "RUNNING";
    row.attempts = attempt;
    const controller = new AbortController();
    this.inflight.set(spec.id, controller);
    void this.attempt(spec, attempt, resumed, controller)
      .catch((err: unknown) => this.broken(err))
      .finally(() => {
        this.inflight.delete(spec.id);
        this.advance();
      });
  }

  private async attempt(spec: TaskSpec, attempt: number, resumed: boolean, controller: AbortController): Promise<void> {
    const { store, clock, functions, logger } = this.deps;
    await store.startAttempt(this.id, spec.id, attempt, clock.now(), resumed);
    const fn = functions.get(spec.functionName);
    const outcome: AttemptOutcome = fn
      ? await runAttempt(fn, this.context(spec, attempt, controller.signal), controller, spec.timeoutSeconds, clock)
      : { kind: "error", error: { name: ErrorNames.Runtime, message: `no function named "${spec.functionName}" is registered in this Baton` } };
    if (outcome.kind === "interrupted") return;
    if (outcome.kind === "ok") {
      await store.completeTask(this.id, spec.id, attempt, outcome.output, clock.now());
      Object.assign(this.row(spec.id), { status: "COMPLETED", output: outcome.output, error: null });
      return;
    }
    await this.failed(spec, attempt, outcome.error);
    logger.debug("attempt failed", { execution: this.id, task: spec.id, attempt, error: `${outcome.error.name}: ${outcome.error.message}` });
  }

  private async failed(spec: TaskSpec, attempt: number, error: ErrorInfo): Promise<void> {
    const { store, clock, rng } = this.deps;
    const row = this.row(spec.id);
    if (shouldRetry(spec.retry, attempt, error.name)) {
      const delay = retryDelayMs(spec.retry, attempt, rng);
      const now = clock.now();
      await store.retryTask(this.id, spec.id, attempt, error, now + delay, now);
      Object.assign(row, { status: "RETRYING", error, nextAttemptAt: now + delay });
      if (!this.stopping) this.armRetry(spec, attempt + 1, delay);
      return;
    }
    const skip = dependentsOf(this.def, spec.id).filter((id) => this.row(id).status === "PENDING");
    await store.failTask(this.id, spec.id, attempt, error, skip, clock.now());
    Object.assign(row, { status: "FAILED", error });
    for (const id of skip) this.row(id).status = "SKIPPED";
  }

  private armRetry(spec: TaskSpec, attempt: number, delayMs: number): void {
    const timer = this.deps.clock.setTimer(() => {
      this.timers.delete(spec.id);
      if (!this.stopping) this.launch(spec, attempt, false);
    }, Math.max(0, delayMs));
    this.timers.set(spec.id, timer);
  }

  private context(spec: TaskSpec, attempt: number, signal: AbortSignal) {
    const results: Record<string, unknown> = {};
    for (const dep of spec.dependsOn) results[dep] = this.row(dep).output;
    const { logger } = this.deps;
    const executionId = this.id;
    return {
      executionId,
      taskId: spec.id,
      attempt,
      input: this.execution.input,
      params: spec.params,
      results,
      signal,
      log: (message: string, fields?: Record<string, unknown>) => logger.info(message, { execution: executionId, task: spec.id, attempt, ...fields }),
    };
  }

  private async finish(): Promise<void> {
    if (this.settled) return;
    this.settled = true; // nothing else may start once the execution is settling
    const { store, clock, logger } = this.deps;
    try {
      const failed = this.def.tasks.find((t) => this.row(t.id).status !== "COMPLETED");
      if (!failed) {
        const output = Object.fromEntries(terminalTasks(this.def).map((t) => [t.id, this.row(t.id).output]));
        await store.finishExecution(this.id, "COMPLETED", output, null, clock.now());
      } else {
        const culprit = this.def.tasks.map((t) => this.row(t.id)).find((r) => r.status === "FAILED") ?? this.row(failed.id);
        const error = { taskId: culprit.taskId, ...(culprit.error ?? { name: ErrorNames.TaskFailed, message: `task ${culprit.taskId} ended ${culprit.status}` }) };
        await store.finishExecution(this.id, "FAILED", null, error, clock.now());
        logger.info("execution failed", { execution: this.id, definition: this.def.id, task: error.taskId, error: `${error.name}: ${error.message}` });
      }
    } catch (err) {
      this.broken(err);
    } finally {
      this.resolveDone();
    }
  }

  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    this.resolveDone();
  }

  /** A store write failed: stop this run and leave the stored state for the next start to resume. */
  private broken(err: unknown): void {
    this.deps.logger.error("could not record progress; the execution stays as stored and resumes at next start", {
      execution: this.id,
      error: err instanceof Error ? err.message : String(err),
    });
    // Like a shutdown of this one execution: the `finally` of the last attempt settles it.
    this.stop();
    this.interrupt();
  }
}
