/**
 * Parked work: executions (or their handlers) that failed for a reason outside their own
 * logic (a storage fault, a bug) and are tried again by fault recovery: as soon as writes are
 * accepted after a storage fault, else after a backoff (1 s, 2 s, … 60 s) so that a bug does
 * not spin. Admission and the handler runner each keep their own.
 */
import type { Clock } from "../domain/clock.ts";
import { StorageError } from "../domain/errors.ts";
import type { Logger } from "../domain/log.ts";

/** Longest wait between retries of parked work that failed for another reason than storage. */
const MAX_PARK_BACKOFF_MS = 60_000;

interface Parked {
  failures: number;
  /** Not retried before this time (epoch ms); 0: as soon as the store accepts writes. */
  notBefore: number;
}

export class Parking {
  private readonly parked = new Map<string, Parked>();

  constructor(
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Makes sure fault recovery runs soon. */
    private readonly arm: () => void,
  ) {}

  get size(): number {
    return this.parked.size;
  }

  has(id: string): boolean {
    return this.parked.has(id);
  }

  /** Remembers work that failed, to be tried again by `takeDue`. */
  park(id: string, err: unknown, failures: number, what: string): void {
    const storage = err instanceof StorageError;
    const delay = storage ? 0 : Math.min(MAX_PARK_BACKOFF_MS, 1000 * 2 ** (failures - 1));
    this.parked.set(id, { failures, notBefore: storage ? 0 : this.clock.now() + delay });
    const fields = { execution: id, error: err instanceof Error ? err.message : String(err) };
    if (storage) this.logger.debug(`${what}; it waits for the database to accept writes`, fields);
    else this.logger.error(`${what}; Baton reads it again from the database and retries`, { ...fields, retryInMs: delay });
    this.arm();
  }

  /** Takes out what is due at `now`, in the order it failed, handing each to `retry`. */
  takeDue(now: number, retry: (id: string, failures: number) => void): void {
    for (const [id, p] of this.parked) {
      if (p.notBefore > now) continue;
      this.parked.delete(id);
      retry(id, p.failures);
    }
  }
}
