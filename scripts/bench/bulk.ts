/**
 * Bulk operations on the `history` workload's data (1,000,000 executions, one in 20 FAILED, over
 * three definitions): how long the confirmation's count takes for each kind of filter, and a
 * redrive of 5,000 failures through the real engine and the service's batches (each batch's time,
 * the whole, and the redriven executions run by the engine meanwhile), with the latency of new
 * submissions alone and while it runs. Run:
 * `bun scripts/bench/bulk.ts` after `bun scripts/bench/dashboard-reads.ts` has seeded
 * /tmp/baton-dashboard-bench/seeded.db; it works on a copy, so the seeded file stays as it is.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/domain/clock.ts";
import { uuidv7 } from "../../src/domain/ids.ts";
import { Engine } from "../../src/engine/engine.ts";
import { BulkOperations } from "../../src/engine/services/bulk.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { builtinFunctions } from "../../src/tasks/registry.ts";
import { countMatching } from "../../src/ui/bulk.tsx";

const seeded = "/tmp/baton-dashboard-bench/seeded.db";
if (!existsSync(seeded)) throw new Error(`no ${seeded}: run bun scripts/bench/dashboard-reads.ts first`);
const dir = mkdtempSync(join(tmpdir(), "baton-bulk-bench-"));
const path = join(dir, "bulk.db");
copyFileSync(seeded, path);
const store = SqliteStore.open({ path });
const newest = (await store.listExecutions({ limit: 1 })).executions[0]!.createdAt;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(name: string, f: () => Promise<unknown>, n = 20) {
  let result: unknown;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    result = await f();
    out.push(performance.now() - t);
  }
  console.log(`${name.padEnd(58)} p50 ${median(out).toFixed(2)} ms  ${JSON.stringify(result)}`);
}
await time("count: status FAILED (kept counts)", () => countMatching(store, { status: "FAILED" }));
await time("count: no filter (kept counts)", () => countMatching(store, {}));
await time("count: FAILED + definition beta (16,667: capped)", () => countMatching(store, { status: "FAILED", definitionId: "beta" }));
await time("count: FAILED + definition beta, last 60,000 ms (1,000)", () =>
  countMatching(store, { status: "FAILED", definitionId: "beta", createdFrom: newest - 60_000 }),
);
await time("count: error name TaskFailed (50,000: capped)", () => countMatching(store, { errorName: "TaskFailed" }));

const engine = new Engine({ store, functions: builtinFunctions({}), clock: systemClock, maxConcurrentJobs: 10 });
await engine.start();
const batches: number[] = [];
const bulk = new BulkOperations({
  store: store.operations,
  reads: store,
  commands: engine,
  clock: systemClock,
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  newId: () => uuidv7(Date.now()),
});
// 300,000 ms of history hold 15,000 failures, 5,000 of them of alpha.
const filter = { status: "FAILED" as const, definitionId: "alpha", createdFrom: newest - 300_000 };
const counted = await countMatching(store, filter);
const op = await bulk.create({ kind: "redrive", scope: { filter }, total: counted.capped ? null : counted.count, actor: "bench" });
/** Submissions of gamma every 2 ms while `busy` says so: each one's latency (its commit included). */
async function admissions(busy: () => boolean): Promise<number[]> {
  const out: number[] = [];
  while (busy()) {
    const t = performance.now();
    await engine.submit("gamma", {});
    out.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 2));
  }
  return out;
}
const p = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * q)]!.toFixed(2);
const aloneUntil = performance.now() + 1_000;
const alone = await admissions(() => performance.now() < aloneUntil);
let running = true;
const during = admissions(() => running);
const started = performance.now();
for (;;) {
  const t = performance.now();
  if (!(await bulk.runBatch())) break;
  batches.push(performance.now() - t);
  await new Promise((r) => setTimeout(r, 5));
}
const whole = performance.now() - started;
running = false;
const busy = await during;
console.log(
  `admission alone: ${alone.length} submits, p50 ${p(alone, 0.5)} ms p99 ${p(alone, 0.99)} ms; during the redrive: ${busy.length}, p50 ${p(busy, 0.5)} ms p99 ${p(busy, 0.99)} ms`,
);
const done = (await store.operations.getOperation(op.id))!;
const { byStatus } = await store.systemCounts(0);
console.log(
  `redrive of ${done.processed} failures: ${batches.length} batches, batch p50 ${median(batches).toFixed(1)} ms, max ${Math.max(...batches).toFixed(1)} ms, whole ${whole.toFixed(0)} ms; ` +
    `changed ${done.changed}, skipped ${done.skipped}, failed ${done.failed}; at the end ${byStatus.QUEUED} queued, ${byStatus.RUNNING} running`,
);
await engine.stop(1000);
await store.close();
rmSync(dir, { recursive: true, force: true });
