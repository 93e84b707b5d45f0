/**
 * One attempt of one task: calls the function with a signal, enforces `timeoutSeconds`,
 * and turns whatever happens into an outcome the run records. Never throws.
 */
import type { Clock, TimerHandle } from "../domain/clock.ts";
import { type ErrorInfo, ErrorNames, ShutdownError, StopAttemptError, TaskTimeoutError, toErrorInfo } from "../domain/errors.ts";
import { MAX_OUTPUT_BYTES, type TaskContext, type TaskFunction } from "../domain/function.ts";
import type { TaskStatus } from "../domain/states.ts";
import type { LeaseSettlement } from "../domain/store.ts";

export { MAX_OUTPUT_BYTES };

/**
 * A remote attempt's outcome arrived under a lease: the run records it with the lease ended in
 * the same commit, then tells the caller the task's status (or why the write failed).
 */
export interface LeaseOutcome extends Omit<LeaseSettlement, "taskStatus"> {
  recorded: (taskStatus: TaskStatus) => void;
  refused: (err: unknown) => void;
}

export type AttemptOutcome =
  | { kind: "ok"; output: unknown; lease?: LeaseOutcome }
  | { kind: "error"; error: ErrorInfo; lease?: LeaseOutcome }
  /** Stopped by shutdown (runs again at next start), or by a cancel or execution timeout: nothing is recorded. */
  | { kind: "interrupted" };

export async function runAttempt(
  fn: TaskFunction,
  ctx: TaskContext,
  controller: AbortController,
  timeoutSeconds: number | null,
  clock: Clock,
): Promise<AttemptOutcome> {
  // An abort that came before the attempt started (a shutdown while its start was being
  // recorded) fires no "abort" event: settle now instead of running the function unbounded.
  if (controller.signal.aborted) return abortOutcome(controller.signal.reason);
  // A function that returns (or throws) without a promise cannot be aborted or time out:
  // take its outcome directly, without the timer and race machinery.
  let returned: unknown;
  try {
    returned = fn(ctx);
  } catch (thrown) {
    return { kind: "error", error: toErrorInfo(thrown) };
  }
  if (!isThenable(returned)) return toOutput(returned);
  let timer: TimerHandle | undefined;
  const aborted = new Promise<AttemptOutcome>((resolve) => {
    controller.signal.addEventListener("abort", () => resolve(abortOutcome(controller.signal.reason)), { once: true });
  });
  if (timeoutSeconds !== null) {
    timer = clock.setTimer(() => controller.abort(new TaskTimeoutError(timeoutSeconds)), timeoutSeconds * 1000);
  }
  const work = Promise.resolve(returned).then(
    toOutput,
    (thrown: unknown): AttemptOutcome => ({ kind: "error", error: toErrorInfo(thrown) }),
  );
  try {
    // A function that ignores its signal cannot hold the task: the abort wins the race.
    const outcome = await Promise.race([work, aborted]);
    const reason: unknown = controller.signal.reason;
    if (outcome.kind === "interrupted" && reason instanceof StopAttemptError) {
      // Cancel or execution timeout: give the function its grace period to return.
      let grace: TimerHandle | undefined;
      await Promise.race([work, new Promise<void>((resolve) => (grace = clock.setTimer(resolve, reason.graceMs)))]);
      grace?.cancel();
    }
    return outcome;
  } finally {
    timer?.cancel();
  }
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === "object" || typeof v === "function") && v !== null && typeof (v as { then?: unknown }).then === "function";

function abortOutcome(reason: unknown): AttemptOutcome {
  if (reason instanceof ShutdownError || reason instanceof StopAttemptError) return { kind: "interrupted" };
  return { kind: "error", error: toErrorInfo(reason) };
}

/** Normalizes a return value to stored JSON: `undefined` is null; too big or not JSON is an error. */
export function toOutput(value: unknown): AttemptOutcome {
  if (value === undefined || value === null) return { kind: "ok", output: null };
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    return {
      kind: "error",
      error: { name: ErrorNames.Runtime, message: `the function's return value is not JSON: ${toErrorInfo(err).message}` },
    };
  }
  if (text === undefined) return { kind: "ok", output: null }; // a function or a symbol
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_OUTPUT_BYTES) {
    return {
      kind: "error",
      error: {
        name: ErrorNames.DataLimitExceeded,
        message: `the output is ${bytes} bytes of JSON, above the limit of ${MAX_OUTPUT_BYTES} (4 MiB); store large data elsewhere and return a reference`,
      },
    };
  }
  return { kind: "ok", output: JSON.parse(text) };
}
