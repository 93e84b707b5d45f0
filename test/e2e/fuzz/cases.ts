/**
 * The API fuzz test's generator: each case is one hostile request to one route, invalid for a
 * reason the case names (its `fault`), with the statuses that reason allows. A request that
 * could be valid is never generated: every value comes from a pool that says why it is bad, and
 * everything else in the request is valid, so the answer is decided by the fault.
 *
 * Baton checks a request in a fixed order — body size (413), body, query, header (400), then
 * what the path names (404, 409) — and a case with several faults allows each of their statuses.
 */
import { readDefinition, registerDefinition } from "./definitions.ts";
import { cancel, execute, list, readExecution, redrive, rerun } from "./jobs.ts";
import { ALLOWED, type FuzzCase, type FuzzWorld, type Route } from "./model.ts";
import { rawBytes, unknownPath, wrongMethod } from "./paths.ts";
import { schedules } from "./schedules.ts";
import type { Gen } from "./values.ts";
import { leaseCall, poll, report } from "./workers.ts";

export { type FuzzCase, type FuzzRequest, type FuzzWorld, IMPOSSIBLE_RUN_AT, ROUTES } from "./model.ts";

type Family = (g: Gen, w: FuzzWorld) => FuzzCase;

const FAMILIES: Family[] = [
  registerDefinition,
  registerDefinition,
  readDefinition,
  execute,
  execute,
  (g) => readExecution(g, "state"),
  (g) => readExecution(g, "events"),
  cancel,
  redrive,
  rerun,
  list,
  poll,
  leaseCall,
  report,
  schedules,
  schedules,
  schedules,
  unknownPath,
  rawBytes,
  ...(Object.keys(ALLOWED) as Exclude<Route, "unknown path">[]).map(
    (route): Family =>
      (g, w) =>
        wrongMethod(g, w, route),
  ),
];

/**
 * The i-th case of a run: the first ones visit every family once (so every route and a wrong
 * method on each are covered whatever the seed), then families are drawn at random.
 */
export function fuzzCase(g: Gen, w: FuzzWorld, i: number): FuzzCase {
  const family = i < FAMILIES.length ? FAMILIES[i]! : g.pick(FAMILIES);
  return family(g, w);
}
