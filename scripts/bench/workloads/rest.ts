/** Workloads over HTTP against the compiled binary, driven by a separate load client. */
import { Database } from "bun:sqlite";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, ONE_TASK, percentile, ROOT, startServer, tempDir, waitUntil } from "../common.ts";
import type { Sizes, Variant } from "./types.ts";

interface LoadResult {
  accepted: number;
  failed: number;
  seconds: number;
  acceptedPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

export async function load(url: string, n: number, connections: number, rate = 0): Promise<LoadResult> {
  const proc = Bun.spawn([BUN, join(ROOT, "scripts", "bench", "load.ts"), url, String(n), String(connections), String(rate)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  return JSON.parse(text) as LoadResult;
}

export function jobsDir(): string {
  const dir = tempDir();
  writeFileSync(join(dir, "one.json"), JSON.stringify(ONE_TASK));
  return dir;
}

export async function executedJobs(url: string): Promise<number> {
  return ((await (await fetch(`${url}/system/state`)).json()) as { executedJobs: number }).executedJobs;
}

/**
 * POSTs `n` executions of `definitionId` through `load` and, unless the server only answers
 * (`completes` false: the ceilings), waits until as many more have completed there. Returns the
 * load's result and `elapsed`: seconds from the first POST to the last completion.
 */
export async function loadUntilCompleted(
  url: string,
  definitionId: string,
  n: number,
  connections: number,
  completes = true,
): Promise<LoadResult & { elapsed: number }> {
  const before = completes ? await executedJobs(url) : 0;
  const t0 = performance.now();
  const r = await load(`${url}/jobs/${definitionId}/execute`, n, connections);
  if (completes) await waitUntil("every execution to complete", async () => (await executedJobs(url)) - before >= r.accepted, 600_000, 10);
  return { ...r, elapsed: (performance.now() - t0) / 1000 };
}

/** Submit-to-complete times of every execution, from the database (read-only). */
function completionLatencies(dbPath: string): number[] {
  const db = new Database(dbPath, { readonly: true });
  const rows = db.query("SELECT end_time - created_at AS ms FROM executions WHERE status = 'COMPLETED' ORDER BY ms").all() as {
    ms: number;
  }[];
  db.close();
  return rows.map((r) => r.ms);
}

export function rest1Task(sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  const connections = 32;
  return {
    workload: "rest-1task",
    params: { limit: 100, executions: n, connections },
    async run(sync) {
      const dir = tempDir();
      const db = join(dir, "baton.db");
      const server = await startServer({ db, jobs: jobsDir(), sync, limit: 100 });
      try {
        const t0 = performance.now();
        const r = await load(`${server.url}/jobs/one/execute`, n, connections);
        await waitUntil("every execution to complete", async () => (await executedJobs(server.url)) >= r.accepted, 600_000, 10);
        const seconds = (performance.now() - t0) / 1000;
        await server.stop();
        const done = completionLatencies(db);
        return {
          acceptedPerSec: r.acceptedPerSec,
          completedPerSec: r.accepted / seconds,
          postP50Ms: r.p50Ms,
          postP99Ms: r.p99Ms,
          completeP50Ms: percentile(done, 50),
          completeP99Ms: percentile(done, 99),
          failedRequests: r.failed,
        };
      } finally {
        await server.stop();
      }
    },
    targets: (sync) => (sync === "normal" ? [{ metric: "completedPerSec", min: 12_000 }] : []),
  };
}

export function rest1TaskPaced(sizes: Sizes): Variant {
  const rate = 2_000;
  const n = sizes.quick ? 2_000 : 10_000;
  return {
    workload: "rest-1task-paced",
    params: { limit: 100, rate, connections: 32 },
    async run(sync) {
      const server = await startServer({ db: join(tempDir(), "baton.db"), jobs: jobsDir(), sync, limit: 100 });
      try {
        const r = await load(`${server.url}/jobs/one/execute`, n, 32, rate);
        return { ratePerSec: rate, postP50Ms: r.p50Ms, postP99Ms: r.p99Ms, failedRequests: r.failed };
      } finally {
        await server.stop();
      }
    },
    targets: () => [{ metric: "postP99Ms", max: 10 }],
  };
}
