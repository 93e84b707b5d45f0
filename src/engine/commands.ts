/**
 * The engine's commands: submit (with an idempotency key and/or a delayed start), cancel,
 * redrive and rerun. Each one writes what was asked to the store, then hands the execution to
 * admission (or to the delayed starts) to run.
 */
import { ConflictError, isUnknownWrite, NotFoundError, UnavailableError, ValidationError } from "../domain/errors.ts";
import { concurrencyKeyOf } from "../domain/flow.ts";
import { dependentsOf, rootsOf } from "../domain/graph.ts";
import { canonicalJson } from "../domain/json.ts";
import type { Execution, QueuedRef } from "../domain/model.ts";
import type { CancelResult, NewExecution, RedriveResult } from "../domain/store.ts";
import type { Admission } from "./admission.ts";
import type { DefinitionCatalog } from "./catalog.ts";
import type { DefinitionLookup, EngineDeps } from "./deps.ts";
import type { DelayedStarts } from "./services/delayed-starts.ts";

/** Options of one start. */
export interface SubmitOptions {
  /** Not admitted before this time (epoch ms). */
  runAt?: number;
  /** Same key and same request: the first execution is returned instead of a new one. */
  idempotencyKey?: string;
  /** Higher starts first. @default 0 */
  priority?: number;
  /** The token that asked, recorded on the `ExecutionQueued` event. @default null */
  actor?: string | null;
}

export interface Submitted {
  execution: Execution;
  /** False when an idempotency key returned an execution created earlier. */
  created: boolean;
}

/** Where the engine is in its life: commands are accepted only while it serves. */
export type Phase = "recovering" | "serving" | "stopping";

export interface CommandDeps extends Pick<EngineDeps, "store" | "clock" | "logger"> {
  catalog: DefinitionCatalog;
  definition: DefinitionLookup;
  admission: Admission;
  delayed: DelayedStarts;
  /** Makes execution ids. */
  newId: () => string;
  /** How long an `Idempotency-Key` is remembered. */
  idempotencyRetentionMs: number;
  phase: () => Phase;
}

export class Commands {
  constructor(private readonly deps: CommandDeps) {}

  /** Accepts an execution of the latest version of a definition, with a delayed start and/or an idempotency key. */
  async submitWith(definitionId: string, input: Record<string, unknown>, options: SubmitOptions = {}): Promise<Submitted> {
    this.assertAccepting();
    const { store, clock, admission } = this.deps;
    const found = await this.deps.catalog.get(definitionId);
    if (!found)
      throw new NotFoundError(
        `no job definition with id "${definitionId}"; register it with POST /job-definitions or add it to the jobs folder`,
      );
    const { stored, def } = found;
    const now = clock.now();
    const runAt = options.runAt !== undefined && options.runAt > now ? options.runAt : null;
    const id = this.deps.newId();
    const ref: QueuedRef = {
      id,
      definitionId: stored.id,
      definitionVersion: stored.version,
      priority: options.priority ?? 0,
      concurrencyKey: concurrencyKeyOf(def.flow, input, id),
    };
    const fresh: NewExecution = {
      ...ref,
      input,
      tasks: def.tasks.map((t) => ({ taskId: t.id, name: t.name })),
      runAt,
      ...(options.actor ? { actor: options.actor } : {}),
    };
    // A free slot, nobody waiting and no limit reached: store it RUNNING with its roots started, one commit instead of two.
    const direct = runAt === null && admission.tryDirect(ref, def.flow, now);
    const roots = direct ? rootsOf(def) : [];
    const start = direct ? roots.map((taskId) => ({ taskId, attempt: 1 })) : undefined;
    let execution: Execution;
    try {
      if (options.idempotencyKey !== undefined) {
        // A priority is part of the request only when given, so keys stored before priorities existed still match.
        const requestHash = canonicalJson({
          input,
          runAt: options.runAt ?? null,
          ...(ref.priority !== 0 ? { priority: ref.priority } : {}),
        });
        const key = { key: options.idempotencyKey, requestHash, notBefore: now - this.deps.idempotencyRetentionMs };
        const result = await store.enqueueOnce(fresh, key, now, start);
        if (result.outcome === "conflict") {
          throw new ConflictError(
            `the Idempotency-Key "${options.idempotencyKey}" was already used with a different request for execution ${result.executionId}; use a new key for a new request`,
          );
        }
        if (result.outcome === "existing") {
          if (direct) admission.release(id);
          return { execution: result.execution, created: false };
        }
        if (direct) return { execution: admission.runDirect(result.execution, def, roots), created: true };
        execution = result.execution;
      } else if (direct) {
        return { execution: admission.runDirect(await store.enqueueStarted(fresh, now, start!), def, roots), created: true };
      } else {
        execution = await store.enqueue(fresh, now);
      }
    } catch (err) {
      if (isUnknownWrite(err)) {
        // It may be stored: go on as if it were; reading it back at admission tells.
        if (direct) admission.park(id, err, 1, "could not start an execution");
        else if (runAt !== null) this.deps.delayed.add(ref, runAt);
        else admission.enqueue(ref, { limits: def.flow });
      } else if (direct) admission.release(id);
      throw err;
    }
    if (runAt !== null) {
      this.deps.delayed.add(ref, runAt);
      admission.pump();
    } else admission.enqueue(ref, { fresh: true, limits: def.flow });
    return { execution, created: true };
  }

  /**
   * Cancels an execution: a QUEUED one at once; a RUNNING one through its run (attempts
   * aborted, unfinished tasks CANCELLED). The request itself is durable, so a restart finishes it.
   */
  async cancel(executionId: string, actor: string | null = null): Promise<CancelResult> {
    const result = await this.deps.store.cancel(executionId, this.deps.clock.now(), actor);
    if (result.outcome === "requested") this.deps.admission.cancelRun(executionId);
    if (result.outcome === "cancelled") {
      this.deps.delayed.drop(executionId);
      this.deps.admission.forget(executionId);
    }
    return result;
  }

  /** FAILED or CANCELLED → QUEUED, keeping completed work; it waits for a slot like any other. */
  async redrive(executionId: string, actor: string | null = null): Promise<RedriveResult> {
    this.assertAccepting();
    let result: RedriveResult;
    try {
      result = await this.deps.store.redrive(executionId, this.deps.clock.now(), actor);
    } catch (err) {
      if (isUnknownWrite(err)) this.requeueStored(executionId); // admission reads what was stored
      throw err;
    }
    if (result.outcome === "redriven") this.requeueStored(executionId);
    return result;
  }

  /** Queues an execution the store may hold QUEUED, once read back (its priority and key are stored with it). */
  private requeueStored(executionId: string): void {
    const { store, admission } = this.deps;
    void store.loadExecution(executionId).then(
      (stored) => {
        if (stored?.status === "QUEUED") admission.enqueue(stored);
      },
      (err: unknown) =>
        this.deps.logger.error("could not read back a redriven execution to queue it; it starts at the next restart", {
          executionId,
          error: String(err),
        }),
    );
  }

  /**
   * A new execution of the same definition version: `fromTask` and everything downstream of
   * it run again; every other task is carried over COMPLETED with its output.
   */
  async rerun(executionId: string, fromTask: string, input?: Record<string, unknown>, actor: string | null = null): Promise<Execution> {
    this.assertAccepting();
    const { store, clock, admission } = this.deps;
    const original = await store.loadExecution(executionId);
    if (!original) throw new NotFoundError(`no execution with id "${executionId}"`);
    const def = await this.deps.definition(original.definitionId, original.definitionVersion);
    if (!def.tasks.some((t) => t.id === fromTask)) {
      throw new ValidationError(`fromTask: definition ${def.id} version ${original.definitionVersion} has no task "${fromTask}"`, [
        { path: "$.fromTask", message: `names no task of definition ${def.id} version ${original.definitionVersion}: "${fromTask}"` },
      ]);
    }
    const rerun = new Set([fromTask, ...dependentsOf(def, fromTask)]);
    const rows = new Map(original.tasks.map((t) => [t.taskId, t]));
    const notDone = def.tasks.filter((t) => !rerun.has(t.id) && rows.get(t.id)?.status !== "COMPLETED").map((t) => t.id);
    if (notDone.length > 0) {
      throw new ConflictError(
        `task(s) ${notDone.join(", ")} did not complete in execution ${executionId}, so they cannot be carried over; rerun from one of them or from a task upstream`,
      );
    }
    const id = this.deps.newId();
    const ref: QueuedRef = {
      id,
      definitionId: original.definitionId,
      definitionVersion: original.definitionVersion,
      priority: original.priority,
      concurrencyKey: concurrencyKeyOf(def.flow, input ?? original.input, id),
    };
    const execution = await store
      .enqueue(
        {
          ...ref,
          input: input ?? original.input,
          tasks: def.tasks.map((t) => ({
            taskId: t.id,
            name: t.name,
            ...(rerun.has(t.id) ? {} : { carried: { output: rows.get(t.id)!.output } }),
          })),
          rerunOf: executionId,
          actor,
        },
        clock.now(),
      )
      .catch((err: unknown) => {
        if (isUnknownWrite(err)) admission.enqueue(ref, { limits: def.flow });
        throw err;
      });
    admission.enqueue(ref, { limits: def.flow });
    return execution;
  }

  /** Throws `UnavailableError` unless the engine serves. */
  assertAccepting(): void {
    const phase = this.deps.phase();
    if (phase === "stopping")
      throw new UnavailableError("Baton is shutting down and accepts no new executions; retry against the restarted server");
    if (phase === "recovering") throw new UnavailableError("Baton is still recovering executions from its last run; retry in a moment");
  }
}
