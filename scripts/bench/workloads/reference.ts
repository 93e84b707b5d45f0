/**
 * rest-reference (issue 18): Baton over REST against three references on the same machine,
 * with the same load client (`load.ts`) and the same single-task no-op job: the naive
 * reference (`reference/naive.ts`: Hono, valibot, bun:sqlite, one transaction each for insert,
 * claim and complete, a semaphore of Baton's limit), the raw `Bun.serve` ceiling and the
 * Hono + valibot ceiling (both answer 202 and do no work). Each run is one round on fresh
 * servers: Baton, reference, raw, framework, then the reverse (the reverse first in even
 * rounds), each side getting half its requests in each pass so that a machine whose speed
 * drifts weighs on all four alike. Completed/s for Baton and the reference (from the first
 * POST until every accepted job completed), accepted/s for the ceilings, and Baton's ratio to
 * each per round; the runner prints their medians. No target is asserted yet.
 */
import { join } from "node:path";
import { log, round, startServer, tempDir, waitUntil } from "../common.ts";
import { type ReferenceServer, startReference } from "../reference/start.ts";
import { executedJobs, jobsDir, load } from "./rest.ts";
import type { Sizes, Sync, Variant } from "./types.ts";

type SideName = "baton" | "reference" | "raw" | "framework";

interface Side {
  name: SideName;
  url: string;
  /** Whether jobs complete there (Baton, the reference), so completions are waited for. */
  works: boolean;
  done: number;
  seconds: number;
  p99Ms: number[];
}

async function pass(side: Side, n: number, connections: number): Promise<void> {
  const before = side.works ? await executedJobs(side.url) : 0;
  const t0 = performance.now();
  const r = await load(`${side.url}/jobs/one/execute`, n, connections);
  if (r.failed > 0) throw new Error(`${side.name}: ${r.failed} of ${n} requests failed`);
  if (side.works)
    await waitUntil(`${side.name} to complete`, async () => (await executedJobs(side.url)) - before >= r.accepted, 600_000, 10);
  side.seconds += (performance.now() - t0) / 1000;
  side.done += r.accepted;
  side.p99Ms.push(r.p99Ms);
}

export function restReference(limit: number, connections: number, sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  let rounds = 0;
  return {
    workload: "rest-reference",
    params: { limit, connections, executions: n },
    async run(sync: Sync) {
      rounds++;
      const baton = await startServer({ db: join(tempDir(), "baton.db"), jobs: jobsDir(), sync, limit });
      const refs: ReferenceServer[] = [];
      try {
        refs.push(await startReference("naive", [join(tempDir(), "reference.db"), String(limit), sync]));
        refs.push(await startReference("raw"));
        refs.push(await startReference("framework"));
        const side = (name: SideName, url: string, works: boolean): Side => ({ name, url, works, done: 0, seconds: 0, p99Ms: [] });
        const sides = [side("baton", baton.url, true), side("reference", refs[0]!.url, true), side("raw", refs[1]!.url, false)];
        sides.push(side("framework", refs[2]!.url, false));
        const forward = rounds % 2 === 1 ? sides : [...sides].reverse();
        for (const s of [...forward, ...[...forward].reverse()]) await pass(s, n / 2, connections);
        const [b, ref, raw, fw] = sides.map((s) => s.done / s.seconds) as [number, number, number, number];
        const metrics = {
          batonCompletedPerSec: b,
          referenceCompletedPerSec: ref,
          rawAcceptedPerSec: raw,
          frameworkAcceptedPerSec: fw,
          batonToReference: b / ref,
          batonToFramework: b / fw,
          batonShareOfRaw: b / raw,
          batonPostP99Ms: Math.max(...sides[0]!.p99Ms),
          referencePostP99Ms: Math.max(...sides[1]!.p99Ms),
        };
        const order = forward.map((s) => s.name).join(", ");
        const shown = Object.entries(metrics).map(([k, v]) => `${k} ${round(v)}`);
        log(`  round ${rounds} (${order}, then reversed): ${shown.join(", ")}`);
        return metrics;
      } finally {
        await Promise.all([baton.stop(), ...refs.map((r) => r.stop())]);
      }
    },
    targets: () => [],
    perRun: ["batonToReference", "batonToFramework", "batonShareOfRaw"],
  };
}
