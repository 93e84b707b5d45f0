import { describe, expect, test } from "bun:test";
import { definitionOf } from "../../test/helpers/setup.ts";
import { parseDefinition } from "./definition.ts";
import { dependentsOf, readyTasks, rootsOf, taskLayers, terminalTasks } from "./graph.ts";
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

describe("taskLayers: longest-path layering", () => {
  const t = (id: string, ...dependsOn: string[]) => ({ id, dependsOn });

  test("a task sits one layer after its deepest dependency; order inside a layer is the given one", () => {
    // a → b → d, a → c → d, and e depends on a and d: e goes after d, not beside b.
    expect(taskLayers([t("a"), t("b", "a"), t("c", "a"), t("d", "b", "c"), t("e", "a", "d")])).toEqual([["a"], ["b", "c"], ["d"], ["e"]]);
  });

  test("independent roots share layer 0; a dependency listed after its dependent still comes first", () => {
    expect(taskLayers([t("late", "x"), t("x"), t("y")])).toEqual([["x", "y"], ["late"]]);
  });

  test("every edge points to a later layer", () => {
    const tasks = [t("a"), t("b", "a"), t("c", "b"), t("d", "a", "c"), t("e"), t("f", "e", "b")];
    const layerOf = new Map(taskLayers(tasks).flatMap((ids, i) => ids.map((id) => [id, i] as const)));
    for (const task of tasks) for (const dep of task.dependsOn) expect(layerOf.get(dep)!).toBeLessThan(layerOf.get(task.id)!);
    expect([...layerOf.keys()].sort()).toEqual(["a", "b", "c", "d", "e", "f"]);
  });

  test("no tasks, no layers; unknown dependencies are ignored", () => {
    expect(taskLayers([])).toEqual([]);
    expect(taskLayers([t("a", "ghost")])).toEqual([["a"]]);
  });
});
