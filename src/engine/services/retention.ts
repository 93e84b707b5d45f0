/**
 * Retention: deletes terminal executions that ended more than `--retention-days` ago and, with
 * `--retention-max-executions N`, the oldest finished beyond N stored, then gives the freed
 * pages back to the file system. What may go is the store's rule (`RetentionStore`): never an
 * unfinished execution, one with handlers left, or one a stored rerun points at.
 *
 * Small steps so admission keeps flowing: each batch (at most `batchSize` executions) and each
 * vacuum step is one short write through group commit, and the service pauses 5 ms between
 * them, so admissions commit in batches of their own. A pass stops after `maxBatches` batches;
 * the next pass follows a second later when work was left, else a minute later. Housekeeping, like the key purge: it runs on
 * real, unref'd timers, reading the time from the injected clock.
 */
import type { Clock } from "../../domain/clock.ts";
import { StorageError } from "../../domain/errors.ts";
import type { Logger } from "../../domain/log.ts";
import type { ExpiryRule, RetentionStore } from "../../domain/store.ts";

/** Executions one batch deletes at most: one short transaction (measured: docs/performance.md). */
export const RETENTION_BATCH = 500;
/** Batches one pass runs at most before it lets the next pass continue. */
export const RETENTION_MAX_BATCHES = 100;
/** Pages one vacuum step gives back: 1 MiB at SQLite's 4 KiB pages (steps of 4 MiB held the writer up to 55 ms at 100,000 executions). */
export const RETENTION_VACUUM_PAGES = 256;
/**
 * Pause between two steps, so group commits without a delete in them run between: back to back,
 * every admission waited for a batch (at 100,000 executions: p50 0.13 ms alone, 6.6 ms while cleaning).
 */
export const RETENTION_PAUSE_MS = 5;
/** The log's `left` counts up to this many (more is said as "100000+"): counting 900,000 held the event loop 30-50 ms. */
export const RETENTION_LEFT_COUNTED = 100_000;
/** Vacuum steps one pass runs at most. */
export const RETENTION_MAX_VACUUM_STEPS = 256;
export const RETENTION_FIRST_PASS_MS = 2_000;
export const RETENTION_INTERVAL_MS = 60_000;
/** Pause before the next pass when the last one stopped at its bound with more to delete. */
export const RETENTION_CATCH_UP_MS = 1_000;

export interface RetentionDeps {
  store: Pick<RetentionStore, "deleteExpired" | "countExpired" | "releaseFreePages">;
  clock: Clock;
  logger: Logger;
  /** Terminal executions that ended longer ago than this go; 0: none goes for its age. */
  retentionMs: number;
  /** At most this many executions stay stored (the oldest terminal ones go); 0: no cap. */
  maxExecutions: number;
  /** @default RETENTION_BATCH */
  batchSize?: number;
  /** @default RETENTION_MAX_BATCHES */
  maxBatches?: number;
  /** @default RETENTION_VACUUM_PAGES */
  vacuumPages?: number;
  /** How long after `start` the first pass runs. @default RETENTION_FIRST_PASS_MS */
  firstPassMs?: number;
  /** Between two steps of a pass; 0 only yields to the event loop. @default RETENTION_PAUSE_MS */
  pauseMs?: number;
}

/** What one pass did. */
export interface RetentionPass {
  deleted: number;
  batches: number;
  /** Executions the rule still selects when the pass stopped at its bound, at most `RETENTION_LEFT_COUNTED` (0 when it ran out of work). */
  left: number;
  /** Free pages given back to the file system. */
  pagesReleased: number;
}

/** Lets the event loop run (timers, I/O, other writes) for `ms` before the next step; 0: one turn. */
const pause = (ms: number) => new Promise<void>((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));

export class Retention {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  private deletedTotal = 0;

  constructor(private readonly deps: RetentionDeps) {}

  /** False with neither a retention time nor a cap: nothing is ever deleted, and `start` does nothing. */
  get enabled(): boolean {
    return this.deps.retentionMs > 0 || this.deps.maxExecutions > 0;
  }

  /** Executions deleted since this process started (the metric `baton_retention_deleted_total`). */
  get deleted(): number {
    return this.deletedTotal;
  }

  /** The store's rule for a pass at `now`. */
  rule(now: number): ExpiryRule {
    const { retentionMs, maxExecutions, batchSize = RETENTION_BATCH } = this.deps;
    return { endedBefore: retentionMs > 0 ? now - retentionMs : null, keepAtMost: maxExecutions, limit: batchSize };
  }

  /** One pass at `now`: batches until nothing is left to delete or the bound is reached, then the vacuum steps. */
  async runOnce(now: number): Promise<RetentionPass> {
    const pass: RetentionPass = { deleted: 0, batches: 0, left: 0, pagesReleased: 0 };
    if (!this.enabled) return pass;
    const rule = this.rule(now);
    const maxBatches = this.deps.maxBatches ?? RETENTION_MAX_BATCHES;
    let full = false;
    while (pass.batches < maxBatches && !this.stopped) {
      if (pass.batches > 0) await pause(this.deps.pauseMs ?? RETENTION_PAUSE_MS);
      const n = await this.deps.store.deleteExpired(rule);
      pass.batches++;
      pass.deleted += n;
      this.deletedTotal += n;
      full = n >= rule.limit;
      if (!full) break;
    }
    if (full) pass.left = await this.deps.store.countExpired(rule, RETENTION_LEFT_COUNTED);
    if (pass.deleted > 0) pass.pagesReleased = await this.releaseFreePages();
    return pass;
  }

  /** Gives free pages back a step at a time; stops when none are left or a step gives none back (no incremental vacuum). */
  private async releaseFreePages(): Promise<number> {
    const pages = this.deps.vacuumPages ?? RETENTION_VACUUM_PAGES;
    const first = await this.deps.store.releaseFreePages(0);
    let free = first;
    for (let step = 0; free > 0 && step < RETENTION_MAX_VACUUM_STEPS && !this.stopped; step++) {
      await pause(this.deps.pauseMs ?? RETENTION_PAUSE_MS);
      const left = await this.deps.store.releaseFreePages(pages);
      if (left >= free) break;
      free = left;
    }
    return first - free;
  }

  /** The first pass shortly after start, then one a minute (a second when the last one left work). */
  start(): void {
    if (!this.enabled) return;
    this.stopped = false;
    this.schedule(this.deps.firstPassMs ?? RETENTION_FIRST_PASS_MS);
  }

  /** No new pass; resolves once a pass in flight has finished its current step. */
  stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    return this.inFlight ?? Promise.resolve();
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.inFlight = this.pass().finally(() => (this.inFlight = null));
    }, ms);
    this.timer.unref?.();
  }

  private async pass(): Promise<void> {
    const { clock, logger } = this.deps;
    const started = clock.now();
    try {
      const pass = await this.runOnce(started);
      if (pass.deleted > 0) {
        logger.info(
          pass.left > 0
            ? "retention deleted old executions; more are past retention, the next pass follows in a second"
            : "retention deleted old executions",
          {
            deleted: pass.deleted,
            batches: pass.batches,
            durationMs: clock.now() - started,
            left: pass.left < RETENTION_LEFT_COUNTED ? pass.left : `${RETENTION_LEFT_COUNTED}+`,
            pagesReleased: pass.pagesReleased,
          },
        );
      }
      this.schedule(pass.left > 0 ? RETENTION_CATCH_UP_MS : RETENTION_INTERVAL_MS);
    } catch (err) {
      logger.warn("retention could not delete old executions; it tries again in a minute", {
        error: err instanceof StorageError ? err.reason : err instanceof Error ? err.message : String(err),
      });
      this.schedule(RETENTION_INTERVAL_MS);
    }
  }
}
