/**
 * The in-process reference of `engine-5task` (issue 18): the obvious worker loop on Baton's
 * stack, with no batching. `bun:sqlite` (WAL, `synchronous` as Baton's `--sync`), a table of
 * executions and one of their tasks; each execution is inserted with its tasks PENDING in one
 * transaction, then each task in order is claimed (RUNNING) in a transaction, run (a no-op,
 * awaited like Baton's `noop`) and completed in another, the last completion ending the
 * execution. One execution after the other: 1 + 2 x tasks commits each.
 */
import { Database } from "bun:sqlite";
import { join } from "node:path";

export interface LoopRun {
  executions: number;
  seconds: number;
}

export async function perTransactionLoop(dir: string, sync: "normal" | "full", tasks: number, n: number): Promise<LoopRun> {
  const db = new Database(join(dir, "loop.db"), { create: true, strict: true });
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(`PRAGMA synchronous = ${sync === "full" ? "FULL" : "NORMAL"}`);
  db.exec(`CREATE TABLE executions (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, status TEXT NOT NULL, input TEXT NOT NULL,
    created_at INTEGER NOT NULL, started_at INTEGER, end_time INTEGER)`);
  db.exec("CREATE INDEX executions_by_status ON executions (status, seq)");
  db.exec(`CREATE TABLE tasks (
    execution_seq INTEGER NOT NULL REFERENCES executions (seq), task_id TEXT NOT NULL, status TEXT NOT NULL,
    attempt INTEGER NOT NULL DEFAULT 0, output TEXT, started_at INTEGER, end_time INTEGER,
    PRIMARY KEY (execution_seq, task_id)) WITHOUT ROWID`);
  const insertExecution = db.prepare("INSERT INTO executions (id, status, input, created_at) VALUES (?1, 'QUEUED', ?2, ?3)");
  const insertTask = db.prepare("INSERT INTO tasks (execution_seq, task_id, status) VALUES (?1, ?2, 'PENDING')");
  const claim = db.prepare(
    "UPDATE tasks SET status = 'RUNNING', attempt = attempt + 1, started_at = ?3 WHERE execution_seq = ?1 AND task_id = ?2 AND status = 'PENDING'",
  );
  const startExecution = db.prepare("UPDATE executions SET status = 'RUNNING', started_at = ?2 WHERE seq = ?1 AND status = 'QUEUED'");
  const complete = db.prepare(
    "UPDATE tasks SET status = 'COMPLETED', output = ?3, end_time = ?4 WHERE execution_seq = ?1 AND task_id = ?2 AND status = 'RUNNING'",
  );
  const endExecution = db.prepare("UPDATE executions SET status = 'COMPLETED', end_time = ?2 WHERE seq = ?1 AND status = 'RUNNING'");
  const ids = Array.from({ length: tasks }, (_, i) => `t${i + 1}`);
  const insertTx = db.transaction((id: string) => {
    const seq = Number(insertExecution.run(id, "{}", Date.now()).lastInsertRowid);
    for (const taskId of ids) insertTask.run(seq, taskId);
    return seq;
  });
  const claimTx = db.transaction((seq: number, taskId: string, first: boolean) => {
    if (first) startExecution.run(seq, Date.now());
    claim.run(seq, taskId, Date.now());
  });
  const completeTx = db.transaction((seq: number, taskId: string, output: string, last: boolean) => {
    complete.run(seq, taskId, output, Date.now());
    if (last) endExecution.run(seq, Date.now());
  });
  const noop = async (): Promise<null> => null;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const seq = insertTx(crypto.randomUUID());
    for (const [k, taskId] of ids.entries()) {
      claimTx(seq, taskId, k === 0);
      const output = await noop();
      completeTx(seq, taskId, JSON.stringify(output), k === ids.length - 1);
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  return { executions: n, seconds };
}
