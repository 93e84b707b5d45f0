/** `parseDefinition` with a function's own params check (`TaskFunction.checkParams`). */
import { expect, test } from "bun:test";
import { parseDefinition } from "./definition.ts";
import type { ValidationError } from "./errors.ts";

const issuesOf = (raw: unknown, check: Parameters<typeof parseDefinition>[2]) => {
  try {
    parseDefinition(raw, () => true, check);
    return [];
  } catch (err) {
    return (err as ValidationError).issues;
  }
};

test("each task's and handler's params go to the check of the function it names; issues get their full path", () => {
  const seen: [string, unknown][] = [];
  const issues = issuesOf(
    {
      id: "j",
      tasks: [
        { id: "a", functionName: "picky", params: { n: 1 } },
        { id: "b", functionName: "easy" },
      ],
      handlers: { onExit: { functionName: "picky", params: { n: 2 } } },
    },
    (name, params) => {
      seen.push([name, params]);
      return name === "picky" ? [{ path: ".n", message: `is ${String(params.n)}, not allowed` }] : [];
    },
  );
  expect(seen).toEqual([
    ["picky", { n: 1 }],
    ["easy", {}],
    ["picky", { n: 2 }],
  ]);
  expect(issues).toEqual([
    { path: "$.tasks[0].params.n", message: "is 1, not allowed" },
    { path: "$.handlers.onExit.params.n", message: "is 2, not allowed" },
  ]);
});

test("without a check (the default, and stored versions read back) params are not looked at", () => {
  expect(
    parseDefinition({ id: "j", tasks: [{ id: "a", functionName: "x", params: { anything: true } }] }, () => true).tasks[0]!.params,
  ).toEqual({
    anything: true,
  });
});
