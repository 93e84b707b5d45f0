/**
 * The SQLite side of bulk operations (`domain/operation-store.ts`): one row per operation in
 * `operations` (migration 13), its scope as JSON, its progress saved by each batch through the
 * store's group commit. A filter's starting cursor is one past the highest execution `seq`
 * stored when it is created, taken in the same commit, so `listExecutions` from it sees only
 * executions that existed then.
 */
import type { NewOperation, Operation, OperationProgress, OperationScope, OperationStore } from "../../domain/operation-store.ts";
import type { Database, Statement } from "./driver.ts";
import type { GroupCommit } from "./group-commit.ts";

const COLUMNS = `id, kind, scope, status, total, processed, changed, skipped, failed, cursor, actor,
  created_at, started_at, updated_at, ended_at, last_error`;

const SQL = {
  insert: `INSERT INTO operations (id, kind, scope, status, total, cursor, actor, created_at, updated_at)
    VALUES ($id, $kind, $scope, 'QUEUED', $total, $cursor, $actor, $now, $now)`,
  lastSeq: "SELECT COALESCE(MAX(seq), 0) AS seq FROM executions",
  byId: `SELECT ${COLUMNS} FROM operations WHERE id = $id`,
  newest: `SELECT ${COLUMNS} FROM operations ORDER BY seq DESC LIMIT $limit`,
  unfinished: `SELECT ${COLUMNS} FROM operations INDEXED BY operations_unfinished
    WHERE status IN ('QUEUED', 'RUNNING') ORDER BY seq`,
  // An INTERRUPTED operation keeps its status and end (SET reads the row as it was).
  progress: `UPDATE operations SET processed = $processed, changed = $changed, skipped = $skipped,
    failed = $failed, cursor = $cursor, last_error = $lastError, updated_at = $now,
    started_at = COALESCE(started_at, CASE WHEN $status = 'QUEUED' THEN NULL ELSE $now END),
    status = CASE WHEN status = 'INTERRUPTED' THEN status ELSE $status END,
    ended_at = CASE WHEN status = 'INTERRUPTED' THEN ended_at WHEN $status IN ('COMPLETED', 'FAILED') THEN $now ELSE NULL END
    WHERE id = $id`,
  interrupt: `UPDATE operations SET status = 'INTERRUPTED', ended_at = $now, updated_at = $now
    WHERE id = $id AND status IN ('QUEUED', 'RUNNING')`,
};

type OperationStatements = { [K in keyof typeof SQL]: Statement };

interface OperationRow {
  id: string;
  kind: Operation["kind"];
  scope: string;
  status: Operation["status"];
  total: number | null;
  processed: number;
  changed: number;
  skipped: number;
  failed: number;
  cursor: string;
  actor: string | null;
  created_at: number;
  started_at: number | null;
  updated_at: number;
  ended_at: number | null;
  last_error: string | null;
}

const toOperation = (r: OperationRow): Operation => ({
  id: r.id,
  kind: r.kind,
  scope: JSON.parse(r.scope) as OperationScope,
  status: r.status,
  total: r.total,
  processed: r.processed,
  changed: r.changed,
  skipped: r.skipped,
  failed: r.failed,
  cursor: r.cursor,
  actor: r.actor,
  createdAt: r.created_at,
  startedAt: r.started_at,
  updatedAt: r.updated_at,
  endedAt: r.ended_at,
  lastError: r.last_error,
});

/** The store's group commit: `write` runs an op in the next transaction and resolves after COMMIT. */
type Writer = Pick<GroupCommit, "write">;
/** Runs a read, a storage fault becoming a `StorageError`. */
type Read = <T>(read: () => T) => T;

export class SqliteOperations implements OperationStore {
  private readonly q: OperationStatements;

  constructor(
    db: Database,
    private readonly writer: Writer,
    private readonly read: Read,
  ) {
    this.q = Object.fromEntries(Object.entries(SQL).map(([name, sql]) => [name, db.prepare(sql)])) as OperationStatements;
  }

  createOperation(op: NewOperation, now: number): Promise<Operation> {
    return this.writer.write(() => {
      const cursor = "filter" in op.scope ? String((this.q.lastSeq.get() as { seq: number }).seq + 1) : "0";
      this.q.insert.run({ id: op.id, kind: op.kind, scope: JSON.stringify(op.scope), total: op.total, cursor, actor: op.actor, now });
      return toOperation(this.q.byId.get({ id: op.id }) as OperationRow);
    });
  }

  async getOperation(id: string): Promise<Operation | null> {
    const row = this.read(() => this.q.byId.get({ id }) as OperationRow | null);
    return row && toOperation(row);
  }

  async listOperations(limit: number): Promise<Operation[]> {
    return this.read(() => this.q.newest.all({ limit }) as OperationRow[]).map(toOperation);
  }

  async unfinishedOperations(): Promise<Operation[]> {
    return this.read(() => this.q.unfinished.all() as OperationRow[]).map(toOperation);
  }

  saveOperationProgress(id: string, p: OperationProgress, now: number): Promise<boolean> {
    const { status, processed, changed, skipped, failed, cursor, lastError } = p;
    return this.writer.write(
      () => this.q.progress.run({ id, now, status, processed, changed, skipped, failed, cursor, lastError }).changes > 0,
    );
  }

  interruptOperation(id: string, now: number): Promise<Operation | null> {
    return this.writer.write(() => {
      this.q.interrupt.run({ id, now });
      const row = this.q.byId.get({ id }) as OperationRow | null;
      return row && toOperation(row);
    });
  }
}
