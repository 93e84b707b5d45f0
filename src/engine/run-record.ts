/**
 * The record side of one execution's run: the execution as the run has decided it so far,
 * and the writes that make each decision durable. A decision is applied to the in-memory rows
 * at once, by the rules every store applies too, so decisions taken while a commit is pending
 * already see each other; it goes to the store as a `record` (one commit), in the order
 * decided, and its continuation runs once that commit resolves. A write the store refuses
 * (disk full) waits with the ones after it and is sent again in order once the store accepts
 * writes; any other failure breaks the run, which lets go so the engine reads it again.
 *
 * A base class of `ExecutionRun` rather than a part it holds, so that the hot path (decide,
 * record, settle) allocates and calls exactly what it did when both were one class.
 */
import { isRefusedWrite, StorageError } from "../domain/errors.ts";
import { failedOutcome } from "../domain/metrics.ts";
import type { ExecutionWithTasks, TaskRun } from "../domain/model.ts";
import type { TaskStatus } from "../domain/states.ts";
import type { LeaseSettlement } from "../domain/store.ts";
import { applyStep, type ExecutionState, type Step } from "../domain/transitions.ts";
import type { LeaseOutcome } from "./attempt.ts";
import type { RunDeps } from "./deps.ts";

/** A decision sent to the store: `durable` runs once it is durable, `undo` if it fails for good. */
interface PendingWrite {
  steps: Step[];
  durable: () => void;
  undo: (err?: unknown) => void;
  /** A remote attempt's lease, ended in the same commit. */
  lease: LeaseSettlement | undefined;
}

/** A remote outcome being recorded, with the task's status as decided. */
export interface SettledLease {
  outcome: LeaseOutcome;
  status: TaskStatus;
}

/** The row of a task; every task of the definition has one. */
export function rowOf(execution: { id: string }, rows: ReadonlyMap<string, TaskRun>, taskId: string): TaskRun {
  const row = rows.get(taskId);
  if (!row) throw new Error(`execution ${execution.id} has no task row for ${taskId}`);
  return row;
}

export abstract class RunRecord {
  /** The execution as this run has decided it so far (ahead of the store while writes are pending). */
  protected readonly state: ExecutionState<TaskRun>;
  /** `state.tasks` by id. */
  protected readonly rows: Map<string, TaskRun>;
  /** Set once the run starts nothing new: a refused write is then dropped, not kept for `replay`. */
  protected stopping = false;
  /** Writes sent to the store and not yet committed. */
  protected writing = 0;
  /**
   * Writes the store refused (known not applied: disk full, I/O error), in the order they
   * were decided; every later write of this run joins them. `replay` sends them again once
   * the store accepts writes. Attempts keep running meanwhile; their outcomes wait here.
   */
  private backlog: PendingWrite[] | null = null;
  /** Why the run broke: a write failed and the stored state must be read again. */
  private failure: unknown = null;
  /** When each task's latest attempt began in this process: its duration for the metrics once its outcome commits. */
  protected readonly attemptStarts = new Map<string, number>();

  /** @param execution the stored state, as committed */
  constructor(
    protected readonly deps: RunDeps,
    protected readonly execution: ExecutionWithTasks,
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

  /** True while a task waits out a retry's backoff, as decided. */
  get retrying(): boolean {
    for (const task of this.state.tasks) if (task.status === "RETRYING") return true;
    return false;
  }

  /** True while refused writes wait for the store. */
  get waitingForStore(): boolean {
    return this.backlog !== null;
  }

  /** Starts no new attempt: the run lets go once what runs has returned. */
  abstract stop(): void;

  /** Aborts running attempts without recording them. */
  abstract interrupt(): void;

  /** A write committed and its continuation ran. */
  protected abstract written(): void;

  /** Sends the refused writes again, in order (call once the store accepts writes). */
  replay(): void {
    const backlog = this.backlog;
    if (!backlog) return;
    this.backlog = null;
    for (const w of backlog) this.send(w);
  }

  /** Applies a decision to the in-memory state by the rules every store applies too; returns it for the write. */
  protected decide<S extends Step>(step: S): S {
    applyStep(this.state, step, this.deps.clock.now());
    return step;
  }

  protected row(taskId: string): TaskRun {
    return rowOf(this.execution, this.rows, taskId);
  }

  /** Refused decisions are dropped (a stop): the stored state is what the next start resumes. */
  protected dropRefused(): void {
    for (const w of this.backlog ?? []) w.undo();
    this.backlog = null;
  }

  /**
   * Writes `steps` in one commit; `then` runs once it is durable. A write the store refused
   * waits in the backlog for `replay`; any other failure breaks the run.
   */
  protected commit(steps: Step[], then: () => void, undo: () => void = () => {}, lease?: SettledLease): void {
    const done = lease
      ? () => {
          then();
          lease.outcome.recorded(lease.status);
        }
      : then;
    const undone = lease
      ? (err?: unknown) => {
          undo();
          lease.outcome.refused(err);
        }
      : undo;
    const settled = lease && {
      leaseId: lease.outcome.leaseId,
      end: lease.outcome.end,
      requestHash: lease.outcome.requestHash,
      taskStatus: lease.status,
    };
    const write: PendingWrite = { steps, durable: done, undo: undone, lease: settled };
    if (this.backlog)
      this.backlog.push(write); // keeps this run's writes in the order decided
    else this.send(write);
  }

  private send(write: PendingWrite): void {
    this.writing++;
    this.deps.store.record(this.id, write.steps, this.deps.clock.now(), write.lease).then(
      () => {
        this.writing--;
        this.observe(write.steps);
        write.durable();
        this.written();
      },
      (err: unknown) => {
        this.writing--;
        if (isRefusedWrite(err) && !this.stopping) {
          this.backlog ??= [];
          this.backlog.push(write);
          this.deps.onRefused();
          return;
        }
        write.undo(err);
        this.broken(err);
      },
    );
  }

  /** Tells the metrics what a committed write recorded: attempts' outcomes, retries, the execution's end. */
  private observe(steps: readonly Step[]): void {
    const { metrics, clock } = this.deps;
    const { definitionId } = this.execution;
    const now = clock.now();
    for (const step of steps) {
      if (step.kind === "complete") metrics.attemptEnded(definitionId, "completed", now - (this.attemptStarts.get(step.taskId) ?? now));
      else if (step.kind === "retry" || step.kind === "fail") {
        metrics.attemptEnded(definitionId, failedOutcome(step.error.name), now - (this.attemptStarts.get(step.taskId) ?? now));
        if (step.kind === "retry") metrics.retryScheduled(definitionId);
      } else if (step.kind === "finish") metrics.executionFinished(definitionId, step.status, now - (this.execution.startedAt ?? now));
    }
  }

  /**
   * A write failed and the stored state is no longer known (a commit that may or may not have
   * been applied, or a bug): stop like a shutdown of this one execution. Once the last attempt
   * returns the run lets go, and the engine reads the execution again to resume it.
   */
  protected broken(err: unknown): void {
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
