/** Workloads of the database itself: recovery time after a crash, footprint on disk, reads over a large history. */
import { Database } from "bun:sqlite";
import { statSync } from "node:fs";
import { join } from "node:path";
import {
  BINARY,
  createDatabase,
  freshCopy,
  HISTORY_DEFINITIONS,
  historyRow,
  ONE_TASK,
  percentile,
  rssMiB,
  seedExecutions,
  seededOnce,
  startServer,
  tempDir,
  waitUntil,
} from "../common.ts";
import { executedJobs, jobsDir, load } from "./rest.ts";
import type { Sizes, Variant } from "./types.ts";

export function recovery(sizes: Sizes): Variant {
  const queued = sizes.quick ? 1_000 : 10_000;
  const running = sizes.quick ? 100 : 1_000;
  return {
    workload: "recovery",
    params: { queued, running, limit: 10 },
    async run(sync) {
      const dir = tempDir();
      const path = join(dir, "baton.db");
      const seed = createDatabase(path, [ONE_TASK]);
      seedExecutions(seed, running + queued, (i) => ({ status: i < running ? "RUNNING" : "QUEUED", definitionId: "one" }));
      const lastSeq = (seed.query("SELECT MAX(seq) AS s FROM events").get() as { s: number }).s;
      seed.close();
      const reader = new Database(path, { readonly: true });
      const firstTask = reader.query("SELECT MIN(at) AS at FROM events WHERE seq > ?1 AND type IN ('TaskStarted', 'TaskCompleted')");
      const spawnedAt = Date.now();
      const t0 = performance.now();
      const server = await startServer({ db: path, sync, limit: 10, pollMs: 1 });
      try {
        let first = Number.NaN;
        await waitUntil(
          "the first task",
          () => {
            const at = (firstTask.get(lastSeq) as { at: number | null }).at;
            if (at !== null) first = at - spawnedAt;
            return at !== null;
          },
          60_000,
          2,
        );
        await waitUntil("every execution to complete", async () => (await executedJobs(server.url)) >= queued + running, 600_000, 10);
        return { firstTaskMs: first, allDoneMs: performance.now() - t0, serveMs: server.startMs };
      } finally {
        reader.close();
        await server.stop();
      }
    },
    targets: () => [{ metric: "firstTaskMs", max: 200 }],
  };
}

export function footprint(sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  return {
    workload: "footprint",
    params: { executions: n },
    async run(sync) {
      const server = await startServer({ db: join(tempDir(), "baton.db"), jobs: jobsDir(), sync, limit: 100, pollMs: 1 });
      try {
        await Bun.sleep(500);
        const idle = rssMiB(server.proc.pid);
        const r = await load(`${server.url}/jobs/one/execute`, n, 32);
        await waitUntil("every execution to complete", async () => (await executedJobs(server.url)) >= r.accepted, 600_000, 10);
        return {
          binaryMiB: statSync(BINARY).size / 1048576,
          coldStartMs: server.startMs,
          idleRssMiB: idle,
          rssAfterMiB: rssMiB(server.proc.pid),
        };
      } finally {
        await server.stop();
      }
    },
    targets: () => [
      { metric: "coldStartMs", max: 100 },
      { metric: "idleRssMiB", max: 60 },
      { metric: "rssAfterMiB", max: 150 },
    ],
  };
}

export function history(sizes: Sizes): Variant {
  const count = sizes.historyCount;
  const seeded = seededOnce(HISTORY_DEFINITIONS, count, historyRow);
  return {
    workload: "history",
    params: { executions: count, requests: 200 },
    async run(sync) {
      const path = freshCopy(seeded());
      const server = await startServer({ db: path, sync, limit: 10 });
      try {
        const ids = new Database(path, { readonly: true });
        const sample = (ids.query("SELECT id FROM executions WHERE seq % 997 = 0 LIMIT 200").all() as { id: string }[]).map((r) => r.id);
        ids.close();
        const time = async (request: (i: number) => Promise<Response>) => {
          const out: number[] = [];
          for (let i = 0; i < 200; i++) {
            const t = performance.now();
            const res = await request(i);
            await res.arrayBuffer();
            if (res.status >= 300) throw new Error(`history request answered ${res.status}`);
            out.push(performance.now() - t);
          }
          return out.sort((a, b) => a - b);
        };
        const get = (path: string) => fetch(`${server.url}${path}`);
        const byStatus = await time(() => get("/jobs?status=FAILED&limit=50"));
        const byDefinition = await time(() => get("/jobs?definitionId=beta&limit=50"));
        const state = await time((i) => get(`/jobs/${sample[i % sample.length]}/state`));
        const system = await time(() => get("/system/state"));
        const admit = await time(() =>
          fetch(`${server.url}/jobs/alpha/execute`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } }),
        );
        return {
          listByStatusP99Ms: percentile(byStatus, 99),
          listByDefinitionP99Ms: percentile(byDefinition, 99),
          stateP99Ms: percentile(state, 99),
          systemStateP99Ms: percentile(system, 99),
          admissionP99Ms: percentile(admit, 99),
          admissionP50Ms: percentile(admit, 50),
        };
      } finally {
        await server.stop();
      }
    },
    targets: () =>
      ["listByStatusP99Ms", "listByDefinitionP99Ms", "stateP99Ms", "systemStateP99Ms", "admissionP99Ms"].map((metric) => ({
        metric,
        max: 10,
      })),
  };
}
