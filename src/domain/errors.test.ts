import { describe, expect, test } from "bun:test";
import { ErrorNames, NonRetryableError, NotFoundError, ShutdownError, TaskTimeoutError, toErrorInfo, ValidationError } from "./errors.ts";

describe("toErrorInfo", () => {
  test("keeps an Error's name and message", () => {
    const err = new Error("boom");
    err.name = "FlakyUpstream";
    expect(toErrorInfo(err)).toEqual({ name: "FlakyUpstream", message: "boom" });
    expect(toErrorInfo(new TypeError("bad"))).toEqual({ name: "TypeError", message: "bad" });
  });

  test("coerces what is not an Error", () => {
    expect(toErrorInfo("plain string")).toEqual({ name: "Error", message: "plain string" });
    expect(toErrorInfo(42)).toEqual({ name: "Error", message: "42" });
    expect(toErrorInfo({ code: 1 })).toEqual({ name: "Error", message: '{"code":1}' });
    expect(toErrorInfo({ name: "Custom" })).toEqual({ name: "Custom", message: "" });
    expect(toErrorInfo(undefined)).toEqual({ name: "Error", message: "undefined" });
    expect(toErrorInfo(null)).toEqual({ name: "Error", message: "null" });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(toErrorInfo(circular)).toEqual({ name: "Error", message: "[object Object]" });
  });
});

test("error classes carry their stable names and codes", () => {
  expect(new NonRetryableError("x").name).toBe(ErrorNames.NonRetryable);
  expect(new TaskTimeoutError(2.5)).toMatchObject({
    name: ErrorNames.Timeout,
    message: "attempt did not finish within timeoutSeconds=2.5",
  });
  expect(new ShutdownError().name).toBe("Baton.Shutdown");
  expect(new NotFoundError("x")).toMatchObject({ name: "NotFoundError", code: "NOT_FOUND" });
  expect(new ValidationError("x", [{ path: "$", message: "m" }])).toMatchObject({
    code: "VALIDATION",
    issues: [{ path: "$", message: "m" }],
  });
});
