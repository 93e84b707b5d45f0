/**
 * Recovery from storage faults without a restart. When the database refuses writes (disk
 * full, I/O error), the store refuses every write until a probe write succeeds. This service
 * probes while writes are refused and, once they are accepted, has the engine pick up what
 * waited: refused decisions of running executions are sent again in order, executions whose
 * admission or run failed are read again from the database and admitted or resumed, and the
 * queue moves on.
 *
 * It runs only while something waits (armed by the store's fault, a refused write or a
 * parked execution) and stops by itself once everything is picked up.
 */
import type { Clock, TimerHandle } from "../../domain/clock.ts";
import type { Logger } from "../../domain/log.ts";
import type { StoreHealth } from "../../domain/store.ts";

/** How often a refusing database is probed, and parked work retried. */
export const FAULT_PROBE_INTERVAL_MS = 500;

export interface FaultRecoveryDeps {
  store: Pick<StoreHealth, "writeFault" | "probeWrites">;
  clock: Clock;
  logger: Logger;
  /** Picks up what waited; returns true while anything still waits (a retry not yet due). */
  resume: (now: number) => boolean;
}

export class FaultRecovery {
  private timer: TimerHandle | null = null;
  private stopped = false;
  private running = false;

  constructor(
    private readonly deps: FaultRecoveryDeps,
    private readonly intervalMs = FAULT_PROBE_INTERVAL_MS,
  ) {}

  /** One round: probe if writes are refused; once accepted, resume. True while work still waits. */
  async runOnce(now: number): Promise<boolean> {
    const { store } = this.deps;
    if (store.writeFault() !== null && !(await store.probeWrites())) return true;
    return this.deps.resume(now);
  }

  /** Makes sure a round runs soon (idempotent). */
  arm(): void {
    if (this.stopped || this.timer !== null || this.running) return;
    this.timer = this.deps.clock.setTimer(() => void this.tick(), this.intervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private async tick(): Promise<void> {
    this.timer = null;
    this.running = true;
    let again = true;
    try {
      again = await this.runOnce(this.deps.clock.now());
    } catch (err) {
      this.deps.logger.error("could not check whether the database accepts writes again; trying again shortly", {
        error: err instanceof Error ? err.message : String(err),
      });
    } finally {
      this.running = false;
    }
    if (again) this.arm();
  }
}
