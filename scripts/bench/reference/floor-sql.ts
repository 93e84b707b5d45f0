/**
 * The storage floor's SQL (issue 18): what Baton's SQLite store executes for one single-task
 * no-op execution over REST, and nothing else, batched into one transaction per turn as
 * Baton's group commit does. `baton` runs Baton's own schema, pragmas, statements and
 * background checkpoints (its `openDatabase`, `migrate`, `prepareStatements`, `Checkpointer`):
 * the start (the row inserted RUNNING with its events row) and the end (the row read, its
 * guarded UPDATE, its events row), plus the counts per status per batch. `minimal` is the least
 * any design that keeps the start and the end durable could write: a row inserted and updated,
 * with no index but the primary key and the unique id, no events and no counts.
 */
import { Database as BunDatabase } from "bun:sqlite";
import { Checkpointer } from "../../../src/store/sqlite/checkpointer.ts";
import { type Database, openDatabase } from "../../../src/store/sqlite/driver.ts";
import { migrate } from "../../../src/store/sqlite/migrations.ts";
import { prepareStatements } from "../../../src/store/sqlite/statements.ts";

export type FloorKind = "baton" | "minimal";
/** One write: an execution started (its id), or ended (its id, and the seq its start returned). */
export type FloorOp = { start: string; input: string; now: number } | { end: string; seq: number; now: number };
/** Applies a batch in one transaction; returns each op's execution seq. */
export type ApplyBatch = (ops: readonly FloorOp[]) => number[];

export function openFloor(path: string, kind: FloorKind): { apply: ApplyBatch; close(): void } {
  return kind === "baton" ? batonSql(path) : minimalSql(path);
}

function batonSql(path: string): { apply: ApplyBatch; close(): void } {
  const db: Database = openDatabase({ path });
  migrate(db);
  const s = prepareStatements(db);
  s.insertDefinition.run({ id: "one", version: 1, body: "{}", canonical: "{}", now: Date.now(), actor: null });
  const checkpointer = new Checkpointer(db, path);
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  let nextEvent = 1;
  const events = (seq: number, at: number, type: string, taskId: string | null, attempt: number | null, more: unknown[]) => {
    s.insertEvents.run({ seq: nextEvent, executionSeq: seq, at, type, taskId, attempt, data: null, more: JSON.stringify(more) });
    nextEvent += 1 + more.length;
  };
  const apply: ApplyBatch = (ops) => {
    begin.run();
    let started = 0;
    let ended = 0;
    const seqs = ops.map((op) => {
      const at = op.now;
      if ("start" in op) {
        const tasks = JSON.stringify([{ taskId: "a", status: "RUNNING", attempts: 1, startedAt: at }]);
        const row = { id: op.start, definitionId: "one", definitionVersion: 1, status: "RUNNING", input: op.input, now: at, startedAt: at };
        const extra = { runAt: null, rerunOf: null, tasks, priority: 0, concurrencyKey: null, scheduleId: null, scheduledFor: null };
        const seq = Number(s.insertExecution.run({ ...row, ...extra, scheduleManual: 0 }).lastInsertRowid);
        events(seq, at, "ExecutionQueued", null, null, [
          { at, type: "ExecutionStarted" },
          { at, type: "TaskStarted", taskId: "a", attempt: 1 },
        ]);
        started++;
        return seq;
      }
      const states = s.taskStates.get({ id: op.end }) as { seq: number; tasks: string };
      const tasks = JSON.parse(states.tasks) as Record<string, unknown>[];
      Object.assign(tasks[0]!, { status: "COMPLETED", endTime: at });
      const end = { seq: states.seq, status: "COMPLETED", output: '{"a":null}', error: null, now: at, handlersPending: 0 };
      if (s.finishExecution.run({ ...end, tasks: JSON.stringify(tasks) }).changes !== 1) throw new Error("the row was not RUNNING");
      events(states.seq, at, "TaskCompleted", "a", 1, [{ at, type: "ExecutionCompleted" }]);
      ended++;
      return states.seq;
    });
    if (started !== ended) s.bumpCount.run({ status: "RUNNING", n: started - ended });
    if (ended > 0) s.bumpCount.run({ status: "COMPLETED", n: ended });
    commit.run();
    checkpointer.nudge();
    return seqs;
  };
  return {
    apply,
    close() {
      checkpointer.close();
      db.close();
    },
  };
}

function minimalSql(path: string): { apply: ApplyBatch; close(): void } {
  const db = new BunDatabase(path, { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000");
  db.exec(`CREATE TABLE IF NOT EXISTS executions (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
    input TEXT NOT NULL, output TEXT, created_at INTEGER NOT NULL, end_time INTEGER)`);
  const begin = db.prepare("BEGIN IMMEDIATE");
  const commit = db.prepare("COMMIT");
  const insert = db.prepare("INSERT INTO executions (id, status, input, created_at) VALUES ($id, 'RUNNING', $input, $now)");
  const end = db.prepare(
    "UPDATE executions SET status = 'COMPLETED', output = '{\"a\":null}', end_time = $now WHERE seq = $seq AND status = 'RUNNING'",
  );
  const apply: ApplyBatch = (ops) => {
    begin.run();
    const seqs = ops.map((op) => {
      if ("start" in op) return Number(insert.run({ id: op.start, input: op.input, now: op.now }).lastInsertRowid);
      if (end.run({ seq: op.seq, now: op.now }).changes !== 1) throw new Error("the row was not RUNNING");
      return op.seq;
    });
    commit.run();
    return seqs;
  };
  return { apply, close: () => db.close() };
}
