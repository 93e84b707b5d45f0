/**
 * Failure handlers: `onSuccess`, `onFailure` and `onExit` functions a definition runs once
 * its execution has settled. Each is recorded (`HandlerStarted`, `HandlerFinished` with its
 * output or error) and none can change the execution's status. The execution row remembers
 * that handlers are pending, so a restart runs those that had not finished (at least once).
 */
import type { HandlerSpec } from "../domain/definition.ts";
import { ErrorNames } from "../domain/errors.ts";
import type { SettledExecution } from "../domain/settled.ts";
import type { HandlerOutcome } from "../domain/store.ts";
import { runAttempt } from "./attempt.ts";
import type { RunDeps } from "./deps.ts";

/**
 * Runs `handlers` one after the other, recording each. Resolves when all are recorded, or
 * early when `signal` (a shutdown) fires: the unrecorded ones run again at next start.
 */
export async function runHandlers(deps: RunDeps, execution: SettledExecution, handlers: HandlerSpec[], signal: AbortSignal): Promise<void> {
  const { store, clock, functions, logger } = deps;
  for (const [i, handler] of handlers.entries()) {
    if (signal.aborted) return;
    const name = handler.kind;
    await store.handlerStarted(execution.id, name, clock.now());
    const controller = new AbortController();
    const forward = () => controller.abort(signal.reason);
    signal.addEventListener("abort", forward, { once: true });
    const fn = functions.get(handler.functionName);
    const outcome = fn
      ? await runAttempt(
          fn,
          {
            executionId: execution.id,
            taskId: `handler:${name}`,
            attempt: 1,
            input: execution.input,
            params: handler.params,
            results: execution.results,
            execution: { status: execution.status, output: execution.output, error: execution.error, failedTasks: execution.failedTasks },
            signal: controller.signal,
            log: (message, fields) => logger.info(message, { execution: execution.id, handler: name, ...fields }),
          },
          controller,
          handler.timeoutSeconds,
          clock,
        )
      : ({
          kind: "error",
          error: { name: ErrorNames.Runtime, message: `no function named "${handler.functionName}" is registered in this Baton` },
        } as const);
    signal.removeEventListener("abort", forward);
    if (outcome.kind === "interrupted") return;
    const recorded: HandlerOutcome =
      outcome.kind === "ok" ? { status: "COMPLETED", output: outcome.output } : { status: "FAILED", error: outcome.error };
    if (recorded.status === "FAILED") {
      logger.warn("handler failed; the execution's status is unchanged", {
        execution: execution.id,
        handler: name,
        error: `${recorded.error.name}: ${recorded.error.message}`,
      });
    }
    await store.handlerFinished(execution.id, name, recorded, i === handlers.length - 1, clock.now());
  }
}
