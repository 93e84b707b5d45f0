import { expect, test } from "bun:test";
import { echo } from "./echo.ts";
import { noop } from "./noop.ts";
import { builtinFunctions } from "./registry.ts";

test("echo returns its input, params and results", () => {
  const out = echo({
    executionId: "e",
    taskId: "t",
    attempt: 1,
    input: { order: 7 },
    params: { source: "orders" },
    results: { extract: { rows: 3 } },
    signal: new AbortController().signal,
    log: () => {},
  });
  expect(out).toEqual({ input: { order: 7 }, params: { source: "orders" }, results: { extract: { rows: 3 } } });
});

test("noop returns null", () => {
  expect(noop()).toBeNull();
});

test("the registry holds every built-in, and extra entries add or replace", () => {
  const builtins = builtinFunctions();
  expect([...builtins.keys()].sort()).toEqual(["echo", "fail", "http", "noop", "sleep", "task1Function", "task2Function", "task3Function"]);
  const mine = () => "mine";
  const extended = builtinFunctions({ mine, noop: mine });
  expect(extended.get("mine")).toBe(mine);
  expect(extended.get("noop")).toBe(mine);
  expect(builtins.get("noop")).toBe(noop);
});
