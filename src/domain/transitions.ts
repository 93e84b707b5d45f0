/**
 * The meaning of every change to an execution: the one place that decides whether a decision
 * (a `Step`, an admission, a cancel, a redrive…) is legal in the execution's current state, and
 * what it changes. Each function works in place on the state already in memory, looks the new
 * status up in the tables of `states.ts` (`transitions-tables.test.ts` checks that together the
 * functions allow exactly what the tables allow), and reports what a store must persist besides
 * the state: the events to append, the moves between statuses (for the counts per status) and
 * the outputs. An illegal decision throws `StaleStateError` and changes nothing the caller
 * keeps: stores apply a write's decisions to a copy they throw away on error, inside the
 * transaction that is rolled back.
 *
 * The engine applies the same functions to its in-memory view when it decides (without
 * `Effects`), and every store applies them again to what it read, before it writes.
 *
 * Over 300 lines on purpose: the whole rule set in one file, so a new state or event is one
 * edit here plus a row in the tables of `states.ts`; the steps and the whole-execution changes
 * share the helpers that move and refuse.
 */
import type { ErrorInfo } from "./errors.ts";
import type { EventType, ExecutionError, TaskRun } from "./model.ts";
import {
  type ExecutionEvent,
  type ExecutionStatus,
  executionTransition,
  isTerminalTask,
  type TaskEvent,
  type TaskStatus,
  taskTransition,
} from "./states.ts";

/** A guarded change found the execution or a task in another state: a bug or a concurrent writer. */
export class StaleStateError extends Error {
  override name = "StaleStateError";
}

/** One task's state inside an execution, without its output (stores keep outputs apart). */
export type TaskState = Omit<TaskRun, "output">;

/** What the rules read and change: the execution's status, its cancel request and its tasks. */
export interface ExecutionState<T extends TaskState = TaskState> {
  id: string;
  status: ExecutionStatus;
  cancelRequestedAt: number | null;
  /** In definition order. */
  tasks: T[];
}

/** An event a change appends, before the store numbers it. */
export interface PendingEvent {
  at: number;
  type: EventType;
  taskId: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
}

/** The end a finish step gave the execution: what a store writes on the execution's row. */
export interface ExecutionEnd {
  status: "COMPLETED" | "FAILED" | "CANCELLED";
  output: unknown;
  error: ExecutionError | null;
  endTime: number;
  handlersPending: boolean;
}

/** Everything a change means for storage besides the state itself, appended to in order. */
export class Effects {
  readonly events: PendingEvent[] = [];
  /** Status changes of the execution, for the counts per status; `from` null: a new execution. */
  readonly moves: [from: ExecutionStatus | null, to: ExecutionStatus][] = [];
  /** Outputs of tasks that completed (null outputs are not listed). */
  readonly outputs: [taskId: string, output: unknown][] = [];
  /** Set by a finish step. */
  end: ExecutionEnd | null = null;

  event(
    at: number,
    type: EventType,
    taskId: string | null = null,
    attempt: number | null = null,
    data: Record<string, unknown> | null = null,
  ): void {
    this.events.push({ at, type, taskId, attempt, data });
  }
}

/** A task of a new execution; `carried`: copied COMPLETED, with its output, by a rerun. */
export interface NewTask {
  taskId: string;
  name: string;
  carried?: { output: unknown };
}

/** An attempt an admission starts with the execution. */
export interface AttemptStart {
  taskId: string;
  attempt: number;
}

/**
 * One decision about an execution in flight. A store applies a list of them in one
 * transaction, so the engine can complete a task, start the tasks it unblocked and settle the
 * execution with one commit.
 */
export type Step =
  /** PENDING or RETRYING → RUNNING with `attempt` (= attempts + 1); with `resumed`, a RUNNING task re-runs `attempt`. */
  | { kind: "start"; taskId: string; attempt: number; resumed?: boolean }
  | { kind: "complete"; taskId: string; attempt: number; output: unknown }
  | { kind: "retry"; taskId: string; attempt: number; error: ErrorInfo; nextAttemptAt: number }
  /** RUNNING → FAILED, and the PENDING tasks in `skip` → SKIPPED. */
  | { kind: "fail"; taskId: string; attempt: number; error: ErrorInfo; skip: string[] }
  /**
   * The execution RUNNING → COMPLETED, FAILED or CANCELLED; the unfinished tasks in
   * `cancelTasks` → CANCELLED first. `timedOut` records that the execution's own timeout ended it.
   */
  | {
      kind: "finish";
      status: "COMPLETED" | "FAILED" | "CANCELLED";
      output: unknown;
      error: ExecutionError | null;
      cancelTasks?: string[];
      timedOut?: boolean;
      /** Handlers will run for this outcome: remembered until the last one is recorded. */
      handlersPending?: boolean;
    };

export type FinishStep = Extract<Step, { kind: "finish" }>;

/** The execution's tasks as they start: PENDING, or COMPLETED when carried over by a rerun. */
export function initialTasks(tasks: readonly NewTask[], now: number): TaskState[] {
  return tasks.map((t) => {
    const task: TaskState = {
      taskId: t.taskId,
      name: t.name,
      status: "PENDING",
      attempts: 0,
      startedAt: null,
      endTime: null,
      nextAttemptAt: null,
      error: null,
      attemptBase: 0,
      carriedOver: false,
    };
    if (t.carried) Object.assign(task, { status: "COMPLETED", endTime: now, carriedOver: true });
    return task;
  });
}

/** Applies one step in place; `fx` (omitted by the engine's view) collects what to persist. */
export function applyStep<T extends TaskState>(x: ExecutionState<T>, step: Step, now: number, fx?: Effects): void {
  // Steps decide about an execution in flight: none touches a QUEUED one (`admit` starts its
  // first attempts after the move) or a finished one, whatever state its tasks were left in.
  if (x.status !== "RUNNING") refuse(x, `record a ${step.kind} step`, `it is ${x.status}`);
  switch (step.kind) {
    case "start": {
      const { taskId, attempt, resumed = false } = step;
      const task = taskOf(x, taskId);
      const expected = resumed ? attempt : attempt - 1;
      if (task.attempts !== expected) refuse(x, `start attempt ${attempt} of task ${taskId}`, `it has had ${task.attempts} attempt(s)`);
      moveTask(x, task, resumed ? "resume" : "start");
      task.attempts = attempt;
      task.startedAt ??= now;
      if (!resumed) task.nextAttemptAt = null;
      fx?.event(now, "TaskStarted", taskId, attempt, resumed ? { resumed: true } : null);
      return;
    }
    case "complete": {
      const { taskId, attempt, output } = step;
      const task = attemptOf(x, taskId, attempt, "complete");
      moveTask(x, task, "succeed");
      task.error = null;
      task.endTime = now;
      if (output !== undefined && output !== null) fx?.outputs.push([taskId, output]);
      fx?.event(now, "TaskCompleted", taskId, attempt);
      return;
    }
    case "retry": {
      const { taskId, attempt, error, nextAttemptAt } = step;
      const task = attemptOf(x, taskId, attempt, "retry");
      moveTask(x, task, "retry");
      task.error = error;
      task.nextAttemptAt = nextAttemptAt;
      fx?.event(now, "TaskRetrying", taskId, attempt, { error, nextAttemptAt: new Date(nextAttemptAt).toISOString() });
      return;
    }
    case "fail": {
      const { taskId, attempt, error, skip } = step;
      const task = attemptOf(x, taskId, attempt, "fail");
      moveTask(x, task, "fail");
      task.error = error;
      task.endTime = now;
      fx?.event(now, "TaskFailed", taskId, attempt, { error });
      for (const skipped of skip) {
        const pending = taskOf(x, skipped);
        moveTask(x, pending, "skip");
        pending.endTime = now;
        fx?.event(now, "TaskSkipped", skipped, null, { because: taskId });
      }
      return;
    }
    case "finish": {
      const { status, output, error, cancelTasks = [], timedOut = false, handlersPending = false } = step;
      for (const taskId of cancelTasks) cancelTask(x, taskOf(x, taskId), now, fx);
      if (timedOut) fx?.event(now, "ExecutionTimedOut", null, null, error ? { error } : null);
      const event: ExecutionEvent = timedOut ? "timeout" : status === "COMPLETED" ? "complete" : status === "FAILED" ? "fail" : "cancel";
      const to = moveExecution(x, event, fx);
      if (to !== status) refuse(x, `finish the execution ${status}`, `"${event}" leads to ${to}`);
      if (fx) fx.end = { status, output, error, endTime: now, handlersPending };
      const type = status === "COMPLETED" ? "ExecutionCompleted" : status === "FAILED" ? "ExecutionFailed" : "ExecutionCancelled";
      fx?.event(now, type, null, null, error ? { error } : null);
      return;
    }
  }
}

/** A new execution: QUEUED with its `ExecutionQueued` event, or admitted at once with `start`. */
export function createExecution(
  e: { id: string; tasks: readonly NewTask[]; runAt?: number | null; rerunOf?: string | null; actor?: string | null },
  now: number,
  fx: Effects,
  start?: readonly AttemptStart[],
): ExecutionState {
  const x: ExecutionState = { id: e.id, status: "QUEUED", cancelRequestedAt: null, tasks: initialTasks(e.tasks, now) };
  for (const t of e.tasks)
    if (t.carried && t.carried.output !== undefined && t.carried.output !== null) fx.outputs.push([t.taskId, t.carried.output]);
  const data =
    e.runAt || e.rerunOf || e.actor
      ? {
          runAt: e.runAt ? new Date(e.runAt).toISOString() : undefined,
          rerunOf: e.rerunOf ?? undefined,
          actor: e.actor ?? undefined,
        }
      : null;
  fx.moves.push([null, "QUEUED"]);
  fx.event(now, "ExecutionQueued", null, null, data);
  if (start) admit(x, start, now, fx);
  return x;
}

/** QUEUED → RUNNING, starting the given attempts in the same change. */
export function admit<T extends TaskState>(x: ExecutionState<T>, start: readonly AttemptStart[], now: number, fx?: Effects): void {
  moveExecution(x, "admit", fx);
  fx?.event(now, "ExecutionStarted");
  for (const { taskId, attempt } of start) applyStep(x, { kind: "start", taskId, attempt }, now, fx);
}

/** A RUNNING execution found at start takes its slot again: the status stays, an event says so. */
export function resume(x: ExecutionState, now: number, fx: Effects): void {
  moveExecution(x, "resume", fx);
  fx.event(now, "ExecutionResumed");
}

/** At start, a RUNNING execution beyond the (lowered) limit goes back to the queue. */
export function requeue(x: ExecutionState, reason: string, now: number, fx: Effects): void {
  moveExecution(x, "requeue", fx);
  fx.event(now, "ExecutionRequeued", null, null, { reason });
}

/** What a cancel did. */
export type CancelOutcome =
  | { outcome: "cancelled" }
  /** RUNNING: the request is durable; the engine ends it CANCELLED. */
  | { outcome: "requested" }
  | { outcome: "finished"; status: ExecutionStatus };

/**
 * QUEUED → CANCELLED at once (its tasks too); RUNNING → a cancel request (once); otherwise
 * nothing. `actor`, the token's name, is recorded on the request's event.
 */
export function cancel(x: ExecutionState, now: number, fx: Effects, actor: string | null = null): CancelOutcome {
  const by = actor === null ? null : { actor };
  if (x.status === "QUEUED") {
    fx.event(now, "ExecutionCancelRequested", null, null, by);
    for (const task of x.tasks) if (isCancellable(task.status)) cancelTask(x, task, now, fx);
    moveExecution(x, "cancel", fx);
    fx.end = { status: "CANCELLED", output: null, error: null, endTime: now, handlersPending: false };
    fx.event(now, "ExecutionCancelled");
    return { outcome: "cancelled" };
  }
  if (x.status === "RUNNING") {
    if (x.cancelRequestedAt === null) {
      x.cancelRequestedAt = now;
      fx.event(now, "ExecutionCancelRequested", null, null, by);
    }
    return { outcome: "requested" };
  }
  return { outcome: "finished", status: x.status };
}

export type RedriveOutcome = { outcome: "redriven"; reset: string[] } | { outcome: "refused"; status: ExecutionStatus };

/**
 * FAILED or CANCELLED → QUEUED: COMPLETED tasks keep their output; the others go back to
 * PENDING with a fresh retry budget (attempt numbers keep counting).
 */
export function redrive(x: ExecutionState, now: number, fx: Effects, actor: string | null = null): RedriveOutcome {
  const from = x.status;
  if (executionTransition(from, "redrive") === null) return { outcome: "refused", status: from };
  const reset: string[] = [];
  for (const t of x.tasks) {
    if (taskTransition(t.status, "redrive") === null) continue;
    moveTask(x, t, "redrive");
    Object.assign(t, { attemptBase: t.attempts, error: null, endTime: null, nextAttemptAt: null });
    reset.push(t.taskId);
  }
  x.cancelRequestedAt = null;
  moveExecution(x, "redrive", fx);
  fx.event(now, "ExecutionRedriven", null, null, actor === null ? { from, reset } : { from, reset, actor });
  return { outcome: "redriven", reset };
}

/** A task the execution's end may cancel: one with a `cancel` transition. */
export const isCancellable = (s: TaskStatus): boolean => taskTransition(s, "cancel") !== null;

/** True when every task is final: nothing more will run. */
export const allTasksFinal = (x: ExecutionState): boolean => x.tasks.every((t) => isTerminalTask(t.status));

function cancelTask(x: ExecutionState, task: TaskState, now: number, fx?: Effects): void {
  moveTask(x, task, "cancel");
  task.endTime = now;
  task.nextAttemptAt = null;
  fx?.event(now, "TaskCancelled", task.taskId);
}

/** Moves the execution by `event` through the table, recording the move; refuses an illegal one. */
function moveExecution(x: ExecutionState, event: ExecutionEvent, fx?: Effects): ExecutionStatus {
  const to = executionTransition(x.status, event);
  if (to === null) refuse(x, `${event} the execution`, `it is ${x.status}`);
  if (to !== x.status) fx?.moves.push([x.status, to]);
  x.status = to;
  return to;
}

function moveTask(x: ExecutionState, task: TaskState, event: TaskEvent): void {
  const to = taskTransition(task.status, event);
  if (to === null) refuse(x, `${event} task ${task.taskId}`, `it is ${task.status}`);
  task.status = to;
}

function taskOf<T extends TaskState>(x: ExecutionState<T>, taskId: string): T {
  const task = x.tasks.find((t) => t.taskId === taskId);
  if (!task) throw new StaleStateError(`execution ${x.id} has no task ${taskId}`);
  return task;
}

/** The task, if it is RUNNING `attempt`; else a refusal saying what (`what`) could not be done. */
function attemptOf<T extends TaskState>(x: ExecutionState<T>, taskId: string, attempt: number, what: string): T {
  const task = taskOf(x, taskId);
  if (task.status !== "RUNNING" || task.attempts !== attempt) {
    refuse(x, `${what} attempt ${attempt} of task ${taskId}`, `it is ${task.status} at attempt ${task.attempts}`);
  }
  return task;
}

function refuse(x: ExecutionState, what: string, why: string): never {
  throw new StaleStateError(`could not ${what} in execution ${x.id}: ${why}`);
}
