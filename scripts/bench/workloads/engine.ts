import { join } from "node:path";
import { Engine } from "../../../src/engine/engine.ts";
import { PrometheusMetrics } from "../../../src/platform/metrics.ts";
import { SqliteStore } from "../../../src/store/sqlite/store.ts";
import { builtinFunctions } from "../../../src/tasks/registry.ts";
import { ONE_TASK, percentile, spread, tempDir } from "../common.ts";
import { perTransactionLoop } from "../reference/loop.ts";
import type { Sizes, Sync, Variant } from "./types.ts";

interface EngineRun {
  executions: number;
  seconds: number;
  latencies: number[];
}

/** Submits `n` executions of `definition` through `engine.submit`, all at once or paced, and waits for every one to settle. */
async function engineRun(
  sync: Sync,
  limit: number,
  definition: Record<string, unknown>,
  n: number,
  ratePerSec = 0,
  input: (i: number) => Record<string, unknown> = () => ({}),
): Promise<EngineRun> {
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
    // As `baton serve` runs it: the engine's throughput includes recording its metrics.
    metrics: new PrometheusMetrics(),
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
  let submitted = 0;
  const submit = (t: number) =>
    engine.submit(String(definition.id), input(submitted++)).then((e) => {
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

export function engine1Task(limit: number, sizes: Sizes): Variant {
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

export function engine1TaskPaced(limit: number, sizes: Sizes): Variant {
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

/**
 * Five-task sequences through the engine, and in the same round (Baton first in odd rounds,
 * the loop first in even ones) the in-process per-transaction loop of `reference/loop.ts` on
 * the same sync: `toLoop` is Baton's tasks/s over the loop's (issue 18: at least 4x).
 */
export function engine5Task(limit: number, sizes: Sizes): Variant {
  const n = sizes.quick ? 400 : 4_000;
  let rounds = 0;
  return {
    workload: "engine-5task",
    params: { limit, executions: n },
    async run(sync) {
      rounds++;
      const loop = () => perTransactionLoop(tempDir(), sync, 5, n / 4);
      const before = rounds % 2 === 0 ? await loop() : null;
      const r = await engineRun(sync, limit, sequence("five", 5), n);
      const l = before ?? (await loop());
      const tasksPerSec = (r.executions * 5) / r.seconds;
      const loopTasksPerSec = (l.executions * 5) / l.seconds;
      return {
        tasksPerSec,
        executionsPerSec: r.executions / r.seconds,
        p99Ms: percentile(r.latencies, 99),
        loopTasksPerSec,
        toLoop: tasksPerSec / loopTasksPerSec,
      };
    },
    targets: (sync) => [...(sync === "normal" ? [{ metric: "tasksPerSec", min: 40_000 }] : []), { metric: "toLoop", min: 4 }],
  };
}

/**
 * Admission with 10,000 distinct concurrency keys waiting, against plain admission of the same
 * single-task definition without limits, alternating in one run: the ratio of the medians.
 */
export function engineKeys(sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 10_000;
  const rounds = sizes.quick ? 1 : 3;
  const keyed = { ...ONE_TASK, id: "keyed", concurrency: { key: "{{input.customer}}", limit: 1 } };
  return {
    workload: "engine-keys",
    params: { limit: 10, executions: n, keys: n, rounds },
    async run(sync) {
      const plain: number[] = [];
      const withKeys: number[] = [];
      for (let round = 0; round < rounds; round++) {
        const p = await engineRun(sync, 10, ONE_TASK, n);
        plain.push(p.executions / p.seconds);
        const k = await engineRun(sync, 10, keyed, n, 0, (i) => ({ customer: `customer-${i}` }));
        withKeys.push(k.executions / k.seconds);
      }
      const plainPerSec = spread(plain).median;
      const keyedPerSec = spread(withKeys).median;
      return { plainPerSec, keyedPerSec, keyedRatio: keyedPerSec / plainPerSec };
    },
    targets: () => [{ metric: "keyedRatio", min: 0.8 }],
  };
}

// ---- the compiled binary over HTTP ----
