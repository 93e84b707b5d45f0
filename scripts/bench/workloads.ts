/**
 * The benchmark workloads. Each `run` is one measurement and returns named numbers; the
 * runner repeats it and reports median, min and max. Targets are those of the performance
 * issue, per sync level.
 */
import { dashboard } from "./workloads/dashboard.ts";
import { denoEngine1Task, denoRest1Task } from "./workloads/deno.ts";
import { engine1Task, engine1TaskPaced, engine5Task, engineKeys } from "./workloads/engine.ts";
import { storageFloor } from "./workloads/floor.ts";
import { restReference } from "./workloads/reference.ts";
import { remote1Task } from "./workloads/remote.ts";
import { rest1Task, rest1TaskPaced } from "./workloads/rest.ts";
import { retentionWorkload } from "./workloads/retention.ts";
import { footprint, history, recovery } from "./workloads/storage.ts";
import type { Sizes, Variant } from "./workloads/types.ts";

export type { Metrics, Sizes, Sync, Target, Variant } from "./workloads/types.ts";

export const WORKLOADS = [
  "engine-1task",
  "engine-5task",
  "engine-keys",
  "rest-1task",
  "remote-1task",
  "recovery",
  "footprint",
  "history",
  "dashboard",
  "deno",
] as const;
/**
 * Run only when named with --workload: each takes minutes (retention: seeding 1M executions, then the clean;
 * rest-reference: about 1.5 min at --sync normal and 2.5 min at full, where the naive reference syncs every transaction;
 * storage-floor: about 1.5 min, an explanation of rest-reference's figures rather than a target).
 */
export const NAMED_ONLY_WORKLOADS = ["retention", "rest-reference", "storage-floor"] as const;
export type WorkloadName = (typeof WORKLOADS)[number] | (typeof NAMED_ONLY_WORKLOADS)[number];

export function variantsOf(name: WorkloadName, sizes: Sizes): Variant[] {
  switch (name) {
    case "engine-1task":
      return [engine1Task(10, sizes), engine1Task(100, sizes), engine1TaskPaced(10, sizes), engine1TaskPaced(100, sizes)];
    case "engine-5task":
      return [engine5Task(10, sizes), engine5Task(100, sizes)];
    case "engine-keys":
      return [engineKeys(sizes)];
    case "rest-1task":
      return [rest1Task(sizes), rest1TaskPaced(sizes)];
    case "remote-1task":
      return [remote1Task(sizes)];
    case "recovery":
      return [recovery(sizes)];
    case "footprint":
      return [footprint(sizes)];
    case "history":
      return [history(sizes)];
    case "retention":
      return [retentionWorkload(sizes), retentionWorkload(sizes, 200)]; // the default batch, and a smaller one to compare
    case "dashboard":
      return [dashboard(sizes)];
    case "rest-reference":
      return [restReference(10, 16, sizes), restReference(100, 32, sizes)];
    case "storage-floor":
      return [storageFloor(10, 16, sizes), storageFloor(100, 32, sizes)];
    case "deno":
      return [denoEngine1Task(sizes), denoRest1Task(sizes)];
  }
}
