/**
 * One step at a time, by hand: what tests use to move an execution through the store the
 * way the engine would, each call one `record` (one commit).
 */
import type { ErrorInfo } from "../../src/domain/errors.ts";
import type { ExecutionError } from "../../src/domain/model.ts";
import type { ExecutionWrites } from "../../src/domain/store.ts";

/** PENDING or RETRYING → RUNNING with `attempt`; with `resumed`, a RUNNING task re-runs `attempt`. */
export const startAttempt = (store: ExecutionWrites, id: string, taskId: string, attempt: number, now: number, resumed = false) =>
  store.record(id, [{ kind: "start", taskId, attempt, resumed }], now);

export const completeTask = (store: ExecutionWrites, id: string, taskId: string, attempt: number, output: unknown, now: number) =>
  store.record(id, [{ kind: "complete", taskId, attempt, output }], now);

export const retryTask = (
  store: ExecutionWrites,
  id: string,
  taskId: string,
  attempt: number,
  error: ErrorInfo,
  nextAttemptAt: number,
  now: number,
) => store.record(id, [{ kind: "retry", taskId, attempt, error, nextAttemptAt }], now);

/** RUNNING → FAILED, and the PENDING tasks in `skip` → SKIPPED. */
export const failTask = (
  store: ExecutionWrites,
  id: string,
  taskId: string,
  attempt: number,
  error: ErrorInfo,
  skip: string[],
  now: number,
) => store.record(id, [{ kind: "fail", taskId, attempt, error, skip }], now);

/** RUNNING → COMPLETED or FAILED. */
export const finishExecution = (
  store: ExecutionWrites,
  id: string,
  status: "COMPLETED" | "FAILED",
  output: unknown,
  error: ExecutionError | null,
  now: number,
) => store.record(id, [{ kind: "finish", status, output, error }], now);
