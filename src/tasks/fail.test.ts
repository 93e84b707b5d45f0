import { describe, expect, test } from "bun:test";
import { ErrorNames } from "../domain/errors.ts";
import type { TaskContext } from "../domain/function.ts";
import { fail } from "./fail.ts";

const ctx = (attempt: number, params: Record<string, unknown>): TaskContext => ({
  executionId: "e",
  taskId: "t",
  attempt,
  input: {},
  params,
  results: {},
  signal: new AbortController().signal,
  log: () => {},
});

const outcome = (attempt: number, params: Record<string, unknown>) => {
  try {
    return { returned: fail(ctx(attempt, params)) };
  } catch (err) {
    return { threw: { name: (err as Error).name, message: (err as Error).message } };
  }
};

describe("fail", () => {
  test("throws on the first `times` attempts, then returns {attempt}", () => {
    expect([1, 2, 3, 4].map((a) => outcome(a, { times: 2 }))).toEqual([
      { threw: { name: "TaskFailed", message: "failing on purpose (attempt 1)" } },
      { threw: { name: "TaskFailed", message: "failing on purpose (attempt 2)" } },
      { returned: { attempt: 3 } },
      { returned: { attempt: 4 } },
    ]);
  });

  test("times 0 never fails; times absent always fails", () => {
    expect(outcome(1, { times: 0 })).toEqual({ returned: { attempt: 1 } });
    expect(outcome(1, {})).toMatchObject({ threw: { name: "TaskFailed" } });
    expect(outcome(999, {})).toMatchObject({ threw: { name: "TaskFailed" } });
  });

  test("errorName and message name the thrown error", () => {
    expect(outcome(1, { times: 1, errorName: "FlakyUpstream", message: "503 from upstream" })).toEqual({
      threw: { name: "FlakyUpstream", message: "503 from upstream" },
    });
    expect(outcome(1, { errorName: ErrorNames.NonRetryable })).toMatchObject({ threw: { name: ErrorNames.NonRetryable } });
  });

  test("bad params are a non-retryable error", () => {
    for (const times of [-1, 1.5, "2", null]) {
      expect(outcome(1, { times })).toMatchObject({ threw: { name: ErrorNames.NonRetryable } });
    }
    expect(outcome(5, { times: 1, errorName: 7 })).toEqual({
      threw: { name: ErrorNames.NonRetryable, message: "params.errorName must be a string" },
    });
  });
});
