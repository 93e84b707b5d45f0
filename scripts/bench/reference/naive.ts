/**
 * The naive reference of the benchmark (issue 18): the obvious job server on Baton's stack.
 * Hono routes, valibot checks the body (`body.ts`), `bun:sqlite` stores (WAL, `synchronous`
 * NORMAL or FULL as Baton's `--sync`). One transaction inserts a job and commits before the
 * 202; a semaphore of LIMIT slots (Baton's `--max-concurrent-jobs`) claims the next QUEUED job
 * in its own transaction whenever a slot is free, runs a no-op task, completes it in a third
 * transaction and, in the same synchronous step, claims the next one. No batching at all.
 * `GET /system/state` answers `{"executedJobs": N, "running": N, "peakRunning": N}`.
 * Prints its URL on stdout once listening.
 *
 *   bun scripts/bench/reference/naive.ts DB LIMIT normal|full
 */
import { Database } from "bun:sqlite";
import { Hono } from "hono";
import { announce, parseInput, problem } from "./body.ts";

const [dbPath, limitArg, sync] = process.argv.slice(2);
const limit = Number(limitArg);
if (!dbPath || !Number.isInteger(limit) || limit < 1 || (sync !== "normal" && sync !== "full")) {
  process.stderr.write("usage: bun scripts/bench/reference/naive.ts DB LIMIT normal|full\n");
  process.exit(2);
}

const db = new Database(dbPath, { create: true, strict: true });
db.exec("PRAGMA journal_mode = WAL");
db.exec(`PRAGMA synchronous = ${sync === "full" ? "FULL" : "NORMAL"}`);
db.exec("PRAGMA busy_timeout = 5000");
db.exec(`CREATE TABLE IF NOT EXISTS jobs (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  definition_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED')),
  input TEXT NOT NULL,
  output TEXT,
  error TEXT,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  end_time INTEGER
)`);
db.exec("CREATE INDEX IF NOT EXISTS jobs_queued ON jobs (seq) WHERE status = 'QUEUED'");

const insert = db.prepare("INSERT INTO jobs (id, definition_id, status, input, created_at) VALUES (?1, ?2, 'QUEUED', ?3, ?4)");
const claim = db.prepare<{ seq: number; input: string }, [number]>(
  `UPDATE jobs SET status = 'RUNNING', started_at = ?1
   WHERE seq = (SELECT seq FROM jobs WHERE status = 'QUEUED' ORDER BY seq LIMIT 1) RETURNING seq, input`,
);
const complete = db.prepare("UPDATE jobs SET status = ?1, output = ?2, error = ?3, end_time = ?4 WHERE seq = ?5 AND status = 'RUNNING'");
// One transaction each (bun:sqlite's transaction() is BEGIN … COMMIT around the function).
const insertTx = db.transaction((id: string, definitionId: string, input: string) => insert.run(id, definitionId, input, Date.now()));
const claimTx = db.transaction(() => claim.get(Date.now()));
const completeTx = db.transaction((seq: number, status: string, output: string | null, error: string | null) =>
  complete.run(status, output, error, Date.now(), seq),
);

/** The job's only task: does nothing, like Baton's `noop`. */
const noop = async (_input: unknown): Promise<null> => null;

let running = 0;
let peakRunning = 0;
let executedJobs = 0;

/** Fills every free slot with the next QUEUED job, one claim transaction each. */
function pump(): void {
  while (running < limit) {
    const job = claimTx();
    if (!job) return;
    running++;
    if (running > peakRunning) peakRunning = running;
    void run(job);
  }
}

async function run(job: { seq: number; input: string }): Promise<void> {
  try {
    const output = await noop(JSON.parse(job.input));
    completeTx(job.seq, "COMPLETED", JSON.stringify({ a: output }), null);
  } catch (err) {
    completeTx(job.seq, "FAILED", null, JSON.stringify({ message: String(err) }));
  }
  executedJobs++;
  running--;
  pump(); // the freed slot claims the next job in the same synchronous step
}

const DEFINITIONS = new Set(["one"]);
const app = new Hono();
app.post("/jobs/:definitionId/execute", async (c) => {
  const definitionId = c.req.param("definitionId");
  if (!DEFINITIONS.has(definitionId)) return problem(`no job definition "${definitionId}"`, 404);
  const parsed = parseInput(await c.req.text());
  if (!parsed.ok) return problem(parsed.detail, 400);
  const id = crypto.randomUUID();
  insertTx(id, definitionId, JSON.stringify(parsed.input)); // committed before the answer
  pump();
  return c.json({ executionID: id, status: "QUEUED" }, 202);
});
app.get("/system/state", (c) => c.json({ executedJobs, running, peakRunning }));

pump(); // jobs left QUEUED by an earlier run of the same database
const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
announce(server.port!);
