/**
 * Retry maths: pure, with the random source passed in so schedules are tested exactly.
 */
import { ErrorNames, NON_RETRYABLE_NAMES } from "./errors.ts";

export type JitterStrategy = "FULL" | "NONE";

/** A task's resolved retry policy: every field has its value, defaults applied. */
export interface RetryPolicy {
  /** Total attempts, the first included. 1 means no retry. */
  maxAttempts: number;
  /** Delay before the second attempt, in seconds (fractions allowed). @default 1 */
  intervalSeconds: number;
  /** Each further delay is the previous one times this. @default 2 */
  backoffRate: number;
  /** Upper bound of any delay, in seconds. @default 300 */
  maxDelaySeconds: number;
  /** FULL draws the delay uniformly from [0, delay]; NONE waits exactly the delay. @default "FULL" */
  jitterStrategy: JitterStrategy;
  /** Error names that are retried. @default ["States.ALL"] */
  errorEquals: string[];
}

export const DEFAULT_RETRY: Omit<RetryPolicy, "maxAttempts"> = {
  intervalSeconds: 1,
  backoffRate: 2,
  maxDelaySeconds: 300,
  jitterStrategy: "FULL",
  errorEquals: [ErrorNames.ALL],
};

/** A policy that runs once and never retries (a task with neither `maxRetry` nor `retry`). */
export const NO_RETRY: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 1 };

/** A source of uniform numbers in [0, 1), like `Math.random`. */
export type Rng = () => number;

// rate^1000 overflows to Infinity for any rate > 2.03; the min() below then caps it. Capping the
// exponent keeps the loop-free formula safe for absurd attempt numbers too.
const MAX_EXPONENT = 1000;

/**
 * Delay in milliseconds before the attempt that follows failed attempt `failedAttempt` (1-based),
 * before jitter: min(maxDelay, interval × rate^(failedAttempt−1)).
 */
export function baseDelayMs(policy: RetryPolicy, failedAttempt: number): number {
  if (policy.intervalSeconds <= 0 || policy.maxDelaySeconds <= 0) return 0;
  const exponent = Math.min(Math.max(failedAttempt - 1, 0), MAX_EXPONENT);
  const seconds = Math.min(policy.maxDelaySeconds, policy.intervalSeconds * policy.backoffRate ** exponent);
  return Number.isFinite(seconds) ? seconds * 1000 : policy.maxDelaySeconds * 1000;
}

/** The jittered delay in whole milliseconds. FULL jitter draws uniformly from [0, base]. */
export function retryDelayMs(policy: RetryPolicy, failedAttempt: number, rng: Rng): number {
  const base = baseDelayMs(policy, failedAttempt);
  const jittered = policy.jitterStrategy === "FULL" ? rng() * base : base;
  return Math.round(jittered);
}

/**
 * Whether `errorEquals` matches an error name, with Step Functions' meaning of the States.* names.
 * An entry ending in `.*` matches by prefix: `Shell.ExitCode.*` matches `Shell.ExitCode.75`.
 */
export function errorMatches(errorEquals: readonly string[], errorName: string): boolean {
  for (const pattern of errorEquals) {
    if (pattern === ErrorNames.ALL) return true;
    // As in Step Functions: TaskFailed is every error but the timeouts; Timeout covers the heartbeat's too.
    if (pattern === ErrorNames.TaskFailed && errorName !== ErrorNames.Timeout && errorName !== ErrorNames.HeartbeatTimeout) return true;
    if (pattern === ErrorNames.Timeout && errorName === ErrorNames.HeartbeatTimeout) return true;
    if (pattern === errorName) return true;
    if (pattern.endsWith(".*") && errorName.startsWith(pattern.slice(0, -1))) return true;
  }
  return false;
}

/** Whether a failed attempt number `attempt` with error `errorName` gets another attempt. */
export function shouldRetry(policy: RetryPolicy, attempt: number, errorName: string): boolean {
  if (attempt >= policy.maxAttempts) return false;
  if (NON_RETRYABLE_NAMES.has(errorName)) return false;
  return errorMatches(policy.errorEquals, errorName);
}
