/** Execution states built by hand for the unit tests of `src/domain/transitions.ts`. */
import type { ExecutionStatus } from "../../src/domain/states.ts";
import { type Effects, type ExecutionState, initialTasks, type TaskState } from "../../src/domain/transitions.ts";

export const T = 1_700_000_000_000;
export const err = { name: "Boom", message: "it broke" };

/** A task named after its id, PENDING with nothing done unless `over` says otherwise. */
export const task = (taskId: string, over: Partial<TaskState> = {}): TaskState => ({
  ...initialTasks([{ taskId, name: taskId.toUpperCase() }], T)[0]!,
  ...over,
});

/** A task RUNNING `attempts`, started at T. */
export const running = (attempts = 1, over: Partial<TaskState> = {}): Partial<TaskState> => ({
  status: "RUNNING",
  attempts,
  startedAt: T,
  ...over,
});

/** Execution x1 in `status`, with tasks a, b, c PENDING unless given. */
export const state = (status: ExecutionStatus, tasks: TaskState[] = [task("a"), task("b"), task("c")]): ExecutionState => ({
  id: "x1",
  status,
  cancelRequestedAt: null,
  tasks,
});

/** The events reported, as `Type` or `Type:taskId`. */
export const types = (fx: Effects) => fx.events.map((e) => (e.taskId ? `${e.type}:${e.taskId}` : e.type));
