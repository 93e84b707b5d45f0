/**
 * storage-floor (issue 18): how much of the framework ceiling the storage alone leaves, measured
 * beside Baton with the same load client and the same single-task no-op job. Sides: Baton and
 * the naive reference at rest-reference's settings (limit 10 with 16 connections, 100 with 32);
 * `reference/floor.ts` doing Baton's own SQL for each execution (its schema,
 * pragmas, statements and background checkpoints; start committed before the 202, then the
 * end) with no engine, on the main thread (`sql`) and on a writer thread (`sqlThread`); the
 * same server with the least SQL that keeps a start and an end durable (`minimal`); and the
 * framework ceiling. Alternating passes as in rest-reference (every side, then the reverse).
 *
 * It bounds what tuning can reach: `sqlToFramework` and `sqlToReference` are the most Baton could
 * reach with its present storage and an engine that cost nothing; `batonToSql` is what the
 * engine, the store's logic and Baton's HTTP layer leave of it; `threadToSql` whether a writer
 * thread would help on this machine. No targets: it explains rest-reference's figures.
 */
import { join } from "node:path";
import { startServer, tempDir } from "../common.ts";
import { type ReferenceServer, startReference } from "../reference/start.ts";
import { alternate, median, newSide, type Side } from "./reference.ts";
import { jobsDir } from "./rest.ts";
import type { Sizes, Sync, Variant } from "./types.ts";

export function storageFloor(limit: number, connections: number, sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  let rounds = 0;
  return {
    workload: "storage-floor",
    params: { limit, connections, executions: n },
    async run(sync: Sync) {
      rounds++;
      const baton = await startServer({ db: join(tempDir(), "baton.db"), jobs: jobsDir(), sync, limit });
      const refs: ReferenceServer[] = [];
      try {
        refs.push(await startReference("naive", [join(tempDir(), "reference.db"), String(limit), sync]));
        for (const mode of ["sql", "sql-thread", "minimal"]) refs.push(await startReference("floor", [mode, join(tempDir(), "floor.db")]));
        refs.push(await startReference("framework"));
        const [reference, sql, thread, minimal, framework] = refs.map((r) => r.url) as [string, string, string, string, string];
        const sides = [
          newSide("baton", baton.url, true),
          newSide("reference", reference, true),
          newSide("sql", sql, true),
          newSide("sqlThread", thread, true),
          newSide("minimal", minimal, true),
          newSide("framework", framework, false),
        ];
        const report = await alternate(sides, rounds, n, connections);
        const [batonSide, , sqlSide, threadSide] = sides as [Side, Side, Side, Side];
        const [b, ref, q, t, m, fw] = sides.map((s) => s.done / s.seconds) as [number, number, number, number, number, number];
        const metrics = {
          batonCompletedPerSec: b,
          sqlCompletedPerSec: q,
          frameworkAcceptedPerSec: fw,
          batonToFramework: b / fw,
          sqlToFramework: q / fw,
          batonToReference: b / ref,
          sqlToReference: q / ref,
          minimalToFramework: m / fw,
          batonToSql: b / q,
          threadToSql: t / q,
          batonPostP50Ms: median(batonSide.p50Ms),
          sqlPostP50Ms: median(sqlSide.p50Ms),
          threadPostP50Ms: median(threadSide.p50Ms),
        };
        report(metrics);
        return metrics;
      } finally {
        await Promise.all([baton.stop(), ...refs.map((r) => r.stop())]);
      }
    },
    targets: () => [],
    perRun: ["batonPostP50Ms", "sqlPostP50Ms", "threadPostP50Ms"],
  };
}
