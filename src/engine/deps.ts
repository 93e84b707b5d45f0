/**
 * What the parts of the engine are given, declared apart from every part so that none
 * imports another for a type: the ports and injected sources they share, and the callbacks
 * an execution's run reports to.
 */
import type { Clock } from "../domain/clock.ts";
import type { JobDefinition } from "../domain/definition.ts";
import type { FunctionRegistry } from "../domain/function.ts";
import type { Logger } from "../domain/log.ts";
import type { EngineMetrics } from "../domain/metrics.ts";
import type { Rng } from "../domain/retry.ts";
import type { SecretSource } from "../domain/secrets.ts";
import type { SettledExecution, SettledStatus } from "../domain/settled.ts";
import type { Store } from "../domain/store.ts";
import type { RemoteDispatcher } from "./remote.ts";

/** The ports and injected sources every part of the engine shares. */
export interface EngineDeps {
  store: Store;
  functions: FunctionRegistry;
  clock: Clock;
  rng: Rng;
  logger: Logger;
  /** Resolves `{{secrets.NAME}}` when an attempt starts; its values are redacted from all that is recorded. */
  secrets: SecretSource;
  /** Told each committed fact worth a metric (`domain/metrics.ts`). */
  metrics: EngineMetrics;
}

/** Where this process's task functions spent their time: the other half of the slot time (`Semaphore.busyMs`). */
export interface FunctionTime {
  /** Milliseconds from each local attempt's call to its outcome (remote attempts: to the worker's report), summed. */
  ms: number;
}

export interface RunDeps extends EngineDeps {
  /** Added to by every attempt's outcome. */
  functionTime: FunctionTime;
  /** Called once an execution's terminal state is committed; `scheduleId` when a schedule started it. */
  onSettled: (executionId: string, status: SettledStatus, scheduled: { definitionId: string; scheduleId: string } | null) => void;
  /** Runs the definition's handlers for a settled execution (tracked by the engine). */
  startHandlers: (execution: SettledExecution, def: JobDefinition) => void;
  /** A write was refused by the store and waits in a run's backlog: the engine watches for the store to accept writes. */
  onRefused: () => void;
  /** Where remote tasks' attempts are offered to workers. */
  remote: Pick<RemoteDispatcher, "offer">;
}

/** The definition version an execution runs; throws when the store has lost it. */
export type DefinitionLookup = (id: string, version: number) => Promise<JobDefinition>;
