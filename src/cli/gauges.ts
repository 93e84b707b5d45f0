/**
 * What `/metrics` reads at each scrape besides the engine's counters: the counts per status, the
 * retrying runs, the workers and leases, the database files, the build, and the executions
 * retention deleted. Wired by `serve.ts`.
 */
import type { Engine } from "../engine/engine.ts";
import { type PrometheusMetrics, RUNTIME } from "../platform/metrics.ts";
import type { SqliteStore } from "../store/sqlite/store.ts";
import { VERSION } from "./version.ts";

/** `build` names this build in `baton_build_info`; `dbPath` is the file whose sizes are reported (null in memory). */
export function watchGauges(
  metrics: PrometheusMetrics,
  engine: Engine,
  store: SqliteStore,
  dbPath: string | null,
  build = { version: VERSION, runtime: RUNTIME },
): void {
  metrics.watch({
    counts: async () => {
      const { queuedCount, running } = await store.systemCounts(0);
      return { queued: queuedCount, running: running.length };
    },
    retrying: () => engine.retrying(),
    workers: () => engine.workers(),
    now: Date.now,
    dbPath,
    ...build,
  });
  metrics.counterFrom(
    "baton_retention_deleted_total",
    "Executions deleted by retention (--retention-days, --retention-max-executions).",
    () => engine.retentionDeleted,
  );
  metrics.counterFrom(
    "baton_slots_busy_seconds_total",
    "Seconds of --max-concurrent-jobs slots held, summed over slots: its rate is the average number of busy slots.",
    () => engine.slotTime().busy,
  );
  metrics.counterFrom(
    "baton_task_function_seconds_total",
    "Seconds task functions ran (each attempt from its call to its outcome), summed: the slot time they used.",
    () => engine.slotTime().functions,
  );
}
