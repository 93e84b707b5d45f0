/**
 * Retention on the compiled binary with its defaults (30 days). There is no clock flag, so the
 * old executions are written with the store, with old times, before the binary starts on the
 * file; then only the API is used: the old ones answer 404, the recent ones and an old original
 * that a recent rerun points at stay, admission answers 202 all through the clean, one log line
 * says what the pass did, and the file is smaller once the freed pages are given back. Then the
 * cap alone (--retention-days 0, --retention-max-executions). `baton_retention_deleted_total` counts them.
 */
import { afterAll, expect, test } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { canonicalJson } from "../../src/domain/json.ts";
import type { NewExecution } from "../../src/domain/store.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { type Baton, startBaton, tempDir, waitFor } from "./harness.ts";

const DAY = 24 * 3600 * 1000;
const OLD = 3000;
const DEF = { id: "one", tasks: [{ id: "a", functionName: "noop" }] };
const batons: Baton[] = [];

afterAll(async () => {
  for (const b of batons) if (b.proc.exitCode === null) await b.kill9();
});

const execution = (id: string, rerunOf: string | null = null): NewExecution => ({
  id,
  definitionId: "one",
  definitionVersion: 1,
  input: { pad: "x".repeat(1000) },
  tasks: [{ taskId: "a", name: "a" }],
  rerunOf,
});

/** Stored RUNNING at `at`, its task completed with an output, the execution COMPLETED at `at` + 1. */
async function completed(store: SqliteStore, e: NewExecution, at: number): Promise<void> {
  await store.enqueueStarted(e, at, [{ taskId: "a", attempt: 1 }]);
  await store.record(e.id, [{ kind: "complete", taskId: "a", attempt: 1, output: { done: e.id } }], at + 1);
  await store.record(e.id, [{ kind: "finish", status: "COMPLETED", output: { a: { done: e.id } }, error: null }], at + 1);
}

test("old executions go in the background while admission keeps answering; the file shrinks", async () => {
  const dir = tempDir();
  const db = join(dir, "baton.db");
  const now = Date.now();
  const store = SqliteStore.open({ path: db });
  await store.registerDefinition("one", DEF, canonicalJson(DEF), now - 60 * DAY);
  const old = Array.from({ length: OLD }, (_, i) => `old-${i}`);
  for (let i = 0; i < OLD; i += 500) {
    await Promise.all(old.slice(i, i + 500).map((id, j) => completed(store, execution(id), now - 40 * DAY + i + j)));
  }
  await completed(store, execution("original"), now - 45 * DAY);
  await completed(store, execution("rerun", "original"), now - DAY);
  await completed(store, execution("recent"), now - 29 * DAY);
  await store.close();
  const sizeBefore = statSync(db).size;

  const b = await startBaton({ db, jobs: null });
  batons.push(b);
  // Admissions one after the other, paced, from the start until the pass is over (its first pass is 2 s after start).
  const answers = new Map<number, number>();
  let cleaned = false;
  const admitting = (async () => {
    while (!cleaned) {
      const res = await b.request("POST", "/jobs/one/execute", {});
      answers.set(res.status, (answers.get(res.status) ?? 0) + 1);
      await res.arrayBuffer();
      await Bun.sleep(5); // a steady trickle, not a flood: the file size below is about the deleted rows
    }
  })();
  const line = await waitFor("the retention log line", async () => b.logs().match(/retention deleted old executions.*/)?.[0], 20_000);
  cleaned = true;
  await admitting;
  expect([...answers.keys()]).toEqual([202]);
  expect(line).toContain(`deleted=${OLD} `);
  expect(line).toContain("left=0");
  expect(line).toMatch(/pagesReleased=[1-9]\d*/);

  for (const id of ["old-0", `old-${OLD - 1}`, "rerun-of-nothing"]) expect((await b.json("GET", `/jobs/${id}/state`)).status).toBe(404);
  expect((await b.json("GET", "/jobs/old-0/events")).status).toBe(404);
  expect((await b.json("GET", "/jobs/recent/state")).body.status).toBe("COMPLETED");
  // The rerun is recent: its original stays, and the link still leads somewhere.
  expect((await b.json("GET", "/jobs/rerun/state")).body).toMatchObject({ status: "COMPLETED", rerunOf: "original" });
  expect((await b.json("GET", "/jobs/original/state")).body.status).toBe("COMPLETED");
  const metrics = await (await b.request("GET", "/metrics")).text();
  expect(metrics).toContain(`\nbaton_retention_deleted_total ${OLD}\n`);
  const system = (await b.json("GET", "/system/state")).body;
  expect(system.executedJobs).toBeLessThanOrEqual(answers.get(202)! + 3); // the admitted, the recent, the rerun and its original
  expect(await b.stop()).toBe(0);
  expect(statSync(db).size).toBeLessThan(sizeBefore / 2);
}, 60_000);

test("--retention-max-executions with --retention-days 0: the oldest finished go until that many are stored, whatever their age", async () => {
  const dir = tempDir();
  const db = join(dir, "baton.db");
  const now = Date.now();
  const store = SqliteStore.open({ path: db });
  await store.registerDefinition("one", DEF, canonicalJson(DEF), now - DAY);
  const ids = Array.from({ length: 20 }, (_, i) => `e-${String(i).padStart(2, "0")}`);
  await Promise.all(ids.map((id, i) => completed(store, execution(id), now - 60_000 + i)));
  await store.enqueue(execution("queued"), now - 90 * DAY); // the oldest of all, and unfinished
  await store.close();

  const b = await startBaton({ db, jobs: null, args: ["--retention-days", "0", "--retention-max-executions", "5"] });
  batons.push(b);
  const line = await waitFor("the retention log line", async () => b.logs().match(/retention deleted old executions.*/)?.[0], 20_000);
  // 21 stored, 5 kept: 16 go, the oldest first; the queued one counts but stays (and runs).
  expect(line).toContain("deleted=16 ");
  const states = await Promise.all(ids.map(async (id) => (await b.json("GET", `/jobs/${id}/state`)).status));
  expect(states).toEqual([...Array(16).fill(404), ...Array(4).fill(200)]);
  expect((await b.json("GET", "/jobs/queued/state")).status).toBe(200);
  expect(await b.stop()).toBe(0);
}, 60_000);
