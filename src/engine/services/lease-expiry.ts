/**
 * Lease expiry: a worker that stops sending heartbeats loses its lease, and its attempt fails
 * with `States.HeartbeatTimeout` (the task's retry policy applies). Expiry is judged from the
 * expiry time stored with each lease, read on the injected clock, so a lease granted before a
 * restart expires on time after it too. `runOnce(now)` does one round; `start()` runs a round
 * every `intervalMs` on the clock's timers while this process holds leases (`nudge()` when it
 * grants one), so an engine without remote work keeps no timer.
 */
import type { Clock, TimerHandle } from "../../domain/clock.ts";
import { StorageError } from "../../domain/errors.ts";
import type { Logger } from "../../domain/log.ts";
import type { Lease, LeaseStore } from "../../domain/store.ts";

export interface LeaseExpiryDeps {
  store: Pick<LeaseStore, "expiredLeases" | "endStaleLease">;
  clock: Clock;
  logger: Logger;
  /**
   * Fails the attempt of an expired lease; false when this process does not hold it (or a
   * heartbeat just reached it). The store then ends it if its attempt ended without it.
   */
  expire: (lease: Lease, now: number) => boolean;
  /** Time between rounds: a lease ends at most this long after its expiry. */
  intervalMs: number;
  /** Whether any lease is held in this process: rounds stop when none is. */
  holding: () => boolean;
}

export class LeaseExpiry {
  private timer: TimerHandle | null = null;
  private running = false;

  constructor(private readonly deps: LeaseExpiryDeps) {}

  /** Expires every lease whose stored expiry is at or before `now`; resolves how many were due. */
  async runOnce(now: number): Promise<number> {
    const due = await this.deps.store.expiredLeases(now);
    for (const lease of due) if (!this.deps.expire(lease, now)) await this.deps.store.endStaleLease(lease.leaseId, now);
    return due.length;
  }

  start(): void {
    this.running = true;
    this.arm();
  }

  /** A lease was granted or taken back: rounds run again if they had stopped. */
  nudge(): void {
    if (this.running && this.timer === null) this.arm();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = null;
  }

  private arm(): void {
    this.timer = null;
    if (!this.running || !this.deps.holding()) return;
    this.timer = this.deps.clock.setTimer(() => {
      this.runOnce(this.deps.clock.now())
        .catch((err: unknown) =>
          this.deps.logger.warn("could not look for expired worker leases; trying again shortly", {
            error: err instanceof StorageError ? err.reason : err instanceof Error ? err.message : String(err),
          }),
        )
        .finally(() => this.arm());
    }, this.deps.intervalMs);
  }
}
