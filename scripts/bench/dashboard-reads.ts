/**
 * The dashboard's reads and pages, timed in process (no HTTP) on the `history` workload's data:
 * 1,000,000 executions over the last 1,000,000 ms, one in 20 FAILED, so every failure is in
 * "the last 24 hours". Run: `bun scripts/bench/dashboard-reads.ts` (it seeds
 * /tmp/baton-dashboard-bench/seeded.db once, about 15 s). The store reads alone, for "Cost at a
 * million executions" in docs/dashboard.md; each page next to its API read is the `dashboard`
 * workload of `npm run bench`.
 */

import { Database } from "bun:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { SQL } from "../../src/store/sqlite/statements.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { createDashboard } from "../../src/ui/app.tsx";
import { createDatabase, ONE_TASK, seedExecutions } from "./common.ts";

mkdirSync("/tmp/baton-dashboard-bench", { recursive: true });
const path = "/tmp/baton-dashboard-bench/seeded.db";
const count = 1_000_000;
if (!existsSync(path)) {
  const t = performance.now();
  const DEFS = ["alpha", "beta", "gamma"].map((id) => ({ ...ONE_TASK, id }));
  const db = createDatabase(path, DEFS);
  seedExecutions(db, count, (i) => ({
    status: i % 20 === 0 ? "FAILED" : i % 20 === 1 ? "CANCELLED" : "COMPLETED",
    definitionId: DEFS[i % 3]!.id,
  }));
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  console.log(`seeded in ${Math.round(performance.now() - t)} ms`);
}
const store = SqliteStore.open({ path });
// "Now" is just after the newest execution, however old the seeded file is.
const now = (await store.listExecutions({ limit: 1 })).executions[0]!.createdAt + 1;
const ui = createDashboard({ reads: store, workers: async () => [], version: "m", now: () => now });
async function time(name: string, f: () => Promise<unknown>, n = 50) {
  await f();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await f();
    out.push(performance.now() - t);
  }
  out.sort((a, b) => a - b);
  console.log(`${name.padEnd(52)} p50 ${out[Math.floor(n / 2)]!.toFixed(2)} ms  p99 ${out[Math.floor(n * 0.99)]!.toFixed(2)} ms`);
}
const page = (p: string) => async () => {
  const res = await ui.request(p);
  if (res.status !== 200) throw new Error(`${p}: ${res.status}`);
  await res.text();
};
const deep = (await store.listExecutions({ limit: 1, cursor: "900000" })).executions[0]!;
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
await time("store.listExecutions newest 50", () => store.listExecutions({ limit: 50 }));
await time("store.listExecutions FAILED, cursor at seq 100,000", () =>
  store.listExecutions({ limit: 50, status: "FAILED", cursor: "100000" }),
);
await time("store.listExecutions from/to (a 1-minute window)", () =>
  store.listExecutions({ limit: 50, createdFrom: now - 600_000, createdTo: now - 540_000 }),
);
await time("store.listExecutions error TaskFailed (every failure)", () => store.listExecutions({ limit: 50, errorName: "TaskFailed" }));
await time(
  "store.listExecutions error Nope (none: all 50,000 failures read)",
  () => store.listExecutions({ limit: 50, errorName: "Nope" }),
  10,
);
await time("store.listExecutions error Nope, a 1-minute range", () =>
  store.listExecutions({ limit: 50, errorName: "Nope", createdFrom: now - 60_000 }),
);
await time("store.failuresSince(24 h) (50,000 in it, 10,000 counted)", () => store.failuresSince(now - 86_400_000, 20, 10_000), 10);
await time("store.failuresSince(1 min)", () => store.failuresSince(now - 60_000, 20, 10_000));
await time("store.systemCounts", () => store.systemCounts(10));
await time("store.activity, last hour by minute (60 bars)", () => store.activity(now - 3_540_000, 60_000, 60, 10_000));
await time("store.activity, last day by hour (24 bars)", () => store.activity(now - 82_800_000, 3_600_000, 24, 10_000));
await time("live: the overview's mark (systemCounts(0))", () => store.systemCounts(0));
await time("live: an execution's mark (its events)", () => store.events(deep.id));
{
  const db = new Database(path, { readonly: true });
  const plan = db.query(`EXPLAIN QUERY PLAN ${SQL.failedBetween}`).all({ $from: 1, $to: 2, $scan: 3 }) as { detail: string }[];
  console.log(`plan of failedBetween: ${plan.map((r) => r.detail).join("; ")}`);
  db.close();
}
await time("GET /ui/executions", page("/executions"));
await time("GET /ui/executions?status=FAILED&definition=beta", page("/executions?status=FAILED&definition=beta"));
await time("GET /ui/executions?…&cursor=100000 (deep)", page("/executions?status=FAILED&cursor=100000"));
await time("GET /ui/executions?from=…&to=…", page(`/executions?from=${iso(now - 600_000)}&to=${iso(now - 540_000)}`));
await time("GET /ui/executions?error=TaskFailed", page("/executions?error=TaskFailed"));
await time("GET /ui/executions/:id", page(`/executions/${deep.id}`));
await time("GET /ui/ (overview; 50,000 failures in 24 h)", page("/"), 10);
await store.close();

await (async () => {
  const again = SqliteStore.open({ path });
  await time("store.failuresSince(24 h), scan 50,000 (all of them)", () => again.failuresSince(now - 86_400_000, 20, 50_000), 10);
  await again.close();
})();
