/**
 * One execution in flight: starts every task whose dependencies are COMPLETED, records each
 * attempt's outcome, waits out retries on timers, and settles the execution.
 *
 * Every decision is written before anything acts on it: an outcome, the tasks it unblocks
 * and, when nothing is left, the execution's end go to the store as one `record` (one
 * commit), and only once that commit resolves do the unblocked functions start. In-memory
 * rows are updated at decision time, so decisions taken while a commit is pending already
 * see each other (`RunRecord`, its base, keeps that state and sends the writes). How a
 * task's function is called is `task-call.ts`'s part; how the execution ends is decided in
 * `domain/ending.ts`.
 */
import type { TimerHandle } from "../domain/clock.ts";
import type { JobDefinition, TaskSpec } from "../domain/definition.ts";
import { type ForcedEnd, finishStep, forcedEnd, forcedFinishStep } from "../domain/ending.ts";
import { type ErrorInfo, LeaseLostError, ShutdownError, StopAttemptError } from "../domain/errors.ts";
import { dependentsOf, readyTasks } from "../domain/graph.ts";
import type { ExecutionWithTasks } from "../domain/model.ts";
import { retryDelayMs, shouldRetry } from "../domain/retry.ts";
import { settledView } from "../domain/settled.ts";
import { allTasksFinal, type FinishStep, type Step } from "../domain/transitions.ts";
import type { AttemptOutcome, LeaseOutcome } from "./attempt.ts";
import type { RunDeps } from "./deps.ts";
import { RunRecord, type SettledLease } from "./run-record.ts";
import { callTask } from "./task-call.ts";

export class ExecutionRun extends RunRecord {
  /** Attempts started (or being recorded as started) and not yet settled. */
  private readonly inflight = new Map<string, AbortController>();
  /** Tasks whose attempt was started before this process: only those may have a lease to take back. */
  private readonly resumedAttempts = new Set<string>();
  private readonly timers = new Map<string, TimerHandle>();
  /** A cancel or the execution's timeout is ending the run: nothing starts, attempts are aborted. */
  private ending: ForcedEnd | null = null;
  private deadline: TimerHandle | undefined;
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
    deps: RunDeps,
    execution: ExecutionWithTasks,
    private readonly def: JobDefinition,
    private readonly startedByAdmission: ReadonlySet<string> = new Set(),
  ) {
    super(deps, execution);
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
        if (!this.startedByAdmission.has(spec.id)) {
          resumed.push(this.decide({ kind: "start", taskId: spec.id, attempt: row.attempts, resumed: true }));
          this.resumedAttempts.add(spec.id);
        }
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
    this.dropRefused();
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
    this.ending = forcedEnd(kind, this.def.timeoutSeconds);
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

  /**
   * Adds to `steps` the start of every ready task and, when every task is final, the
   * execution's end; then writes them all in one commit.
   */
  private advance(steps: Step[], lease?: SettledLease): void {
    const launches: [TaskSpec, number][] = [];
    if (this.ending) {
      if (!this.settled && this.inflight.size === 0) {
        const finish = forcedFinishStep(this.ending, this.def, this.state);
        steps.push(this.decide(finish));
        this.settled = true;
        this.write(steps, [], finish, lease);
        this.resolveSlotFree();
      } else if (steps.length > 0) {
        this.write(steps, [], undefined, lease);
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
      finish = finishStep(this.def, this.rows);
      steps.push(this.decide(finish));
      this.settled = true; // nothing else may start once the end is decided
    }
    if (steps.length > 0) this.write(steps, launches, finish, lease);
    else this.settleIfIdle();
    if (finish) this.resolveSlotFree();
  }

  /** Commits `steps`; then starts the launched functions, or reports the execution's end. */
  private write(steps: Step[], launches: [TaskSpec, number][], finish?: FinishStep, lease?: SettledLease): void {
    this.commit(
      steps,
      () => {
        for (const [spec, attempt] of launches) this.runTask(spec, attempt);
        if (finish) this.finished(finish);
      },
      () => {
        for (const [spec] of launches) this.inflight.delete(spec.id);
      },
      lease,
    );
  }

  private finished(finish: FinishStep): void {
    if (finish.status === "FAILED" && finish.error) {
      const { taskId, name, message } = finish.error;
      this.deps.logger.info("execution failed", {
        execution: this.id,
        definition: this.def.id,
        task: taskId,
        attempt: taskId === null ? undefined : this.rows.get(taskId)?.attempts,
        error: `${name}: ${message}`,
      });
    }
    this.deadline?.cancel();
    const { definitionId, scheduleId } = this.execution;
    this.deps.onSettled(this.id, finish.status, scheduleId === null ? null : { definitionId, scheduleId });
    if (finish.handlersPending) {
      const { id, input } = this.execution;
      const { status, output, error } = finish;
      this.deps.startHandlers(settledView({ id, status, input, output, error, tasks: this.state.tasks }), this.def);
    }
    this.resolveDone();
    this.resolveSlotFree();
  }

  /** Runs one committed attempt and records its outcome. */
  private runTask(spec: TaskSpec, attempt: number): void {
    const controller = this.inflight.get(spec.id) ?? new AbortController();
    this.inflight.set(spec.id, controller);
    this.attemptStarts.set(spec.id, this.deps.clock.now());
    // Only an attempt started before this process may have a lease a worker still holds.
    void callTask(this.deps, this.execution, this.rows, spec, attempt, controller, this.resumedAttempts.delete(spec.id))
      .then((o) => this.settleAttempt(spec, attempt, o))
      .catch((err: unknown) => this.broken(err));
  }

  private settleAttempt(spec: TaskSpec, attempt: number, outcome: AttemptOutcome): void {
    this.inflight.delete(spec.id);
    const called = this.attemptStarts.get(spec.id);
    if (called !== undefined) this.deps.functionTime.ms += this.deps.clock.now() - called;
    const row = this.row(spec.id);
    const lease = outcome.kind === "interrupted" ? undefined : outcome.lease;
    if (this.ending) {
      lease?.refused(new LeaseLostError(`execution ${this.id} is being cancelled or timed out; nothing was recorded`));
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
      this.advance([complete], lease && { outcome: lease, status: row.status });
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
      const armRetry = () => {
        if (!this.stopping && !this.settled && !this.ending) this.armRetry(spec, attempt + 1, delay);
      };
      this.commit([retry], armRetry, undefined, lease && { outcome: lease, status: row.status });
      return;
    }
    this.failTask(spec, attempt, error, lease);
  }

  private failTask(spec: TaskSpec, attempt: number, error: ErrorInfo, lease?: LeaseOutcome): void {
    // With continueOnFailure the dependents still run; otherwise they (and theirs) are SKIPPED.
    const skip = spec.continueOnFailure ? [] : dependentsOf(this.def, spec.id).filter((id) => this.row(id).status === "PENDING");
    const fail = this.decide({ kind: "fail", taskId: spec.id, attempt, error, skip });
    this.advance([fail], lease && { outcome: lease, status: this.row(spec.id).status });
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

  /** A write committed: while stopping, the run may be able to let go now. */
  protected written(): void {
    this.settleIfIdle();
  }

  /** While stopping: once no attempt runs and no write is pending, let go of the execution (it resumes at next start). */
  private settleIfIdle(): void {
    if (!this.stopping || this.inflight.size > 0 || this.writing > 0) return;
    this.deadline?.cancel();
    this.settled = true;
    this.resolveDone();
    this.resolveSlotFree();
  }
}
