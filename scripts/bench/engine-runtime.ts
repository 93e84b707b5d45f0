/**
 * `engine-1task` on whichever runtime runs this file, Bun or Deno (issue 19): 20,000
 * single-task `noop` executions submitted at once through `Engine.submit` in process, on a
 * fresh database in a temporary folder (bun:sqlite under Bun, node:sqlite under Deno), with
 * the metrics `baton serve` keeps. Prints one JSON line: {runtime, executionsPerSec}. Only
 * `node:*` modules and Baton's own: the `deno-1task` workload runs it under both, alternating.
 *
 *   bun scripts/bench/engine-runtime.ts [LIMIT=10] [EXECUTIONS=20000] [normal|full]
 *   deno run --config deno.json --allow-read --allow-write --allow-env --allow-sys=uid,statfs scripts/bench/engine-runtime.ts 10
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { EngineMetrics } from "../../src/domain/metrics.ts";
import { Engine } from "../../src/engine/engine.ts";
import { PrometheusMetrics } from "../../src/platform/metrics.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { builtinFunctions } from "../../src/tasks/registry.ts";

/**
 * Starts an engine with the built-in functions on `store`, registers `definition`, calls
 * `ready`, submits `n` executions of it at once and waits until every one has settled. Returns
 * the seconds from the first submit; the engine is stopped. `statements.ts` uses it too.
 */
export async function burst(
  store: SqliteStore,
  definition: { id: string; tasks: unknown[] },
  options: { limit: number; n: number; metrics?: EngineMetrics; ready?: () => void },
): Promise<number> {
  const { limit, n, metrics, ready } = options;
  let settled = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const engine = new Engine({
    store,
    functions: builtinFunctions(),
    maxConcurrentJobs: limit,
    ...(metrics ? { metrics } : {}),
    onSettled: () => ++settled === n && allDone(),
  });
  await engine.start();
  await engine.catalog.register(definition);
  ready?.();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => engine.submit(definition.id, {})));
  await done;
  const seconds = (performance.now() - t0) / 1000;
  await engine.stop(1000);
  return seconds;
}

if (import.meta.main) {
  const [limitArg, nArg, syncArg = "normal"] = process.argv.slice(2);
  const [limit = 10, n = 20_000] = [limitArg, nArg].map((a) => (a === undefined ? undefined : Number(a)));
  if (![limit, n].every((v) => Number.isInteger(v) && v > 0) || (syncArg !== "normal" && syncArg !== "full")) {
    process.stderr.write("usage: engine-runtime.ts [LIMIT] [EXECUTIONS] [normal|full] (positive integers)\n");
    process.exit(2);
  }
  const dir = mkdtempSync(join(tmpdir(), "baton-engine-runtime-"));
  try {
    const store = SqliteStore.open({ path: join(dir, "baton.db"), sync: syncArg });
    const definition = { id: "one", tasks: [{ id: "a", functionName: "noop" }] };
    const seconds = await burst(store, definition, { limit, n, metrics: new PrometheusMetrics() });
    store.close();
    const runtime = "Deno" in globalThis ? "deno" : "bun";
    process.stdout.write(`${JSON.stringify({ runtime, executionsPerSec: n / seconds })}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
