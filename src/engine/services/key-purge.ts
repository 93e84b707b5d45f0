/**
 * Idempotency-key purge: forgets `Idempotency-Key`s older than the retention, at start and
 * every hour. Housekeeping only (an expired key is ignored when read anyway), so it runs on a
 * real, unref'd interval rather than the clock's timers, reading the time from the clock.
 */
import type { Clock } from "../../domain/clock.ts";
import { StorageError } from "../../domain/errors.ts";
import type { Logger } from "../../domain/log.ts";
import type { ExecutionWrites } from "../../domain/store.ts";

export const KEY_PURGE_INTERVAL_MS = 3600 * 1000;

export interface KeyPurgeDeps {
  store: Pick<ExecutionWrites, "purgeIdempotencyKeys">;
  clock: Clock;
  logger: Logger;
  /** How long a key is remembered. */
  retentionMs: number;
}

export class KeyPurge {
  private interval: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly deps: KeyPurgeDeps) {}

  /** Deletes the keys created before `now` minus the retention; resolves how many. */
  runOnce(now: number): Promise<number> {
    return this.deps.store.purgeIdempotencyKeys(now - this.deps.retentionMs);
  }

  /** Purges now and every hour; a failure is logged and tried again at the next round. */
  start(): void {
    this.purge();
    this.interval = setInterval(() => this.purge(), KEY_PURGE_INTERVAL_MS);
    this.interval.unref?.();
  }

  stop(): void {
    clearInterval(this.interval);
    this.interval = undefined;
  }

  private purge(): void {
    this.runOnce(this.deps.clock.now()).catch((err: unknown) =>
      this.deps.logger.warn("could not purge expired idempotency keys; will try again in an hour", {
        error: err instanceof StorageError ? err.reason : err instanceof Error ? err.message : String(err),
      }),
    );
  }
}
