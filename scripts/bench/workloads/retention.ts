/**
 * The retention workload: a database of 1M executions (by default; `--history-count`), 90 % of
 * them ended past retention. In one run, on one in-process engine and store: a steady
 * admission load alone, then the same load while the retention service cleans (its passes back
 * to back, the worst case: the service itself pauses a second between passes). It reports
 * admission latency (submit to commit) p50/p99 for both, each batch's time through the writer
 * (queue, transaction and commit: an upper bound of how long it holds the writer), each vacuum
 * step's, the clean's total, and the file size before and after. Also what an existing database
 * of that size pays once: the schema upgrade from the version before (schemas 11 to 13), and the backup and
 * restore that give it incremental vacuum.
 */
import { Database } from "bun:sqlite";
import { copyFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { systemClock } from "../../../src/domain/clock.ts";
import { silentLogger } from "../../../src/domain/log.ts";
import type { ExpiryRule } from "../../../src/domain/store.ts";
import { Engine } from "../../../src/engine/engine.ts";
import { RETENTION_BATCH, Retention } from "../../../src/engine/services/retention.ts";
import { backupDatabase, restoreDatabase } from "../../../src/store/sqlite/backup.ts";
import { SqliteStore } from "../../../src/store/sqlite/store.ts";
import { builtinFunctions } from "../../../src/tasks/registry.ts";
import { freshCopy, ONE_TASK, percentile, seededOnce, syncFile, tempDir } from "../common.ts";
import type { Sizes, Sync, Variant } from "./types.ts";

const DAY = 24 * 3600 * 1000;
/** Admissions per second of the steady load. */
const RATE = 1_000;
const MiB = 1024 * 1024;

const sorted = (values: number[]) => [...values].sort((a, b) => a - b);
const sizeOf = (path: string) => statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);

/** Submits at `RATE` per second until `until()` says stop; resolves each submission's latency in ms. */
async function steadyLoad(engine: Engine, until: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const t0 = performance.now();
  let sent = 0;
  while (!until()) {
    const due = Math.floor(((performance.now() - t0) * RATE) / 1000) + 1;
    for (; sent < due; sent++) {
      const t = performance.now();
      pending.push(engine.submit("one", {}).then(() => void latencies.push(performance.now() - t)));
    }
    await Bun.sleep(1);
  }
  await Promise.all(pending);
  return sorted(latencies);
}

/** `batchSize`: executions per batch (the service's default is `RETENTION_BATCH`). */
export function retentionWorkload(sizes: Sizes, batchSize = RETENTION_BATCH): Variant {
  const count = sizes.historyCount;
  const expired = Math.floor(count * 0.9);
  const aloneMs = sizes.quick ? 3_000 : 10_000;
  let cutoff = 0;
  const seeded = seededOnce(
    [ONE_TASK],
    count,
    (i) => ({ status: i % 20 === 0 ? "FAILED" : "COMPLETED", definitionId: "one" }),
    (db) => {
      // Ends are one millisecond apart in seq order: the cutoff is the end of the first one kept.
      cutoff = (db.query("SELECT end_time AS t FROM executions ORDER BY seq LIMIT 1 OFFSET ?1").get(expired) as { t: number }).t;
    },
  );
  return {
    workload: "retention",
    params: { executions: count, expired, ratePerSec: RATE, batchSize },
    async run(sync: Sync) {
      const dir = tempDir();
      const path = freshCopy(seeded(), "baton.db", dir);
      const fileBefore = sizeOf(path);
      // What an existing database pays once: the upgrade from the version before (schemas 11-13), and the
      // backup and restore that give it incremental vacuum (a copy by VACUUM INTO each).
      const old = join(dir, "old.db");
      copyFileSync(seeded(), old);
      const downgrade = new Database(old);
      downgrade.exec(
        "DROP INDEX executions_failed; DROP INDEX idempotency_keys_by_execution; DROP TABLE operations; DELETE FROM schema_migrations WHERE version >= 11",
      );
      downgrade.close();
      syncFile(old);
      let t = performance.now();
      await SqliteStore.open({ path: old }).close();
      const upgradeMs = performance.now() - t;
      t = performance.now();
      await backupDatabase(old, join(dir, "backup.db"));
      const backupMs = performance.now() - t;
      t = performance.now();
      await restoreDatabase(join(dir, "backup.db"), join(dir, "restored.db"), false);
      const restoreMs = performance.now() - t;
      rmSync(old);
      rmSync(join(dir, "backup.db"));
      rmSync(join(dir, "restored.db"));
      const store = SqliteStore.open({ path, sync });
      const batches: number[] = [];
      const vacuumSteps: number[] = [];
      // Each batch and vacuum step timed from the call to its commit.
      const timed: Pick<SqliteStore, "deleteExpired" | "countExpired" | "releaseFreePages"> = {
        deleteExpired: async (rule: ExpiryRule) => {
          const t = performance.now();
          const n = await store.deleteExpired(rule);
          batches.push(performance.now() - t);
          return n;
        },
        countExpired: (rule, max) => store.countExpired(rule, max),
        releaseFreePages: async (pages) => {
          const t = performance.now();
          const left = await store.releaseFreePages(pages);
          if (pages > 0) vacuumSteps.push(performance.now() - t);
          return left;
        },
      };
      const engine = new Engine({ store, functions: builtinFunctions(), maxConcurrentJobs: 100 });
      await engine.start();
      try {
        const aloneUntil = performance.now() + aloneMs;
        const alone = await steadyLoad(engine, () => performance.now() >= aloneUntil);
        // Retention of a day, at a "now" a day after the cutoff: the first 90 % seeded, and only they, are past it.
        const retention = new Retention({
          store: timed,
          clock: systemClock,
          logger: silentLogger,
          retentionMs: DAY,
          maxExecutions: 0,
          batchSize,
        });
        const now = cutoff + DAY;
        let cleaning = true;
        let deleted = 0;
        const t0 = performance.now();
        const clean = (async () => {
          for (;;) {
            const pass = await retention.runOnce(now);
            deleted += pass.deleted;
            if (pass.left === 0) break;
          }
          cleaning = false;
        })();
        const during = await steadyLoad(engine, () => !cleaning);
        await clean;
        const cleanSeconds = (performance.now() - t0) / 1000;
        await engine.stop(5_000);
        const b = sorted(batches);
        const v = sorted(vacuumSteps);
        await store.close();
        if (deleted !== expired) throw new Error(`retention deleted ${deleted} executions, expected ${expired}`);
        return {
          admissionAloneP50Ms: percentile(alone, 50),
          admissionAloneP99Ms: percentile(alone, 99),
          admissionCleaningP50Ms: percentile(during, 50),
          admissionCleaningP99Ms: percentile(during, 99),
          admissionsWhileCleaning: during.length,
          batches: b.length,
          batchMedianMs: percentile(b, 50),
          batchP99Ms: percentile(b, 99),
          batchMaxMs: b[b.length - 1] ?? 0,
          vacuumSteps: v.length,
          vacuumStepMedianMs: percentile(v, 50),
          vacuumStepMaxMs: v[v.length - 1] ?? 0,
          cleanSeconds,
          deletedPerSec: deleted / cleanSeconds,
          fileBeforeMiB: fileBefore / MiB,
          fileAfterMiB: sizeOf(path) / MiB,
          upgradeMs,
          backupMs,
          restoreMs,
        };
      } finally {
        if (!engine.isStopping) await engine.stop(1_000);
      }
    },
    targets: () => [],
  };
}
