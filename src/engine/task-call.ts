/**
 * One committed attempt of a task, called: the context its function gets (input, params with
 * templates resolved against what is committed now, its dependencies' results, a signal and
 * a logger), and the call itself, whose outcome never rejects. A function missing from this
 * process, or a template that resolves to nothing (an unknown secret included), fails the attempt.
 *
 * Secrets resolve here and nowhere else, so whatever runs the function (this process, a remote
 * worker) gets them in the context. What comes back is redacted here too: the output and error
 * the run records (and so the events and views built from them) and every line the task logs
 * have each configured secret value replaced by `***`.
 */
import type { TaskSpec } from "../domain/definition.ts";
import { ErrorNames, toErrorInfo } from "../domain/errors.ts";
import type { TaskContext } from "../domain/function.ts";
import type { ExecutionWithTasks, TaskRun } from "../domain/model.ts";
import type { SecretSource } from "../domain/secrets.ts";
import { resultOf } from "../domain/settled.ts";
import { resolveParams } from "../domain/template.ts";
import { type AttemptOutcome, runAttempt } from "./attempt.ts";
import type { RunDeps } from "./deps.ts";
import { rowOf } from "./run-record.ts";

/** Calls `spec`'s function for `attempt` (not `async`: the outcome is the attempt's own promise, no extra hop). */
export function callTask(
  deps: Pick<RunDeps, "functions" | "clock" | "logger" | "secrets" | "remote">,
  execution: ExecutionWithTasks,
  rows: ReadonlyMap<string, TaskRun>,
  spec: TaskSpec,
  attempt: number,
  controller: AbortController,
  resumed = true,
): Promise<AttemptOutcome> {
  if (spec.remote) {
    // What a worker sends back is redacted like a local function's outcome.
    const offered = offerRemote(deps, execution, rows, spec, attempt, controller, resumed);
    return deps.secrets.size === 0 ? offered : offered.then((o) => redactOutcome(o, deps.secrets));
  }
  const fn = deps.functions.get(spec.functionName);
  if (!fn) {
    return Promise.resolve({
      kind: "error",
      error: { name: ErrorNames.Runtime, message: `no function named "${spec.functionName}" is registered in this Baton` },
    });
  }
  try {
    const outcome = runAttempt(
      fn,
      taskContext(deps, execution, rows, spec, attempt, controller.signal),
      controller,
      spec.timeoutSeconds,
      deps.clock,
    );
    // Without secrets there is nothing to redact: keep the attempt's own promise.
    return deps.secrets.size === 0 ? outcome : outcome.then((o) => redactOutcome(o, deps.secrets));
  } catch (err) {
    // A template that resolves to nothing fails the attempt (States.Runtime: not retried).
    return Promise.resolve(redactOutcome({ kind: "error", error: toErrorInfo(err) }, deps.secrets));
  }
}

/** The outcome with every secret value replaced by `***` in its output or error. */
export function redactOutcome(outcome: AttemptOutcome, secrets: SecretSource): AttemptOutcome {
  if (outcome.kind === "ok") return { kind: "ok", output: secrets.redact(outcome.output) };
  if (outcome.kind === "error") return { kind: "error", error: secrets.redact(outcome.error) };
  return outcome;
}

/** A remote task's attempt goes to the workers, with its params resolved now (they are never stored). */
function offerRemote(
  deps: Pick<RunDeps, "logger" | "secrets" | "remote">,
  execution: ExecutionWithTasks,
  rows: ReadonlyMap<string, TaskRun>,
  spec: TaskSpec,
  attempt: number,
  controller: AbortController,
  resumed: boolean,
): Promise<AttemptOutcome> {
  let ctx: TaskContext;
  try {
    ctx = taskContext(deps, execution, rows, spec, attempt, controller.signal);
  } catch (err) {
    return Promise.resolve({ kind: "error", error: toErrorInfo(err) });
  }
  const { executionId, taskId, input, params, results } = ctx;
  const offered = {
    executionId,
    taskId,
    attempt,
    functionName: spec.functionName,
    input,
    params,
    results,
    timeoutSeconds: spec.timeoutSeconds,
  };
  return deps.remote
    .offer(offered, controller, resumed)
    .catch((err: unknown): AttemptOutcome => ({ kind: "error", error: toErrorInfo(err) }));
}

function taskContext(
  { logger, secrets }: Pick<RunDeps, "logger" | "secrets">,
  execution: ExecutionWithTasks,
  rows: ReadonlyMap<string, TaskRun>,
  spec: TaskSpec,
  attempt: number,
  signal: AbortSignal,
): TaskContext {
  const results: Record<string, unknown> = {};
  for (const dep of spec.dependsOn) results[dep] = resultOf(rowOf(execution, rows, dep));
  const executionId = execution.id;
  const input = execution.input;
  return {
    executionId,
    taskId: spec.id,
    attempt,
    input,
    // Templates resolve just before each attempt, against what is committed now.
    params: spec.templated
      ? resolveParams(spec.params, {
          input,
          outputs: outputs(rows),
          executionId,
          scheduledFor: execution.scheduledFor === null ? null : new Date(execution.scheduledFor).toISOString(),
          attempt,
          secrets,
        })
      : spec.params,
    results,
    signal,
    // The ids come first and win: a function's own field named `task` cannot hide which task logged.
    log: (message: string, fields?: Record<string, unknown>) => {
      const ids = { execution: executionId, task: spec.id, attempt };
      logger.info(secrets.redactText(message), { ...ids, ...secrets.redact(fields), ...ids });
    },
  };
}

/** Outputs of the COMPLETED tasks (registration allows templates to read only upstream ones). */
function outputs(rows: ReadonlyMap<string, TaskRun>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [id, row] of rows) if (row.status === "COMPLETED") out[id] = row.output;
  return out;
}
