import { describe, expect, test } from "bun:test";
import { ErrorNames } from "./errors.ts";
import { baseDelayMs, DEFAULT_RETRY, errorMatches, NO_RETRY, type RetryPolicy, retryDelayMs, shouldRetry } from "./retry.ts";

const policy = (overrides: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY, maxAttempts: 3, ...overrides });
const fixed = (value: number) => () => value;

describe("baseDelayMs", () => {
  test("interval × rate^(k−1) for attempts 1..n", () => {
    const p = policy({ intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 300 });
    expect([1, 2, 3, 4, 5, 6].map((k) => baseDelayMs(p, k))).toEqual([1000, 2000, 4000, 8000, 16000, 32000]);
  });

  test("fractional interval and rate", () => {
    const p = policy({ intervalSeconds: 0.5, backoffRate: 1.5, maxDelaySeconds: 300 });
    expect([1, 2, 3].map((k) => baseDelayMs(p, k))).toEqual([500, 750, 1125]);
  });

  test("rate 1 is a constant delay", () => {
    const p = policy({ intervalSeconds: 3, backoffRate: 1 });
    expect([1, 2, 10, 100].map((k) => baseDelayMs(p, k))).toEqual([3000, 3000, 3000, 3000]);
  });

  test("capped by maxDelaySeconds", () => {
    const p = policy({ intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 5 });
    expect([1, 2, 3, 4, 5, 6].map((k) => baseDelayMs(p, k))).toEqual([1000, 2000, 4000, 5000, 5000, 5000]);
  });

  test("huge attempt numbers give the cap, never Infinity or NaN", () => {
    for (const backoffRate of [2, 3, 100]) {
      const p = policy({ intervalSeconds: 1, backoffRate, maxDelaySeconds: 60 });
      for (const k of [1_000, 1_001, 10_000, 2 ** 31, Number.MAX_SAFE_INTEGER, Infinity]) {
        expect({ backoffRate, k, d: baseDelayMs(p, k) }).toEqual({ backoffRate, k, d: 60_000 });
      }
    }
  });

  test("a slow rate reaches the cap within the largest legal maxAttempts (1000)", () => {
    const p = policy({ intervalSeconds: 1, backoffRate: 1.01, maxDelaySeconds: 60 });
    expect(baseDelayMs(p, 999)).toBe(60_000);
    const slowest = policy({ intervalSeconds: 1, backoffRate: 1.0001, maxDelaySeconds: 60 });
    const d = baseDelayMs(slowest, 1_000_000);
    expect(Number.isFinite(d)).toBe(true);
    expect(d).toBeGreaterThanOrEqual(baseDelayMs(slowest, 999));
  });

  test("the largest allowed policy still gives a finite delay", () => {
    const p = policy({ intervalSeconds: 30 * 24 * 3600, backoffRate: 100, maxDelaySeconds: 30 * 24 * 3600 });
    expect(baseDelayMs(p, 1e9)).toBe(30 * 24 * 3600 * 1000);
  });

  test("interval 0 means retry at once", () => {
    const p = policy({ intervalSeconds: 0, backoffRate: 2 });
    expect([1, 2, 50].map((k) => baseDelayMs(p, k))).toEqual([0, 0, 0]);
  });

  test("attempt numbers below 1 are treated as 1", () => {
    expect(baseDelayMs(policy({ intervalSeconds: 2 }), 0)).toBe(2000);
  });
});

describe("retryDelayMs", () => {
  const full = policy({ intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 300, jitterStrategy: "FULL" });
  const none = policy({ intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 300, jitterStrategy: "NONE" });

  test("FULL jitter scales the capped delay by the rng draw", () => {
    expect(retryDelayMs(full, 1, fixed(0))).toBe(0);
    expect(retryDelayMs(full, 1, fixed(0.5))).toBe(500);
    expect(retryDelayMs(full, 1, fixed(0.999))).toBe(999);
    expect(retryDelayMs(full, 3, fixed(0.5))).toBe(2000);
    expect(retryDelayMs(full, 3, fixed(0.999))).toBe(3996);
  });

  test("FULL jitter applies after the cap", () => {
    const capped = policy({ intervalSeconds: 1, backoffRate: 2, maxDelaySeconds: 5, jitterStrategy: "FULL" });
    expect(retryDelayMs(capped, 20, fixed(0.5))).toBe(2500);
  });

  test("FULL jitter rounds to whole milliseconds", () => {
    const p = policy({ intervalSeconds: 0.001, jitterStrategy: "FULL" });
    expect(retryDelayMs(p, 1, fixed(0.4))).toBe(0);
    expect(retryDelayMs(p, 1, fixed(0.6))).toBe(1);
  });

  test("NONE waits exactly the delay and never draws", () => {
    let draws = 0;
    const rng = () => {
      draws++;
      return 0.5;
    };
    expect([1, 2, 3].map((k) => retryDelayMs(none, k, rng))).toEqual([1000, 2000, 4000]);
    expect(draws).toBe(0);
  });
});

describe("errorMatches", () => {
  test("States.ALL matches everything, the timeout included", () => {
    for (const name of ["Error", "TypeError", ErrorNames.Timeout, "Custom"]) expect(errorMatches([ErrorNames.ALL], name)).toBe(true);
  });

  test("States.Timeout matches only a timeout", () => {
    expect(errorMatches([ErrorNames.Timeout], ErrorNames.Timeout)).toBe(true);
    expect(errorMatches([ErrorNames.Timeout], "Error")).toBe(false);
    expect(errorMatches([ErrorNames.Timeout], ErrorNames.TaskFailed)).toBe(false);
  });

  test("States.TaskFailed matches every error but a timeout", () => {
    for (const name of ["Error", "TaskFailed", "Custom", ErrorNames.TaskFailed])
      expect(errorMatches([ErrorNames.TaskFailed], name)).toBe(true);
    expect(errorMatches([ErrorNames.TaskFailed], ErrorNames.Timeout)).toBe(false);
  });

  test("a lease that expired (States.HeartbeatTimeout) is matched by States.ALL, States.Timeout and its own name, not by States.TaskFailed", () => {
    for (const pattern of [ErrorNames.ALL, ErrorNames.Timeout, ErrorNames.HeartbeatTimeout])
      expect(errorMatches([pattern], ErrorNames.HeartbeatTimeout)).toBe(true);
    expect(errorMatches([ErrorNames.TaskFailed], ErrorNames.HeartbeatTimeout)).toBe(false);
    expect(errorMatches([ErrorNames.HeartbeatTimeout], ErrorNames.Timeout)).toBe(false);
  });

  test("custom names match exactly, case-sensitively", () => {
    expect(errorMatches(["FlakyUpstream"], "FlakyUpstream")).toBe(true);
    expect(errorMatches(["FlakyUpstream"], "flakyupstream")).toBe(false);
    expect(errorMatches(["FlakyUpstream"], "Error")).toBe(false);
    expect(errorMatches(["A", "B"], "B")).toBe(true);
    expect(errorMatches(["A", ErrorNames.Timeout], ErrorNames.Timeout)).toBe(true);
  });

  test("an entry ending in .* matches by prefix, up to and including the dot", () => {
    expect(errorMatches(["Shell.ExitCode.*"], "Shell.ExitCode.75")).toBe(true);
    expect(errorMatches(["Shell.ExitCode.*"], "Shell.ExitCode.1")).toBe(true);
    expect(errorMatches(["Shell.*"], "Shell.Signal.SIGKILL")).toBe(true);
    expect(errorMatches(["Shell.ExitCode.*"], "Shell.Signal.SIGKILL")).toBe(false);
    expect(errorMatches(["Shell.ExitCode.*"], "Shell.ExitCode")).toBe(false);
    expect(errorMatches(["Shell.ExitCode.*"], "Shell.ExitCodeX")).toBe(false);
    expect(errorMatches(["Http.*"], "HttpX.Status.500")).toBe(false);
    // Only a trailing ".*" is a wildcard: anywhere else the star is a plain character.
    expect(errorMatches(["Shell.*.75"], "Shell.ExitCode.75")).toBe(false);
    expect(errorMatches(["Shell*"], "Shell.ExitCode.75")).toBe(false);
  });

  test("a prefix entry retries its names, and non-retryable names still never retry", () => {
    const p = policy({ errorEquals: ["Shell.ExitCode.*"] });
    expect(shouldRetry(p, 1, "Shell.ExitCode.75")).toBe(true);
    expect(shouldRetry(p, 1, "Shell.Signal.SIGTERM")).toBe(false);
    expect(shouldRetry(policy({ errorEquals: ["States.*"] }), 1, ErrorNames.NonRetryable)).toBe(false);
  });

  test("an empty list matches nothing", () => {
    expect(errorMatches([], "Error")).toBe(false);
  });
});

describe("shouldRetry", () => {
  const p = policy({ maxAttempts: 3, errorEquals: [ErrorNames.ALL] });

  test("retries while attempts are left", () => {
    expect(shouldRetry(p, 1, "Error")).toBe(true);
    expect(shouldRetry(p, 2, "Error")).toBe(true);
    expect(shouldRetry(p, 3, "Error")).toBe(false);
    expect(shouldRetry(p, 4, "Error")).toBe(false);
  });

  test("NO_RETRY never retries", () => {
    expect(NO_RETRY.maxAttempts).toBe(1);
    expect(shouldRetry(NO_RETRY, 1, "Error")).toBe(false);
  });

  test("non-retryable names are never retried, even under States.ALL", () => {
    for (const name of [ErrorNames.NonRetryable, ErrorNames.DataLimitExceeded, ErrorNames.Runtime]) {
      expect(shouldRetry(p, 1, name)).toBe(false);
      expect(shouldRetry(policy({ maxAttempts: 10, errorEquals: [name] }), 1, name)).toBe(false);
    }
  });

  test("a timeout is retried under States.ALL or States.Timeout, not under States.TaskFailed", () => {
    expect(shouldRetry(p, 1, ErrorNames.Timeout)).toBe(true);
    expect(shouldRetry(policy({ errorEquals: [ErrorNames.Timeout] }), 1, ErrorNames.Timeout)).toBe(true);
    expect(shouldRetry(policy({ errorEquals: [ErrorNames.TaskFailed] }), 1, ErrorNames.Timeout)).toBe(false);
  });

  test("an error errorEquals does not list is not retried", () => {
    expect(shouldRetry(policy({ errorEquals: ["FlakyUpstream"] }), 1, "Error")).toBe(false);
    expect(shouldRetry(policy({ errorEquals: ["FlakyUpstream"] }), 1, "FlakyUpstream")).toBe(true);
  });
});
