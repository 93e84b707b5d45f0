/**
 * What `/metrics` reads at each scrape besides the engine's counters: the counts per status, the
 * retrying runs, the workers and leases, the database files, the build, and the executions
 * retention deleted. Wired by `serve.ts`.
 */
import { resolve } from "node:path";
import type { Engine } from "../engine/engine.ts";
import { type PrometheusMetrics, RUNTIME } from "../platform/metrics.ts";
import type { SqliteStore } from "../store/sqlite/store.ts";
import type { ServeConfig } from "./config.ts";
import { VERSION } from "./version.ts";

export function watchGauges(metrics: PrometheusMetrics, engine: Engine, store: SqliteStore, config: ServeConfig): void {
  metrics.watch({
    counts: async () => {
      const { queuedCount, running } = await store.systemCounts(0);
      return { queued: queuedCount, running: running.length };
    },
    retrying: () => engine.retrying(),
    workers: () => engine.workers(),
    now: Date.now,
    dbPath: config.db === ":memory:" ? null : resolve(config.db),
    version: VERSION,
    runtime: RUNTIME,
  });
  metrics.counterFrom(
    "baton_retention_deleted_total",
    "Executions deleted by retention (--retention-days, --retention-max-executions).",
    () => engine.retentionDeleted,
  );
}
