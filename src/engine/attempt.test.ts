import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import { deferred } from "../../test/helpers/setup.ts";
import { ErrorNames, NonRetryableError, ShutdownError, TaskTimeoutError } from "../domain/errors.ts";
import type { TaskContext, TaskFunction } from "../domain/function.ts";
import { type AttemptOutcome, MAX_OUTPUT_BYTES, runAttempt, toOutput } from "./attempt.ts";

const context = (signal: AbortSignal, overrides: Partial<TaskContext> = {}): TaskContext => ({
  executionId: "e1",
  taskId: "t1",
  attempt: 1,
  input: {},
  params: {},
  results: {},
  signal,
  log: () => {},
  ...overrides,
});

/** Starts an attempt and lets the test look at its outcome before and after moving the clock. */
function start(fn: TaskFunction, timeoutSeconds: number | null, clock = new FakeClock()) {
  const controller = new AbortController();
  let outcome: AttemptOutcome | undefined;
  const promise = runAttempt(fn, context(controller.signal), controller, timeoutSeconds, clock).then((o) => (outcome = o));
  return { controller, clock, promise, outcome: () => outcome };
}

describe("toOutput", () => {
  test("undefined and null are null", () => {
    expect(toOutput(undefined)).toEqual({ kind: "ok", output: null });
    expect(toOutput(null)).toEqual({ kind: "ok", output: null });
  });

  test("JSON values pass through as their JSON form", () => {
    expect(toOutput({ a: [1, "x", true] })).toEqual({ kind: "ok", output: { a: [1, "x", true] } });
    expect(toOutput(0)).toEqual({ kind: "ok", output: 0 });
    expect(toOutput("")).toEqual({ kind: "ok", output: "" });
    expect(toOutput({ at: new Date(0), gone: undefined })).toEqual({ kind: "ok", output: { at: "1970-01-01T00:00:00.000Z" } });
    expect(toOutput(() => 1)).toEqual({ kind: "ok", output: null });
  });

  test("exactly the limit (4 MiB) of JSON is allowed; one byte more is States.DataLimitExceeded", () => {
    const atLimit = "x".repeat(MAX_OUTPUT_BYTES - 2); // plus the two quotes
    expect(toOutput(atLimit)).toEqual({ kind: "ok", output: atLimit });
    const over = toOutput("x".repeat(MAX_OUTPUT_BYTES - 1));
    expect(over.kind).toBe("error");
    expect(over.kind === "error" && over.error.name).toBe(ErrorNames.DataLimitExceeded);
  });

  test("the limit counts UTF-8 bytes, not characters", () => {
    // Fewer characters than the limit, more bytes: 2 bytes each in UTF-8.
    const twoByteChars = "é".repeat(MAX_OUTPUT_BYTES / 2 + 10);
    const out = toOutput({ s: twoByteChars });
    expect(out.kind === "error" && out.error.name).toBe(ErrorNames.DataLimitExceeded);
  });

  test("a circular or BigInt value is States.Runtime", () => {
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const out = toOutput(circular);
    expect(out.kind === "error" && out.error.name).toBe(ErrorNames.Runtime);
    expect(out.kind === "error" && out.error.message).toStartWith("the function's return value is not JSON");
    const big = toOutput({ n: 10n });
    expect(big.kind === "error" && big.error.name).toBe(ErrorNames.Runtime);
  });
});

describe("runAttempt", () => {
  test("a returned value is the output; the context reaches the function", async () => {
    let seen: TaskContext | undefined;
    const a = start((ctx) => {
      seen = ctx;
      return { ok: true };
    }, null);
    await a.promise;
    expect(a.outcome()).toEqual({ kind: "ok", output: { ok: true } });
    expect(seen).toMatchObject({ executionId: "e1", taskId: "t1", attempt: 1 });
    expect(seen!.signal).toBe(a.controller.signal);
  });

  test("a throw (sync or async) is an error with the thrown name", async () => {
    const sync = start(() => {
      throw new NonRetryableError("no");
    }, null);
    await sync.promise;
    expect(sync.outcome()).toEqual({ kind: "error", error: { name: ErrorNames.NonRetryable, message: "no" } });

    const rejected = start(() => Promise.reject("just a string"), null);
    await rejected.promise;
    expect(rejected.outcome()).toEqual({ kind: "error", error: { name: "Error", message: "just a string" } });
  });

  test("an output over the limit fails the attempt", async () => {
    const a = start(() => "x".repeat(MAX_OUTPUT_BYTES), null);
    await a.promise;
    expect(a.outcome()).toMatchObject({ kind: "error", error: { name: ErrorNames.DataLimitExceeded } });
  });

  test("timeoutSeconds fails the attempt with States.Timeout even if the function ignores its signal", async () => {
    const never = deferred<unknown>();
    const a = start(() => never.promise, 2.5);
    await a.clock.advance(2499);
    expect(a.outcome()).toBeUndefined();
    expect(a.controller.signal.aborted).toBe(false);
    await a.clock.advance(1);
    expect(a.outcome()).toEqual({
      kind: "error",
      error: { name: ErrorNames.Timeout, message: "attempt did not finish within timeoutSeconds=2.5" },
    });
    expect(a.controller.signal.aborted).toBe(true);
    expect(a.controller.signal.reason).toBeInstanceOf(TaskTimeoutError);
    // Finishing late changes nothing.
    never.resolve("late");
    await a.clock.flush();
    expect(a.outcome()).toMatchObject({ kind: "error" });
  });

  test("finishing in time cancels the timeout timer", async () => {
    const clock = new FakeClock();
    const a = start(() => "fast", 10, clock);
    await a.promise;
    expect(a.outcome()).toEqual({ kind: "ok", output: "fast" });
    expect(clock.pending).toBe(0);
    expect(a.controller.signal.aborted).toBe(false);
  });

  test("no timeout: no timer is set", async () => {
    const clock = new FakeClock();
    const never = deferred<unknown>();
    const a = start(() => never.promise, null, clock);
    await clock.flush();
    expect(clock.pending).toBe(0);
    expect(a.outcome()).toBeUndefined();
    a.controller.abort(new ShutdownError());
    await a.promise;
  });

  test("an abort with ShutdownError interrupts, even if the function ignores its signal", async () => {
    const never = deferred<unknown>();
    const a = start(() => never.promise, 60);
    await a.clock.flush();
    a.controller.abort(new ShutdownError());
    await a.promise;
    expect(a.outcome()).toEqual({ kind: "interrupted" });
    expect(a.clock.pending).toBe(0);
  });

  test("a function that returns early on abort is still interrupted, not completed", async () => {
    const a = start(
      (ctx) =>
        new Promise((resolve) => {
          ctx.signal.addEventListener("abort", () => resolve("returned early"));
        }),
      null,
    );
    await a.clock.flush();
    a.controller.abort(new ShutdownError());
    await a.promise;
    expect(a.outcome()).toEqual({ kind: "interrupted" });
  });

  test("a signal aborted before the attempt starts interrupts it without calling the function", async () => {
    const controller = new AbortController();
    controller.abort(new ShutdownError());
    let called = false;
    const outcome = await runAttempt(
      () => {
        called = true;
        return "ran anyway";
      },
      context(controller.signal),
      controller,
      null,
      new FakeClock(),
    );
    expect(outcome).toEqual({ kind: "interrupted" });
    expect(called).toBe(false);
  });

  test("any other abort reason is an error with that reason's name", async () => {
    const never = deferred<unknown>();
    const a = start(() => never.promise, null);
    const reason = new Error("cancelled by someone");
    reason.name = "Custom.Abort";
    a.controller.abort(reason);
    await a.promise;
    expect(a.outcome()).toEqual({ kind: "error", error: { name: "Custom.Abort", message: "cancelled by someone" } });
  });
});
