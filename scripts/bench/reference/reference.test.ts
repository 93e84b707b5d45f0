/**
 * The benchmark's reference servers, started as the benchmark starts them: the naive reference
 * answers 202 only for a valid body, runs every job through its semaphore without exceeding it
 * and counts completions; the two ceilings answer 202 (the framework one validating the body).
 * The in-process loop of `engine-5task` runs every task of every execution, one commit each step.
 * The storage floor, in each mode, answers 202 once the start is stored and then stores the end.
 */
import { Database } from "bun:sqlite";
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { perTransactionLoop } from "./loop.ts";
import { type ReferenceServer, startReference } from "./start.ts";

const started: ReferenceServer[] = [];
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(started.map((s) => s.stop()));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const post = (url: string, body: string, path = "/jobs/one/execute") =>
  fetch(`${url}${path}`, { method: "POST", body, headers: { "content-type": "application/json" } });

/** `GET /system/state` once `executedJobs` reached `n`, or after about 5 s. */
async function stateOnce<T extends { executedJobs: number }>(url: string, n: number): Promise<T> {
  let state = { executedJobs: 0 } as T;
  for (let i = 0; i < 500 && state.executedJobs < n; i++) {
    state = (await (await fetch(`${url}/system/state`)).json()) as T;
    if (state.executedJobs < n) await Bun.sleep(10);
  }
  return state;
}

/** The rows of a read-only query on a server's database file. */
function rowsOf<T>(db: string, sql: string): T[] {
  const read = new Database(db, { readonly: true });
  try {
    return read.query(sql).all() as T[];
  } finally {
    read.close();
  }
}

describe("the naive reference", () => {
  test("answers 202 after storing, refuses bad bodies, and completes every job within its slots", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-ref-test-"));
    dirs.push(dir);
    const db = join(dir, "ref.db");
    const server = await startReference("naive", [db, "2", "normal"]);
    started.push(server);

    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(server.url, JSON.stringify({ i }))));
    expect(answers.map((r) => r.status)).toEqual(Array(20).fill(202));
    const first = (await answers[0]!.json()) as { executionID: string; status: string };
    expect(first.status).toBe("QUEUED");

    const bad = await post(server.url, "[1]");
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toBe('body must be a JSON object, e.g. {} or {"key": "value"}');
    expect((await post(server.url, "{")).status).toBe(400);
    expect((await post(server.url, "{}", "/jobs/other/execute")).status).toBe(404);

    const state = await stateOnce<{ executedJobs: number; running: number; peakRunning: number }>(server.url, 20);
    expect(state.executedJobs).toBe(20);
    expect(state.running).toBe(0);
    expect(state.peakRunning).toBeGreaterThanOrEqual(1);
    expect(state.peakRunning).toBeLessThanOrEqual(2);

    const rows = rowsOf<{ status: string; input: string; output: string }>(db, "SELECT status, input, output FROM jobs ORDER BY seq");
    expect(rows).toHaveLength(20);
    expect(rows.every((r) => r.status === "COMPLETED" && r.output === '{"a":null}')).toBe(true);
    expect(rows.map((r) => (JSON.parse(r.input) as { i: number }).i).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  test("refuses to start without a database, a slot count and a sync level", async () => {
    await expect(startReference("naive", ["x.db", "0", "normal"])).rejects.toThrow("exited before serving (code 2)");
  });
});

describe("the ceilings", () => {
  test("raw Bun.serve answers 202 to anything", async () => {
    const server = await startReference("raw");
    started.push(server);
    expect((await post(server.url, "{}")).status).toBe(202);
  });

  test("Hono plus valibot answers 202 to a valid body and 400 to an invalid one, storing nothing", async () => {
    const server = await startReference("framework");
    started.push(server);
    expect((await post(server.url, '{"k":1}')).status).toBe(202);
    expect((await post(server.url, "")).status).toBe(202);
    expect((await post(server.url, '"text"')).status).toBe(400);
  });
});

describe("the per-transaction loop", () => {
  test("completes every task of every execution, and the executions, in 1 + 2 x tasks commits each", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-loop-test-"));
    dirs.push(dir);
    const run = await perTransactionLoop(dir, "normal", 3, 7);
    expect(run.executions).toBe(7);
    const db = new Database(join(dir, "loop.db"), { readonly: true });
    const executions = db.query("SELECT status, COUNT(*) AS n FROM executions GROUP BY status").all();
    const tasks = db.query("SELECT status, attempt, COUNT(*) AS n FROM tasks GROUP BY status, attempt").all();
    db.close();
    expect(executions).toEqual([{ status: "COMPLETED", n: 7 }]);
    expect(tasks).toEqual([{ status: "COMPLETED", attempt: 1, n: 21 }]);
  });
});

describe("the storage floor", () => {
  for (const mode of ["sql", "sql-thread", "minimal"]) {
    test(`${mode}: answers 202 to a valid body, 400 to an invalid one, and stores each start and end`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "baton-floor-test-"));
      dirs.push(dir);
      const db = join(dir, "floor.db");
      const server = await startReference("floor", [mode, db]);
      started.push(server);
      const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => post(server.url, JSON.stringify({ i }))));
      expect(answers.map((r) => r.status)).toEqual(Array(20).fill(202));
      expect((await post(server.url, "[1]")).status).toBe(400);
      expect((await post(server.url, "{}", "/jobs/other/execute")).status).toBe(404);
      expect((await stateOnce(server.url, 20)).executedJobs).toBe(20);
      const rows = rowsOf<{ status: string; input: string }>(db, "SELECT status, input FROM executions ORDER BY seq");
      expect(rows.map((r) => r.status)).toEqual(Array(20).fill("COMPLETED"));
      expect(rows.map((r) => (JSON.parse(r.input) as { i: number }).i).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
      if (mode === "minimal") return;
      // Baton's schema: a row of events for the start and one for the end, and the counts.
      expect(rowsOf(db, "SELECT COUNT(*) AS n FROM events")).toEqual([{ n: 40 }]);
      expect(rowsOf(db, "SELECT n FROM execution_counts WHERE status IN ('RUNNING', 'COMPLETED') ORDER BY status")).toEqual([
        { n: 20 },
        { n: 0 },
      ]);
    });
  }

  test("refuses an unknown mode", async () => {
    await expect(startReference("floor", ["fast", "x.db"])).rejects.toThrow("exited before serving (code 2)");
  });
});
