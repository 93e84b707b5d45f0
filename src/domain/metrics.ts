/**
 * What the engine reports for metrics: one call per committed fact (an execution started or
 * ended, an attempt's outcome recorded, a retry armed, a schedule fired or missed), with the
 * definition id as the only label, so series stay bounded (never an execution id). The engine
 * knows only this port; `platform/metrics.ts` implements it with prom-client, and `noMetrics`
 * is the default. Implementations are called on the engine's hot path: keep them cheap.
 */
import { ErrorNames } from "./errors.ts";
import type { SettledStatus } from "./settled.ts";

/** How a recorded attempt ended: `timed_out` when its own `timeoutSeconds` (or a remote lease's heartbeat) ran out. */
export type AttemptOutcome = "completed" | "failed" | "timed_out";

export const ATTEMPT_OUTCOMES: readonly AttemptOutcome[] = ["completed", "failed", "timed_out"];

export interface EngineMetrics {
  /** An execution was first admitted to RUNNING, `waitMs` after it was created (delayed starts included). */
  executionStarted(definitionId: string, waitMs: number): void;
  /**
   * An execution's end is committed. `durationMs` from its first start; null when it never ran
   * (a QUEUED execution cancelled).
   */
  executionFinished(definitionId: string, status: SettledStatus, durationMs: number | null): void;
  /** An attempt's outcome is committed (attempts aborted by a cancel or a shutdown are not recorded, so not counted). */
  attemptEnded(definitionId: string, outcome: AttemptOutcome, durationMs: number): void;
  /** A failed attempt's retry is committed (it counts once as a failed attempt too). */
  retryScheduled(definitionId: string): void;
  /** A cron fire of a schedule started an execution (a buffered fire included; a manual trigger is not a fire). */
  scheduleFired(definitionId: string): void;
  /** Fires of a schedule recorded as missed (Baton was down or the clock jumped past the catch-up window). */
  scheduleMissed(definitionId: string, count: number): void;
}

const nothing = () => {};

/** Reports nothing: the engine's default. */
export const noMetrics: EngineMetrics = {
  executionStarted: nothing,
  executionFinished: nothing,
  attemptEnded: nothing,
  retryScheduled: nothing,
  scheduleFired: nothing,
  scheduleMissed: nothing,
};

/** The outcome of a failed attempt by its error's name. */
export const failedOutcome = (errorName: string): AttemptOutcome =>
  errorName === ErrorNames.Timeout || errorName === ErrorNames.HeartbeatTimeout ? "timed_out" : "failed";
