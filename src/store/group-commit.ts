/**
 * Group commit: every write requested during one turn of the event loop is applied in one
 * SQLite transaction, and each caller's promise settles only after that transaction
 * committed. A write is acknowledged (an HTTP 2xx, the next task started) no earlier than
 * its change is durable, yet a thousand concurrent writers pay for one commit, not a
 * thousand.
 *
 * A write that throws (a guard found a row in another state) is rolled back alone and rejects
 * alone; the others still commit. The batch is first applied without savepoints; only when a
 * write throws is it applied again with a SAVEPOINT around each write (see `apply`).
 */
import type { Database, Statement } from "./driver.ts";

/** Per-write changes to the execution counters, merged into the batch only if the write succeeds. */
export class CountDeltas {
  readonly byStatus = new Map<string, number>();

  add(status: string, n: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + n);
  }

  /** A status change of one execution. */
  move(from: string, to: string): void {
    this.add(from, -1);
    this.add(to, 1);
  }

  mergeInto(total: CountDeltas): void {
    for (const [status, n] of this.byStatus) total.add(status, n);
  }
}

/** One write: runs inside the batch's transaction; its return value resolves the caller's promise. */
export type WriteOp<T> = (deltas: CountDeltas) => T;

interface Pending {
  op: WriteOp<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export interface BatchStats {
  batches: number;
  writes: number;
  largestBatch: number;
}

export class GroupCommit {
  private pending: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private readonly stmt: Record<"begin" | "commit" | "rollback" | "savepoint" | "release" | "rollbackTo", Statement>;
  readonly stats: BatchStats = { batches: 0, writes: 0, largestBatch: 0 };

  constructor(
    private readonly db: Database,
    /** Writes the batch's counter changes; runs inside the transaction, just before COMMIT. */
    private readonly applyCounts: (total: CountDeltas) => void,
    /** Runs after each successful COMMIT, before any writer's promise settles. */
    private readonly afterCommit: () => void = () => {},
  ) {
    this.stmt = {
      begin: db.prepare("BEGIN IMMEDIATE"),
      commit: db.prepare("COMMIT"),
      rollback: db.prepare("ROLLBACK"),
      savepoint: db.prepare("SAVEPOINT write"),
      release: db.prepare("RELEASE write"),
      rollbackTo: db.prepare("ROLLBACK TO write"),
    };
  }

  /** Queues `op` for the next batch; resolves with its result once the batch committed. */
  write<T>(op: WriteOp<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the store is closed"));
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Applies and commits whatever is queued now (also called by `close`). */
  flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    let outcomes: Outcome[];
    try {
      outcomes = this.apply(batch);
    } catch (error) {
      // BEGIN or COMMIT failed (disk full, I/O error): nothing of this batch is stored.
      for (const p of batch) p.reject(error);
      return;
    }
    this.afterCommit();
    this.stats.batches++;
    this.stats.writes += batch.length;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, batch.length);
    batch.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) p.resolve(outcome.value);
      else p.reject(outcome.error);
    });
  }

  /** Flushes what is queued and refuses further writes. */
  close(): void {
    this.flush();
    this.closed = true;
  }

  /**
   * Optimistic first: the whole batch without savepoints (they cost two statements per
   * write). If a write throws, the transaction is rolled back and the batch is applied again
   * with a savepoint around every write, so only the failing writes fail. Writes are pure
   * functions of the database state, so running them twice is safe.
   */
  private apply(batch: Pending[]): Outcome[] {
    return this.tryWithout(batch) ?? this.applyIsolated(batch);
  }

  private tryWithout(batch: Pending[]): Outcome[] | null {
    const { begin, commit, rollback } = this.stmt;
    begin.run();
    try {
      const total = new CountDeltas();
      const outcomes = batch.map(({ op }): Outcome => ({ ok: true, value: op(total) }));
      this.applyCounts(total);
      commit.run();
      return outcomes;
    } catch (error) {
      if (this.db.inTransaction) rollback.run();
      if (batch.length === 1) return [{ ok: false, error }];
      return null;
    }
  }

  private applyIsolated(batch: Pending[]): Outcome[] {
    const { begin, commit, rollback, savepoint, release, rollbackTo } = this.stmt;
    begin.run();
    try {
      const total = new CountDeltas();
      const outcomes = batch.map(({ op }): Outcome => {
        savepoint.run();
        const deltas = new CountDeltas();
        try {
          const value = op(deltas);
          release.run();
          deltas.mergeInto(total);
          return { ok: true, value };
        } catch (error) {
          rollbackTo.run();
          release.run();
          return { ok: false, error };
        }
      });
      this.applyCounts(total);
      commit.run();
      return outcomes;
    } catch (error) {
      if (this.db.inTransaction) rollback.run();
      throw error;
    }
  }
}
