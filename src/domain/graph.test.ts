import { describe, expect, test } from "bun:test";
import { definitionOf } from "../../test/helpers/setup.ts";
import { parseDefinition } from "./definition.ts";
import { dependentsOf, readyTasks, rootsOf, terminalTasks } from "./graph.ts";
import type { TaskStatus } from "./states.ts";

const def = parseDefinition(
  definitionOf(
    "dag",
    { id: "a" },
    { id: "b", dependsOn: ["a"] },
    { id: "c", dependsOn: ["a"], continueOnFailure: true },
    { id: "d", dependsOn: ["b", "c"] },
    { id: "e", dependsOn: [] },
  ),
  () => true,
);

const states = (s: Record<string, TaskStatus>) => new Map(Object.entries(s).map(([taskId, status]) => [taskId, { taskId, status }]));

describe("graph helpers", () => {
  test("dependentsOf is transitive", () => {
    expect(dependentsOf(def, "a").sort()).toEqual(["b", "c", "d"]);
    expect(dependentsOf(def, "b")).toEqual(["d"]);
    expect(dependentsOf(def, "d")).toEqual([]);
    expect(dependentsOf(def, "e")).toEqual([]);
  });

  test("terminalTasks are the tasks nothing depends on", () => {
    expect(terminalTasks(def).map((t) => t.id)).toEqual(["d", "e"]);
  });

  test("rootsOf are the tasks without dependencies", () => {
    expect(rootsOf(def)).toEqual(["a", "e"]);
  });

  test("readyTasks: PENDING tasks whose dependencies completed, or failed with continueOnFailure", () => {
    expect(readyTasks(def, states({ a: "PENDING", b: "PENDING", c: "PENDING", d: "PENDING", e: "PENDING" })).map((t) => t.id)).toEqual([
      "a",
      "e",
    ]);
    expect(readyTasks(def, states({ a: "COMPLETED", b: "RUNNING", c: "PENDING", d: "PENDING", e: "RUNNING" })).map((t) => t.id)).toEqual([
      "c",
    ]);
    expect(readyTasks(def, states({ a: "COMPLETED", b: "COMPLETED", c: "FAILED", d: "PENDING", e: "COMPLETED" })).map((t) => t.id)).toEqual(
      ["d"],
    );
    expect(readyTasks(def, states({ a: "COMPLETED", b: "FAILED", c: "COMPLETED", d: "PENDING", e: "COMPLETED" }))).toEqual([]);
  });
});
