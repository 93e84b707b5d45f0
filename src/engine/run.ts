/**
 * One execution in flight: starts every task whose dependencies are COMPLETED, records each
 * attempt's outcome, waits out retries on timers, and settles the execution.
 *
 * Every decision is written before anything acts on it: an outcome, the tasks it unblocks
 * and, when nothing is left, the execution's end go to the store as one `record` (one
 * commit), and only once that commit resolves do the unblocked functions start. In-memory
 * rows are updated at decision time, so decisions taken while a commit is pending already
 * see each other. A write the store refuses (disk full) waits with the ones after it and is
 * sent again in order once the store accepts writes; attempts keep running meanwhile.
 *
 * Over 400 lines until issue #12 moves the graph helpers and the transition of in-memory
 * rows into the domain, where the store's copy of the same rules goes too.
 */
import type { TimerHandle } from "../domain/clock.ts";
import type { JobDefinition, TaskSpec } from "../domain/definition.ts";
import {
  type ErrorInfo,
  ErrorNames,
  isRefusedWrite,
  ShutdownError,
  StopAttemptError,
  StorageError,
  toErrorInfo,
} from "../domain/errors.ts";
import { dependentsOf, readyTasks, specsOf, terminalTasks } from "../domain/graph.ts";
import type { ExecutionError, ExecutionWithTasks, TaskRun } from "../domain/model.ts";
import { retryDelayMs, shouldRetry } from "../domain/retry.ts";
import { handlersFor, resultOf, settledView } from "../domain/settled.ts";
import { resolveParams } from "../domain/template.ts";
import { allTasksFinal, applyStep, type ExecutionState, type FinishStep, isCancellable, type Step } from "../domain/transitions.ts";
import { type AttemptOutcome, runAttempt } from "./attempt.ts";
import type { RunDeps } from "./deps.ts";

/** A decision sent to the store: `then` runs once it is durable, `undo` if it fails for good. */
interface PendingWrite {
  steps: Step[];
  then: () => void;
  undo: () => void;
}

export class ExecutionRun {
  /** The execution as this run has decided it so far (ahead of the store while writes are pending). */
  private readonly state: ExecutionState<TaskRun>;
  /** `state.tasks` by id. */
  private readonly rows: Map<string, TaskRun>;
  /** Attempts started (or being recorded as started) and not yet settled. */
  private readonly inflight = new Map<string, AbortController>();
  private readonly timers = new Map<string, TimerHandle>();
  private stopping = false;
  /** A cancel or the execution's timeout is ending the run: nothing starts, attempts are aborted. */
  private ending: { status: "CANCELLED" | "FAILED"; error: ExecutionError | null; timedOut: boolean } | null = null;
  private deadline: TimerHandle | undefined;
  /** Writes sent to the store and not yet committed. */
  private writing = 0;
  /**
   * Writes the store refused (known not applied: disk full, I/O error), in the order they
   * were decided; every later write of this run joins them. `replay` sends them again once
   * the store accepts writes. Attempts keep running meanwhile; their outcomes wait here.
   */
  private backlog: PendingWrite[] | null = null;
  /** Why the run broke: a write failed and the stored state must be read again. */
  private failure: unknown = null;
  /** The execution's end has been decided (or the run let go of it): nothing else starts. */
  private settled = false;
  private resolveDone!: () => void;
  /** Resolves when the execution is terminal, or when a stop has let go of it. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));
  private resolveSlotFree!: () => void;
  /**
   * Resolves once the execution's end is decided and queued for commit (or at `done`). The
   * next admission then joins the same group commit, after this end: no state the database
   * ever holds has more executions RUNNING than the limit.
   */
  readonly slotFree = new Promise<void>((resolve) => (this.resolveSlotFree = resolve));

  /**
   * @param execution the stored state, as committed
   * @param startedByAdmission tasks the admission itself moved to RUNNING (attempt committed):
   *   they run at once; any other RUNNING task was interrupted and re-runs its attempt.
   */
  constructor(
    private readonly deps: RunDeps,
    private readonly execution: ExecutionWithTasks,
    private readonly def: JobDefinition,
    private readonly startedByAdmission: ReadonlySet<string> = new Set(),
  ) {
    this.state = { id: execution.id, status: execution.status, cancelRequestedAt: execution.cancelRequestedAt, tasks: execution.tasks };
    this.rows = new Map(execution.tasks.map((t) => [t.taskId, t]));
  }

  get id(): string {
    return this.execution.id;
  }

  /** Set once a write failed in a way that leaves the stored state unknown: the run let go, read it again. */
  get brokenBy(): unknown {
    return this.failure;
  }

  /** True while refused writes wait for the store. */
  get waitingForStore(): boolean {
    return this.backlog !== null;
  }

  /** Sends the refused writes again, in order (call once the store accepts writes). */
  replay(): void {
    const backlog = this.backlog;
    if (!backlog) return;
    this.backlog = null;
    for (const w of backlog) this.send(w);
  }

  /** Picks up where the stored state left off: interrupted attempts re-run, retries keep their time. */
  start(): Promise<void> {
    // Admitted while the engine was stopping: start nothing the stop no longer waits for.
    if (this.stopping) {
      this.settleIfIdle();
      return this.done;
    }
    // A cancel accepted before a restart: finish it instead of running anything.
    if (this.execution.cancelRequestedAt !== null) {
      this.end("cancel", 0);
      return this.done;
    }
    this.armDeadline();
    const resumed: Step[] = [];
    const launches: [TaskSpec, number][] = [];
    for (const spec of this.def.tasks) {
      const row = this.row(spec.id);
      if (row.status === "RUNNING") {
        if (!this.startedByAdmission.has(spec.id))
          resumed.push(this.decide({ kind: "start", taskId: spec.id, attempt: row.attempts, resumed: true }));
        launches.push([spec, row.attempts]);
        this.inflight.set(spec.id, new AbortController());
      } else if (row.status === "RETRYING") {
        this.armRetry(spec, row.attempts + 1, (row.nextAttemptAt ?? 0) - this.deps.clock.now());
      }
    }
    // Resumed attempts are recorded as such first; the admission already committed the rest.
    if (resumed.length > 0) this.write(resumed, launches);
    else for (const [spec, attempt] of launches) this.runTask(spec, attempt);
    this.advance([]);
    return this.done;
  }

  /** Starts no new attempt; pending retries stay persisted. Running attempts may still finish and be recorded. */
  stop(): void {
    this.stopping = true;
    this.cancelTimers();
    // Refused decisions are dropped: the stored state is what the next start resumes.
    for (const w of this.backlog ?? []) w.undo();
    this.backlog = null;
    this.settleIfIdle();
  }

  /**
   * Ends the execution early: CANCELLED on request, or FAILED with `States.Timeout` when its
   * own `timeoutSeconds` passed. Running attempts are aborted and given `graceMs` to return
   * (their outcome is not recorded); pending retries are dropped; every unfinished task
   * becomes CANCELLED in the same commit as the execution's end.
   */
  end(kind: "cancel" | "timeout", graceMs: number): void {
    if (this.settled || this.ending) return;
    const seconds = this.def.timeoutSeconds;
    this.ending =
      kind === "cancel"
        ? { status: "CANCELLED", error: null, timedOut: false }
        : {
            status: "FAILED",
            error: {
              taskId: null,
              name: ErrorNames.Timeout,
              message: `the execution ran longer than its timeoutSeconds (${seconds} s); running attempts were aborted`,
            },
            timedOut: true,
          };
    this.cancelTimers();
    const reason = new StopAttemptError(kind === "cancel" ? "the execution was cancelled" : "the execution timed out", graceMs);
    for (const controller of this.inflight.values()) controller.abort(reason);
    this.advance([]);
  }

  private cancelTimers(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    this.deadline?.cancel();
  }

  /** The execution's own timeout counts from when it was first admitted, across restarts. */
  private armDeadline(): void {
    const seconds = this.def.timeoutSeconds;
    if (seconds === null) return;
    const startedAt = this.execution.startedAt ?? this.deps.clock.now();
    this.deadline = this.deps.clock.setTimer(() => this.end("timeout", 0), Math.max(0, startedAt + seconds * 1000 - this.deps.clock.now()));
  }

  /** Aborts running attempts without recording them: they run again at next start. */
  interrupt(): void {
    for (const controller of this.inflight.values()) controller.abort(new ShutdownError());
  }

  /** Applies a decision to the in-memory state by the rules every store applies too; returns it for the write. */
  private decide<S extends Step>(step: S): S {
    applyStep(this.state, step, this.deps.clock.now());
    return step;
  }

  private row(taskId: string): TaskRun {
    const row = this.rows.get(taskId);
    if (!row) throw new Error(`execution ${this.id} has no task row for ${taskId}`);
    return row;
  }

  /**
   * Adds to `steps` the start of every ready task and, when every task is final, the
   * execution's end; then writes them all in one commit.
   */
  private advance(steps: Step[]): void {
    const launches: [TaskSpec, number][] = [];
    if (this.ending) {
      if (!this.settled && this.inflight.size === 0) {
        const { status, error, timedOut } = this.ending;
        const cancelTasks = this.state.tasks.filter((t) => isCancellable(t.status)).map((t) => t.taskId);
        const finish: FinishStep = {
          kind: "finish",
          status,
          output: null,
          error,
          cancelTasks,
          timedOut,
          handlersPending: handlersFor(this.def, status).length > 0,
        };
        steps.push(this.decide(finish));
        this.settled = true;
        this.write(steps, [], finish);
        this.resolveSlotFree();
      } else if (steps.length > 0) {
        this.write(steps, []);
      }
      return;
    }
    if (!this.settled && !this.stopping) {
      for (const spec of readyTasks(this.def, this.rows)) {
        const row = this.row(spec.id);
        const attempt = row.attempts + 1;
        steps.push(this.decide({ kind: "start", taskId: spec.id, attempt }));
        this.inflight.set(spec.id, new AbortController());
        launches.push([spec, attempt]);
      }
    }
    let finish: FinishStep | undefined;
    if (!this.settled && allTasksFinal(this.state)) {
      finish = this.finishStep();
      steps.push(this.decide(finish));
      this.settled = true; // nothing else may start once the end is decided
    }
    if (steps.length > 0) this.write(steps, launches, finish);
    else this.settleIfIdle();
    if (finish) this.resolveSlotFree();
  }

  /** Commits `steps`; then starts the launched functions, or reports the execution's end. */
  private write(steps: Step[], launches: [TaskSpec, number][], finish?: FinishStep): void {
    this.commit(
      steps,
      () => {
        for (const [spec, attempt] of launches) this.runTask(spec, attempt);
        if (finish) this.finished(finish);
      },
      () => {
        for (const [spec] of launches) this.inflight.delete(spec.id);
      },
    );
  }

  /**
   * Writes `steps` in one commit; `then` runs once it is durable. A write the store refused
   * waits in the backlog for `replay`; any other failure breaks the run.
   */
  private commit(steps: Step[], then: () => void, undo: () => void = () => {}): void {
    const write = { steps, then, undo };
    if (this.backlog)
      this.backlog.push(write); // keeps this run's writes in the order decided
    else this.send(write);
  }

  private send(write: PendingWrite): void {
    this.writing++;
    this.deps.store.record(this.id, write.steps, this.deps.clock.now()).then(
      () => {
        this.writing--;
        write.then();
        this.settleIfIdle();
      },
      (err: unknown) => {
        this.writing--;
        if (isRefusedWrite(err) && !this.stopping) {
          this.backlog ??= [];
          this.backlog.push(write);
          this.deps.onRefused();
          return;
        }
        write.undo();
        this.broken(err);
      },
    );
  }

  private finished(finish: FinishStep): void {
    if (finish.status === "FAILED" && finish.error) {
      const { taskId, name, message } = finish.error;
      this.deps.logger.info("execution failed", {
        execution: this.id,
        definition: this.def.id,
        task: taskId,
        error: `${name}: ${message}`,
      });
    }
    this.deadline?.cancel();
    this.deps.onSettled(this.id, finish.status);
    if (finish.handlersPending) {
      const { id, input } = this.execution;
      const { status, output, error } = finish;
      this.deps.startHandlers(settledView({ id, status, input, output, error, tasks: this.state.tasks }), this.def);
    }
    this.resolveDone();
    this.resolveSlotFree();
  }

  private finishStep(): FinishStep {
    const specs = specsOf(this.def);
    const rows = this.def.tasks.map((t) => this.row(t.id));
    // Tasks that failed with continueOnFailure do not fail the execution.
    const bad = rows.find((r) => r.status !== "COMPLETED" && !(r.status === "FAILED" && specs.get(r.taskId)?.continueOnFailure));
    if (!bad) {
      const output = Object.fromEntries(terminalTasks(this.def).map((t) => [t.id, this.row(t.id).output]));
      return { kind: "finish", status: "COMPLETED", output, error: null, handlersPending: handlersFor(this.def, "COMPLETED").length > 0 };
    }
    const culprit = rows.find((r) => r.status === "FAILED" && !specs.get(r.taskId)?.continueOnFailure) ?? bad;
    const error: ExecutionError = {
      taskId: culprit.taskId,
      ...(culprit.error ?? { name: ErrorNames.TaskFailed, message: `task ${culprit.taskId} ended ${culprit.status}` }),
    };
    return { kind: "finish", status: "FAILED", output: null, error, handlersPending: handlersFor(this.def, "FAILED").length > 0 };
  }

  /** Runs one committed attempt and records its outcome. */
  private runTask(spec: TaskSpec, attempt: number): void {
    const controller = this.inflight.get(spec.id) ?? new AbortController();
    this.inflight.set(spec.id, controller);
    const { functions, clock } = this.deps;
    const fn = functions.get(spec.functionName);
    let outcome: Promise<AttemptOutcome>;
    if (!fn) {
      outcome = Promise.resolve({
        kind: "error",
        error: { name: ErrorNames.Runtime, message: `no function named "${spec.functionName}" is registered in this Baton` },
      });
    } else {
      try {
        outcome = runAttempt(fn, this.context(spec, attempt, controller.signal), controller, spec.timeoutSeconds, clock);
      } catch (err) {
        // A template that resolves to nothing fails the attempt (States.Runtime: not retried).
        outcome = Promise.resolve({ kind: "error", error: toErrorInfo(err) });
      }
    }
    void outcome.then((o) => this.settleAttempt(spec, attempt, o)).catch((err: unknown) => this.broken(err));
  }

  private settleAttempt(spec: TaskSpec, attempt: number, outcome: AttemptOutcome): void {
    this.inflight.delete(spec.id);
    const row = this.row(spec.id);
    if (this.ending) {
      this.advance([]); // whatever the attempt did, the task ends CANCELLED with the execution
      return;
    }
    if (outcome.kind === "interrupted") {
      this.settleIfIdle();
      return;
    }
    if (outcome.kind === "ok") {
      const complete = this.decide({ kind: "complete", taskId: spec.id, attempt, output: outcome.output });
      row.output = outcome.output;
      this.advance([complete]);
      return;
    }
    const { error } = outcome;
    this.deps.logger.debug("attempt failed", { execution: this.id, task: spec.id, attempt, error: `${error.name}: ${error.message}` });
    // Attempt numbers keep counting across redrives; the retry budget starts again at each.
    const inBudget = attempt - row.attemptBase;
    if (shouldRetry(spec.retry, inBudget, error.name)) {
      const delay = retryDelayMs(spec.retry, inBudget, this.deps.rng);
      const nextAttemptAt = this.deps.clock.now() + delay;
      const retry = this.decide({ kind: "retry", taskId: spec.id, attempt, error, nextAttemptAt });
      // The timer is armed only once the wait is committed, so a crash never loses it.
      this.commit([retry], () => {
        if (!this.stopping && !this.settled && !this.ending) this.armRetry(spec, attempt + 1, delay);
      });
      return;
    }
    this.failTask(spec, attempt, error);
  }

  private failTask(spec: TaskSpec, attempt: number, error: ErrorInfo): void {
    // With continueOnFailure the dependents still run; otherwise they (and theirs) are SKIPPED.
    const skip = spec.continueOnFailure ? [] : dependentsOf(this.def, spec.id).filter((id) => this.row(id).status === "PENDING");
    this.advance([this.decide({ kind: "fail", taskId: spec.id, attempt, error, skip })]);
  }

  private armRetry(spec: TaskSpec, attempt: number, delayMs: number): void {
    const timer = this.deps.clock.setTimer(
      () => {
        this.timers.delete(spec.id);
        if (this.stopping || this.settled || this.ending) return;
        const start = this.decide({ kind: "start", taskId: spec.id, attempt });
        this.inflight.set(spec.id, new AbortController());
        this.write([start], [[spec, attempt]]);
      },
      Math.max(0, delayMs),
    );
    this.timers.set(spec.id, timer);
  }

  private context(spec: TaskSpec, attempt: number, signal: AbortSignal) {
    const results: Record<string, unknown> = {};
    for (const dep of spec.dependsOn) results[dep] = resultOf(this.row(dep));
    const { logger } = this.deps;
    const executionId = this.id;
    const input = this.execution.input;
    return {
      executionId,
      taskId: spec.id,
      attempt,
      input,
      // Templates resolve just before each attempt, against what is committed now.
      params: spec.templated ? resolveParams(spec.params, { input, outputs: this.outputs(), executionId, attempt }) : spec.params,
      results,
      signal,
      log: (message: string, fields?: Record<string, unknown>) =>
        logger.info(message, { execution: executionId, task: spec.id, attempt, ...fields }),
    };
  }

  /** Outputs of the COMPLETED tasks (registration allows templates to read only upstream ones). */
  private outputs(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [id, row] of this.rows) if (row.status === "COMPLETED") out[id] = row.output;
    return out;
  }

  /** While stopping: once no attempt runs and no write is pending, let go of the execution (it resumes at next start). */
  private settleIfIdle(): void {
    if (!this.stopping || this.inflight.size > 0 || this.writing > 0) return;
    this.deadline?.cancel();
    this.settled = true;
    this.resolveDone();
    this.resolveSlotFree();
  }

  /**
   * A write failed and the stored state is no longer known (a commit that may or may not have
   * been applied, or a bug): stop like a shutdown of this one execution. Once the last attempt
   * returns the run lets go, and the engine reads the execution again to resume it.
   */
  private broken(err: unknown): void {
    if (this.failure !== null) return;
    this.failure = err;
    const fields = { execution: this.id, error: err instanceof Error ? err.message : String(err) };
    if (err instanceof StorageError)
      this.deps.logger.warn("could not record progress; the execution is read again from the database once it accepts writes", fields);
    else this.deps.logger.error("could not record progress; the execution is read again from the database and resumed", fields);
    this.stop();
    this.interrupt();
  }
}
