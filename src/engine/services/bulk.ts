/**
 * Bulk operations: a redrive or cancel of many executions, asked for from the dashboard, run in
 * the background as a tracked operation (`domain/operation-store.ts`). One runs at a time, the
 * others wait QUEUED. Each batch (at most `batchSize` executions) pages the scope through the
 * read port from the operation's saved cursor, calls the engine's own `redrive` or `cancel` for
 * each execution with the operator as actor (so every state rule holds; the batch's calls share
 * one group commit), then saves the progress and cursor in one write; a pause between batches
 * lets admission commit in between.
 *
 * An execution no longer in a state the action applies to (or deleted since) is skipped, not an
 * error. At start the unfinished operations resume from their cursor: a crash repeats at most
 * the batch it cut short, and a repeated redrive or cancel finds the execution changed already
 * (a filter no longer matches it, or it is skipped), so nothing is done twice.
 */
import type { Clock } from "../../domain/clock.ts";
import { StorageError, UnavailableError } from "../../domain/errors.ts";
import type { Logger } from "../../domain/log.ts";
import type { NewOperation, Operation, OperationProgress, OperationStore } from "../../domain/operation-store.ts";
import type { CancelResult, ReadPort, RedriveResult } from "../../domain/store.ts";

/** Executions one batch visits at most: 100 redrives are one group commit's worth of writes or a few. */
export const BULK_BATCH = 100;
/** Pause between two batches, so admissions (the redriven executions' among them) commit in between. */
export const BULK_PAUSE_MS = 5;
/** After the store refused a write: the batch is tried again from the saved cursor this much later. */
export const BULK_RETRY_MS = 5_000;

export interface BulkDeps {
  store: OperationStore;
  reads: Pick<ReadPort, "listExecutions">;
  commands: {
    redrive(executionId: string, actor: string | null): Promise<RedriveResult>;
    cancel(executionId: string, actor: string | null): Promise<CancelResult>;
  };
  clock: Clock;
  logger: Logger;
  newId: () => string;
  /** @default BULK_BATCH */
  batchSize?: number;
  /** 0 only yields to the event loop. @default BULK_PAUSE_MS */
  pauseMs?: number;
}

const pause = (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

/** Storage refusing writes, or the engine stopping: the batch stops, to be tried again from the saved cursor. */
const isTransient = (err: unknown) => err instanceof StorageError || err instanceof UnavailableError;

export class BulkOperations {
  private loop: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = true;
  /** Set when an operation is created while the loop runs, so it looks again before it ends. */
  private again = false;

  constructor(private readonly deps: BulkDeps) {}

  /** Stores a new operation QUEUED and, once started, sets it going (after those before it). */
  async create(op: Omit<NewOperation, "id">): Promise<Operation> {
    const created = await this.deps.store.createOperation({ ...op, id: this.deps.newId() }, this.deps.clock.now());
    this.deps.logger.info("bulk operation created", {
      operation: created.id,
      kind: created.kind,
      actor: created.actor,
      total: created.total,
    });
    this.kick();
    return created;
  }

  /** Stops a queued or running operation (INTERRUPTED); what it did stays done. Null when missing; unchanged when it had ended. */
  async interrupt(id: string, actor: string | null): Promise<Operation | null> {
    const op = await this.deps.store.interruptOperation(id, this.deps.clock.now());
    if (op?.status === "INTERRUPTED") {
      const { processed, changed, skipped, failed } = op;
      this.deps.logger.info("bulk operation stopped", { operation: id, kind: op.kind, by: actor, processed, changed, skipped, failed });
    }
    return op;
  }

  /**
   * One batch of the oldest unfinished operation, its progress saved; false when none is left.
   * Tests call it with the fake clock; `start` runs it in a loop.
   */
  async runBatch(): Promise<boolean> {
    const [op] = await this.deps.store.unfinishedOperations();
    if (op === undefined) return false;
    const { processed, changed, skipped, failed, cursor, lastError } = op;
    const progress: OperationProgress = { status: "RUNNING", processed, changed, skipped, failed, cursor, lastError };
    try {
      if (await this.batch(op, progress)) progress.status = "COMPLETED";
    } catch (err) {
      if (isTransient(err)) throw err;
      progress.status = "FAILED";
      progress.lastError = err instanceof Error ? err.message : String(err);
      this.deps.logger.error("a bulk operation failed and stopped; what it did so far stays done", {
        operation: op.id,
        error: progress.lastError,
      });
    }
    await this.deps.store.saveOperationProgress(op.id, progress, this.deps.clock.now());
    if (progress.status === "COMPLETED") {
      const { processed, changed, skipped, failed } = progress;
      this.deps.logger.info("bulk operation completed", { operation: op.id, kind: op.kind, processed, changed, skipped, failed });
    }
    return true;
  }

  /** Visits the next batch of `op`'s scope, counting into `progress`; true when the scope is exhausted. */
  private async batch(op: Operation, progress: OperationProgress): Promise<boolean> {
    const { batchSize = BULK_BATCH } = this.deps;
    let ids: string[];
    let done: boolean;
    if ("ids" in op.scope) {
      const from = Number(op.cursor);
      ids = op.scope.ids.slice(from, from + batchSize);
      progress.cursor = String(from + ids.length);
      done = from + ids.length >= op.scope.ids.length;
    } else {
      const page = await this.deps.reads.listExecutions({ ...op.scope.filter, cursor: op.cursor, limit: batchSize });
      ids = page.executions.map((e) => e.id);
      progress.cursor = page.nextCursor ?? op.cursor;
      done = page.nextCursor === null;
    }
    // All of a batch's commands at once: their writes share one group commit instead of one each.
    const outcomes = await Promise.all(ids.map((id) => this.apply(op, id)));
    for (const [i, outcome] of outcomes.entries()) {
      const id = ids[i]!;
      progress.processed++;
      if (outcome === "changed") progress.changed++;
      else if (outcome === "skipped") progress.skipped++;
      else {
        progress.failed++;
        progress.lastError = `${id}: ${outcome.error}`;
      }
    }
    return done;
  }

  /** The command on one execution: changed, skipped (not applicable, or gone), or failed with why. Transient errors stop the batch. */
  private async apply(op: Operation, id: string): Promise<"changed" | "skipped" | { error: string }> {
    try {
      if (op.kind === "redrive") return (await this.deps.commands.redrive(id, op.actor)).outcome === "redriven" ? "changed" : "skipped";
      const { outcome } = await this.deps.commands.cancel(id, op.actor);
      return outcome === "cancelled" || outcome === "requested" ? "changed" : "skipped";
    } catch (err) {
      if (isTransient(err)) throw err;
      return { error: err instanceof Error ? err.message : String(err) };
    }
  }

  /** Resumes the unfinished operations (QUEUED or RUNNING when the process stopped), then runs each new one. */
  start(): void {
    this.stopped = false;
    this.kick();
  }

  /** No new batch; resolves once the batch in flight has saved its progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.loop;
  }

  private kick(): void {
    this.again = true;
    if (this.stopped || this.loop !== null || this.timer !== undefined) return;
    this.loop = this.drain().finally(() => (this.loop = null));
  }

  private async drain(): Promise<void> {
    try {
      while (!this.stopped) {
        this.again = false;
        if (await this.runBatch()) await pause(this.deps.pauseMs ?? BULK_PAUSE_MS);
        else if (!this.again) break;
      }
    } catch (err) {
      this.deps.logger.warn("a bulk operation could not go on; it continues from its last saved batch in 5 seconds", {
        error: err instanceof StorageError ? err.reason : err instanceof Error ? err.message : String(err),
      });
      if (this.stopped) return;
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.kick();
      }, BULK_RETRY_MS);
      this.timer.unref?.();
    }
  }
}
