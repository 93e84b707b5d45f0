/**
 * The task graph of a definition, read together with the tasks' states: what starts an
 * execution, what is ready to run, what a failure skips, what makes the output, and the
 * layers the dashboard draws it in.
 */
import type { JobDefinition, TaskSpec } from "./definition.ts";
import type { TaskStatus } from "./states.ts";

/** What the graph reads of a task's state. */
interface TaskLike {
  taskId: string;
  status: TaskStatus;
}

const specCache = new WeakMap<JobDefinition, ReadonlyMap<string, TaskSpec>>();

/** The definition's tasks by id (built once per definition). */
export function specsOf(def: JobDefinition): ReadonlyMap<string, TaskSpec> {
  let specs = specCache.get(def);
  if (!specs) {
    specs = new Map(def.tasks.map((t) => [t.id, t]));
    specCache.set(def, specs);
  }
  return specs;
}

/** The tasks without dependencies: what an admission starts. */
export const rootsOf = (def: JobDefinition): string[] => def.tasks.filter((t) => t.dependsOn.length === 0).map((t) => t.id);

/** A dependency lets its dependents run once COMPLETED, or FAILED with `continueOnFailure`. */
export const satisfies = (spec: TaskSpec | undefined, task: TaskLike | undefined): boolean =>
  task?.status === "COMPLETED" || (task?.status === "FAILED" && spec?.continueOnFailure === true);

/** PENDING tasks whose dependencies are all satisfied, in definition order. */
export function readyTasks(def: JobDefinition, tasks: ReadonlyMap<string, TaskLike>): TaskSpec[] {
  const specs = specsOf(def);
  return def.tasks.filter((t) => tasks.get(t.id)?.status === "PENDING" && t.dependsOn.every((d) => satisfies(specs.get(d), tasks.get(d))));
}

/** Task ids that depend on `taskId`, directly or transitively. */
export function dependentsOf(def: JobDefinition, taskId: string): string[] {
  const out = new Set<string>();
  const frontier = [taskId];
  while (frontier.length > 0) {
    const current = frontier.pop()!;
    for (const t of def.tasks) {
      if (!out.has(t.id) && t.dependsOn.includes(current)) {
        out.add(t.id);
        frontier.push(t.id);
      }
    }
  }
  return [...out];
}

/** Tasks no other task depends on: their outputs make the execution's output. */
export function terminalTasks(def: JobDefinition): TaskSpec[] {
  const depended = new Set(def.tasks.flatMap((t) => t.dependsOn));
  return def.tasks.filter((t) => !depended.has(t.id));
}

/**
 * Longest-path layering, for drawing: a task's layer is one more than the deepest of its
 * dependencies (roots are layer 0), so every edge points to a later layer. Tasks keep their
 * given order inside a layer. Dependencies on ids not in `tasks` are ignored; the graph is
 * acyclic (definitions are checked for cycles when registered).
 */
export function taskLayers(tasks: readonly { id: string; dependsOn: readonly string[] }[]): string[][] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const depth = new Map<string, number>();
  const depthOf = (id: string, seen: Set<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0; // a cycle cannot be registered; never loop on one anyway
    seen.add(id);
    const deps = (byId.get(id)?.dependsOn ?? []).filter((d) => byId.has(d));
    const d = deps.length === 0 ? 0 : 1 + Math.max(...deps.map((dep) => depthOf(dep, seen)));
    depth.set(id, d);
    return d;
  };
  const layers: string[][] = [];
  for (const t of tasks) {
    const d = depthOf(t.id, new Set());
    layers[d] = [...(layers[d] ?? []), t.id];
  }
  return layers;
}
