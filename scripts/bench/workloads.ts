/**
 * The benchmark workloads. Each `run` is one measurement and returns named numbers; the
 * runner repeats it and reports median, min and max. Targets are those of the performance
 * issue, per sync level.
 */
import { Database } from "bun:sqlite";
import { closeSync, copyFileSync, fsyncSync, openSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Engine } from "../../src/engine/engine.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { builtinFunctions } from "../../src/tasks/registry.ts";
import {
  BINARY,
  BUN,
  createDatabase,
  log,
  ONE_TASK,
  percentile,
  ROOT,
  rssMiB,
  seedExecutions,
  startServer,
  tempDir,
  waitUntil,
} from "./common.ts";

export type Sync = "normal" | "full";
export type Metrics = Record<string, number>;

/** A target on one metric: at least (`min`) or below (`max`). */
export interface Target {
  metric: string;
  min?: number;
  max?: number;
}

export interface Variant {
  workload: string;
  /** What distinguishes this variant (e.g. the concurrency limit). */
  params: Record<string, number | string>;
  run(sync: Sync): Promise<Metrics>;
  targets(sync: Sync): Target[];
}

export interface Sizes {
  quick: boolean;
  historyCount: number;
}

// ---- in-process engine ----

interface EngineRun {
  executions: number;
  seconds: number;
  latencies: number[];
}

/** Submits `n` executions of `definition` through `engine.submit`, all at once or paced, and waits for every one to settle. */
async function engineRun(sync: Sync, limit: number, definition: Record<string, unknown>, n: number, ratePerSec = 0): Promise<EngineRun> {
  const dir = tempDir();
  const store = SqliteStore.open({ path: join(dir, "baton.db"), sync });
  const submittedAt = new Map<string, number>();
  const latencies: number[] = [];
  let settled = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const early = new Map<string, number>();
  const engine = new Engine({
    store,
    functions: builtinFunctions(),
    maxConcurrentJobs: limit,
    onSettled: (id) => {
      const at = performance.now();
      const t = submittedAt.get(id);
      if (t === undefined) early.set(id, at);
      else latencies.push(at - t);
      if (++settled === n) allDone();
    },
  });
  await engine.start();
  await engine.catalog.register(definition);
  const submit = (t: number) =>
    engine.submit(String(definition.id), {}).then((e) => {
      const at = early.get(e.id);
      if (at === undefined) submittedAt.set(e.id, t);
      else latencies.push(at - t);
    });
  const t0 = performance.now();
  const pending: Promise<void>[] = [];
  if (ratePerSec <= 0) {
    for (let i = 0; i < n; i++) pending.push(submit(performance.now()));
  } else {
    let sent = 0;
    while (sent < n) {
      const due = Math.min(n, Math.floor(((performance.now() - t0) * ratePerSec) / 1000) + 1);
      for (; sent < due; sent++) pending.push(submit(performance.now()));
      await Bun.sleep(1);
    }
  }
  await Promise.all(pending);
  await done;
  const seconds = (performance.now() - t0) / 1000;
  await engine.stop(1000);
  store.close();
  latencies.sort((a, b) => a - b);
  return { executions: n, seconds, latencies };
}

const sequence = (id: string, tasks: number) => ({
  id,
  tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i + 1}`, functionName: "noop" })),
});

function engine1Task(limit: number, sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  return {
    workload: "engine-1task",
    params: { limit, executions: n },
    async run(sync) {
      const r = await engineRun(sync, limit, ONE_TASK, n);
      return { executionsPerSec: r.executions / r.seconds, p50Ms: percentile(r.latencies, 50), p99Ms: percentile(r.latencies, 99) };
    },
    targets: (sync) => [{ metric: "executionsPerSec", min: sync === "normal" ? 15_000 : 5_000 }],
  };
}

function engine1TaskPaced(limit: number, sizes: Sizes): Variant {
  return {
    workload: "engine-1task-paced",
    params: { limit, rate: "half the target" },
    async run(sync) {
      const rate = sync === "normal" ? 7_500 : 2_500;
      const n = sizes.quick ? rate : rate * 2; // two seconds of load
      const r = await engineRun(sync, limit, ONE_TASK, n, rate);
      return { ratePerSec: rate, p50Ms: percentile(r.latencies, 50), p99Ms: percentile(r.latencies, 99) };
    },
    targets: () => [{ metric: "p99Ms", max: 25 }],
  };
}

function engine5Task(limit: number, sizes: Sizes): Variant {
  const n = sizes.quick ? 400 : 4_000;
  return {
    workload: "engine-5task",
    params: { limit, executions: n },
    async run(sync) {
      const r = await engineRun(sync, limit, sequence("five", 5), n);
      return {
        tasksPerSec: (r.executions * 5) / r.seconds,
        executionsPerSec: r.executions / r.seconds,
        p99Ms: percentile(r.latencies, 99),
      };
    },
    targets: (sync) => (sync === "normal" ? [{ metric: "tasksPerSec", min: 40_000 }] : []),
  };
}

// ---- the compiled binary over HTTP ----

interface LoadResult {
  accepted: number;
  failed: number;
  seconds: number;
  acceptedPerSec: number;
  p50Ms: number;
  p99Ms: number;
}

async function load(url: string, n: number, connections: number, rate = 0): Promise<LoadResult> {
  const proc = Bun.spawn([BUN, join(ROOT, "scripts", "bench", "load.ts"), url, String(n), String(connections), String(rate)], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error(`the load generator exited with ${code}`);
  return JSON.parse(text) as LoadResult;
}

function jobsDir(): string {
  const dir = tempDir();
  writeFileSync(join(dir, "one.json"), JSON.stringify(ONE_TASK));
  return dir;
}

async function executedJobs(url: string): Promise<number> {
  return ((await (await fetch(`${url}/system/state`)).json()) as { executedJobs: number }).executedJobs;
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

function rest1Task(sizes: Sizes): Variant {
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

function rest1TaskPaced(sizes: Sizes): Variant {
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

function recovery(sizes: Sizes): Variant {
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

function footprint(sizes: Sizes): Variant {
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

function history(sizes: Sizes): Variant {
  const count = sizes.historyCount;
  let seeded: string | undefined;
  const DEFS = ["alpha", "beta", "gamma"].map((id) => ({ ...ONE_TASK, id }));
  return {
    workload: "history",
    params: { executions: count, requests: 200 },
    async run(sync) {
      if (!seeded) {
        seeded = join(tempDir(), "seeded.db");
        const t = performance.now();
        log(`  seeding ${count.toLocaleString("en")} executions…`);
        const db = createDatabase(seeded, DEFS);
        seedExecutions(db, count, (i) => ({
          status: i % 20 === 0 ? "FAILED" : i % 20 === 1 ? "CANCELLED" : "COMPLETED",
          definitionId: DEFS[i % 3]!.id,
        }));
        db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        db.close();
        log(`  seeded in ${Math.round((performance.now() - t) / 1000)} s`);
      }
      const dir = tempDir();
      const path = join(dir, "baton.db");
      copyFileSync(seeded, path);
      // The copy is a gigabyte of unwritten page cache: the first checkpoint's fsync would flush
      // all of it and stall the measured commits behind it. A real database is not fresh from a copy.
      const fd = openSync(path, "r");
      fsyncSync(fd);
      closeSync(fd);
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

export const WORKLOADS = ["engine-1task", "engine-5task", "rest-1task", "recovery", "footprint", "history"] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

export function variantsOf(name: WorkloadName, sizes: Sizes): Variant[] {
  switch (name) {
    case "engine-1task":
      return [engine1Task(10, sizes), engine1Task(100, sizes), engine1TaskPaced(10, sizes), engine1TaskPaced(100, sizes)];
    case "engine-5task":
      return [engine5Task(10, sizes), engine5Task(100, sizes)];
    case "rest-1task":
      return [rest1Task(sizes), rest1TaskPaced(sizes)];
    case "recovery":
      return [recovery(sizes)];
    case "footprint":
      return [footprint(sizes)];
    case "history":
      return [history(sizes)];
  }
}
