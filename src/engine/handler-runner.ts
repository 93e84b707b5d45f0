/**
 * Failure handlers: `onSuccess`, `onFailure` and `onExit` functions a definition runs once
 * its execution has settled. Each is recorded (`HandlerStarted`, `HandlerFinished` with its
 * output or error) and none can change the execution's status. The execution row remembers
 * that handlers are pending, so a restart runs those that had not finished (at least once).
 *
 * The runner starts them, tracks those running (a shutdown aborts them; they run again at next
 * start), resumes them after a restart or a fault, and parks those that could not be recorded.
 */
import type { HandlerSpec, JobDefinition } from "../domain/definition.ts";
import { ErrorNames } from "../domain/errors.ts";
import { handlersFinished, handlersFor, type SettledExecution, settledView } from "../domain/settled.ts";
import type { HandlerOutcome } from "../domain/store.ts";
import { runAttempt } from "./attempt.ts";
import type { DefinitionLookup, EngineDeps } from "./deps.ts";
import { Parking } from "./parking.ts";

export interface HandlerRunnerDeps extends Pick<EngineDeps, "store" | "functions" | "clock" | "logger" | "secrets"> {
  definition: DefinitionLookup;
  /** Makes sure fault recovery runs soon (parked handlers wait for it). */
  arm: () => void;
  /** Called whenever a handler run ends: the engine may be idle now. */
  notifyIdle: () => void;
}

export class HandlerRunner {
  /** Handlers running now, by execution; a shutdown aborts them through `stop` (they run again at next start). */
  private readonly runs = new Map<string, Promise<void>>();
  /** Settled executions whose handlers could not be recorded: run again by `resumeParked`. */
  private readonly parked: Parking;
  private readonly stop = new AbortController();

  constructor(private readonly deps: HandlerRunnerDeps) {
    this.parked = new Parking(deps.clock, deps.logger, deps.arm);
  }

  /** No handler running, none parked. */
  isIdle(): boolean {
    return this.runs.size === 0 && this.parked.size === 0;
  }

  /** True while parked handlers wait for a retry. */
  get waiting(): boolean {
    return this.parked.size > 0;
  }

  /** The handler runs in progress (a stop waits for them). */
  inProgress(): Promise<void>[] {
    return [...this.runs.values()];
  }

  /** Aborts the running handlers without recording them: they run again at next start. */
  interrupt(reason: unknown): void {
    this.stop.abort(reason);
  }

  /** Runs the handlers of `def` for a settled execution (`only`: those not recorded yet). */
  start(execution: SettledExecution, def: JobDefinition, only?: ReadonlySet<string>, failures = 0): void {
    const handlers = handlersFor(def, execution.status).filter((h) => !only || only.has(h.kind));
    const run = runHandlers(this.deps, execution, handlers, this.stop.signal)
      .catch((err: unknown) => this.parked.park(execution.id, err, failures + 1, "could not record a handler"))
      .finally(() => {
        this.runs.delete(execution.id);
        this.deps.notifyIdle();
      });
    this.runs.set(execution.id, run);
  }

  /** After a restart or a fault: the handlers of a settled execution that had not finished run (again). */
  async resume(id: string, failures = 0): Promise<void> {
    if (this.runs.has(id) || this.parked.has(id)) return;
    const { store } = this.deps;
    try {
      const execution = await store.loadExecution(id);
      if (!execution || (execution.status !== "COMPLETED" && execution.status !== "FAILED" && execution.status !== "CANCELLED")) return;
      const def = await this.deps.definition(execution.definitionId, execution.definitionVersion);
      const finished = handlersFinished((await store.events(id)) ?? []);
      const left = new Set(
        handlersFor(def, execution.status)
          .map((h) => h.kind)
          .filter((k) => !finished.has(k)),
      );
      this.start(settledView({ ...execution, status: execution.status }), def, left, failures);
    } catch (err) {
      this.parked.park(id, err, failures + 1, "could not resume the handlers of an execution");
    }
  }

  /** Called by fault recovery: parked handlers that are due run again. */
  resumeParked(now: number): void {
    this.parked.takeDue(now, (id, failures) => void this.resume(id, failures));
  }
}

/**
 * Runs `handlers` one after the other, recording each. Resolves when all are recorded, or
 * early when `signal` (a shutdown) fires: the unrecorded ones run again at next start.
 */
async function runHandlers(
  deps: HandlerRunnerDeps,
  execution: SettledExecution,
  handlers: HandlerSpec[],
  signal: AbortSignal,
): Promise<void> {
  const { store, clock, functions, logger, secrets } = deps;
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
            log: (message, fields) =>
              logger.info(secrets.redactText(message), { execution: execution.id, handler: name, ...secrets.redact(fields) }),
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
    // Handler params hold no secret templates, but a handler may still meet a secret value (a service's answer).
    const recorded: HandlerOutcome =
      outcome.kind === "ok"
        ? { status: "COMPLETED", output: secrets.redact(outcome.output) }
        : { status: "FAILED", error: secrets.redact(outcome.error) };
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
