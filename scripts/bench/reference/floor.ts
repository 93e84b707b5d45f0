/**
 * The storage floor (issue 18): the framework ceiling's server (`framework.ts`: Hono, valibot
 * validating the body, a 202) that also does, per execution, the SQL of `floor-sql.ts`: the
 * start is committed before the 202 (a 2xx is durable, as in Baton), then the no-op "runs"
 * and its end is committed. Writes are group-committed per turn of the event loop, like
 * Baton's. No engine, no store logic, no concurrency limit: what the same storage alone
 * allows. `GET /system/state` answers `executedJobs` like Baton, so the benchmark waits for
 * the ends the same way. Prints its URL on stdout once listening.
 *
 *   bun scripts/bench/reference/floor.ts sql|sql-thread|minimal DB_PATH
 *
 * `sql`: Baton's SQL on the main thread. `sql-thread`: the same SQL on a writer thread (the
 * main thread posts each batch and settles its requests when the answer comes). `minimal`:
 * the least SQL that keeps a start and an end durable, on the main thread.
 */
import { Hono } from "hono";
import { uuidv7 } from "../../../src/domain/ids.ts";
import { announce, parseInput, problem } from "./body.ts";
import { type ApplyBatch, type FloorOp, openFloor } from "./floor-sql.ts";

const [mode, path] = process.argv.slice(2);
if (!(mode === "sql" || mode === "sql-thread" || mode === "minimal") || !path) {
  process.stderr.write("usage: bun scripts/bench/reference/floor.ts sql|sql-thread|minimal DB_PATH\n");
  process.exit(2);
}

interface Pending {
  op: FloorOp;
  resolve: (seq: number) => void;
}

/** Sends a batch to the SQL and settles its writers once it committed. */
let send: (batch: Pending[]) => void;
if (mode === "sql-thread") {
  const worker = new Worker(new URL("./floor-writer.ts", import.meta.url).href);
  const next = () => new Promise<void>((settle) => (worker.onmessage = () => settle()));
  await next(); // loaded
  const opened = next();
  worker.postMessage({ open: { path, kind: "baton" } });
  await opened;
  const inFlight = new Map<number, Pending[]>();
  let batches = 0;
  worker.onmessage = (event: MessageEvent<{ batch: number; seqs: number[] }>) => {
    const batch = inFlight.get(event.data.batch)!;
    inFlight.delete(event.data.batch);
    for (const [i, p] of batch.entries()) p.resolve(event.data.seqs[i]!);
  };
  send = (batch) => {
    inFlight.set(batches, batch);
    worker.postMessage({ batch: batches++, ops: batch.map((p) => p.op) });
  };
} else {
  const apply: ApplyBatch = openFloor(path, mode === "sql" ? "baton" : "minimal").apply;
  send = (batch) => {
    const seqs = apply(batch.map((p) => p.op));
    for (const [i, p] of batch.entries()) p.resolve(seqs[i]!);
  };
}

let pending: Pending[] = [];
let scheduled = false;
const write = (op: FloorOp) =>
  new Promise<number>((resolve) => {
    pending.push({ op, resolve });
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      const batch = pending;
      pending = [];
      send(batch);
    });
  });

let executed = 0;
const app = new Hono();
app.post("/jobs/:definitionId/execute", async (c) => {
  if (c.req.param("definitionId") !== "one") return problem(`no job definition "${c.req.param("definitionId")}"`, 404);
  const parsed = parseInput(await c.req.text());
  if (!parsed.ok) return problem(parsed.detail, 400);
  const id = uuidv7(); // time-ordered, as Baton's ids (the unique index grows at its end)
  const seq = await write({ start: id, input: JSON.stringify(parsed.input), now: Date.now() });
  // The no-op runs once its start is durable; its end is the next write.
  queueMicrotask(() => void write({ end: id, seq, now: Date.now() }).then(() => executed++));
  return c.json({ executionID: id, status: "RUNNING" }, 202);
});
app.get("/system/state", (c) => c.json({ executedJobs: executed }));

const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
announce(server.port!);
