/**
 * rest-reference (issue 18): Baton over REST against three references on the same machine,
 * with the same load client (`load.ts`) and the same single-task no-op job: the naive
 * reference (`reference/naive.ts`: Hono, valibot, bun:sqlite, one transaction each for insert,
 * claim and complete, a semaphore of Baton's limit), the raw `Bun.serve` ceiling and the
 * Hono + valibot ceiling (both answer 202 and do no work). When Baton's limit is under 100, a
 * fifth side is Baton at `--max-concurrent-jobs 100` with the same connections: what the limit
 * itself costs (`limitToUnlimited`). Each run is one round on fresh servers: every side, then
 * the reverse (the reverse first in even rounds), each side getting half its requests in each
 * pass so that a machine whose speed drifts weighs on all alike. Completed/s for Baton and the
 * reference (from the first POST until every accepted job completed), accepted/s for the
 * ceilings, Baton's ratio to each per round, POST latencies side by side, and Baton's slot
 * time beyond its functions' own run time per execution (`slotOverheadUs`, from `/metrics`:
 * `baton_slots_busy_seconds_total` less `baton_task_function_seconds_total`,
 * over the executions completed); the runner prints their medians. Targets: issue 18.
 */
import { join } from "node:path";
import { log, round, startServer, tempDir } from "../common.ts";
import { type ReferenceServer, startReference } from "../reference/start.ts";
import { jobsDir, loadUntilCompleted } from "./rest.ts";
import type { Sizes, Sync, Variant } from "./types.ts";

type SideName = "baton" | "reference" | "raw" | "framework" | "baton100";

/** One server of an alternating comparison, with what its passes measured. */
export interface Side {
  name: string;
  url: string;
  /** Whether jobs complete there (Baton, the reference), so completions are waited for. */
  works: boolean;
  done: number;
  seconds: number;
  p50Ms: number[];
  p99Ms: number[];
  /** Baton only: slot seconds beyond the functions' run time, and executions completed, over its passes. */
  slotExtraSeconds: number;
  completed: number;
}

/** A counter or sum from `/metrics`, summed over its series (0 when absent). */
function metricOf(text: string, name: string): number {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return total;
}

async function slotFigures(url: string): Promise<{ extra: number; completed: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const slot = metricOf(text, "baton_slots_busy_seconds_total");
  const work = metricOf(text, "baton_task_function_seconds_total");
  return { extra: slot - work, completed: metricOf(text, "baton_executions_total") };
}

/** A side with nothing measured yet; `works`: jobs complete there, so completions are waited for. */
export const newSide = (name: string, url: string, works: boolean): Side => ({
  name,
  url,
  works,
  done: 0,
  seconds: 0,
  p50Ms: [],
  p99Ms: [],
  slotExtraSeconds: 0,
  completed: 0,
});

/** Sends `n` requests to `side` and adds what they measured (and, for Baton, its slot figures). */
export async function pass(side: Side, n: number, connections: number): Promise<void> {
  const slots = side.name.startsWith("baton") ? await slotFigures(side.url) : null;
  const r = await loadUntilCompleted(side.url, "one", n, connections, side.works);
  if (r.failed > 0) throw new Error(`${side.name}: ${r.failed} of ${n} requests failed`);
  side.seconds += r.elapsed;
  side.done += r.accepted;
  side.p50Ms.push(r.p50Ms);
  side.p99Ms.push(r.p99Ms);
  if (slots) {
    const after = await slotFigures(side.url);
    side.slotExtraSeconds += after.extra - slots.extra;
    side.completed += after.completed - slots.completed;
  }
}

/**
 * Round `index` (from 1): every side, then the reverse (the reverse first in even rounds), each pass `n / 2`
 * requests, so that a machine whose speed drifts weighs on all alike. Returns the round's
 * printer of its figures, which names the order the sides ran in.
 */
export async function alternate(sides: Side[], index: number, n: number, connections: number) {
  const forward = index % 2 === 1 ? sides : [...sides].reverse();
  for (const s of [...forward, ...[...forward].reverse()]) await pass(s, n / 2, connections);
  const order = forward.map((s) => s.name).join(", ");
  return (metrics: Record<string, number>) =>
    log(
      `  round ${index} (${order}, then reversed): ${Object.entries(metrics)
        .map(([k, v]) => `${k} ${round(v)}`)
        .join(", ")}`,
    );
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

export function restReference(limit: number, connections: number, sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  let rounds = 0;
  return {
    workload: "rest-reference",
    params: { limit, connections, executions: n },
    async run(sync: Sync) {
      rounds++;
      const baton = await startServer({ db: join(tempDir(), "baton.db"), jobs: jobsDir(), sync, limit });
      const unlimited = limit < 100 ? await startServer({ db: join(tempDir(), "baton100.db"), jobs: jobsDir(), sync, limit: 100 }) : null;
      const refs: ReferenceServer[] = [];
      try {
        refs.push(await startReference("naive", [join(tempDir(), "reference.db"), String(limit), sync]));
        refs.push(await startReference("raw"));
        refs.push(await startReference("framework"));
        const side = (name: SideName, url: string, works: boolean) => newSide(name, url, works);
        const sides = [side("baton", baton.url, true), side("reference", refs[0]!.url, true), side("raw", refs[1]!.url, false)];
        sides.push(side("framework", refs[2]!.url, false));
        if (unlimited) sides.push(side("baton100", unlimited.url, true));
        const report = await alternate(sides, rounds, n, connections);
        const [b, ref, raw, fw, b100] = sides.map((s) => s.done / s.seconds) as [number, number, number, number, number?];
        const [batonSide, refSide] = sides as [Side, Side];
        const metrics = {
          batonCompletedPerSec: b,
          referenceCompletedPerSec: ref,
          rawAcceptedPerSec: raw,
          frameworkAcceptedPerSec: fw,
          batonToReference: b / ref,
          batonToFramework: b / fw,
          batonShareOfRaw: b / raw,
          ...(b100 === undefined ? {} : { batonAt100CompletedPerSec: b100, limitToUnlimited: b / b100 }),
          slotOverheadUs: (batonSide.slotExtraSeconds / batonSide.completed) * 1e6,
          batonPostP50Ms: median(batonSide.p50Ms),
          referencePostP50Ms: median(refSide.p50Ms),
          batonPostP99Ms: Math.max(...batonSide.p99Ms),
          referencePostP99Ms: Math.max(...refSide.p99Ms),
        };
        report(metrics);
        return metrics;
      } finally {
        await Promise.all([baton.stop(), unlimited?.stop(), ...refs.map((r) => r.stop())]);
      }
    },
    // Issue 18: 1.5x the reference and 60% of the framework ceiling at both settings; the limit within 10% of limit 100.
    targets: () => [
      { metric: "batonToReference", min: 1.5 },
      { metric: "batonToFramework", min: 0.6 },
      ...(limit < 100 ? [{ metric: "limitToUnlimited", min: 0.9 }] : []),
    ],
    perRun: ["batonShareOfRaw", "slotOverheadUs", "batonPostP50Ms", "referencePostP50Ms", "batonPostP99Ms", "referencePostP99Ms"],
  };
}
