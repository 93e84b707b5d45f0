/**
 * A counting semaphore whose waiters are served first in, first out. Release it in a
 * `finally`; it never polls. It also keeps its slot time: permits held, summed over time
 * (`busyMs`), so the cost of holding a slot can be told apart from the work done in it.
 */
export class Semaphore {
  private used = 0;
  private readonly waiters: (() => void)[] = [];
  /** Permit-milliseconds held up to `since`. */
  private busy = 0;
  private since: number;

  /** `now` (milliseconds) times the slots; without it, `busyMs` stays 0. */
  constructor(
    readonly limit: number,
    private readonly now: () => number = () => 0,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
    this.since = now();
  }

  get inUse(): number {
    return this.used;
  }

  /** Milliseconds of permits held, summed over permits, since the semaphore was made. */
  get busyMs(): number {
    this.account();
    return this.busy;
  }

  /** Adds the permits held since the last change; call before `used` changes. */
  private account(): void {
    const t = this.now();
    this.busy += this.used * (t - this.since);
    this.since = t;
  }

  /** Takes a permit if one is free, without waiting. */
  tryAcquire(): boolean {
    if (this.used >= this.limit || this.waiters.length > 0) return false;
    this.account();
    this.used++;
    return true;
  }

  /** Resolves once a permit is held. */
  acquire(): Promise<void> {
    if (this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Takes a permit even when none is free (the count may pass the limit): for a holder that
   * gave its permit back too early and must account for it again. Waiters wait longer.
   */
  forceAcquire(): void {
    this.account();
    this.used++;
  }

  release(): void {
    if (this.used === 0) throw new Error("semaphore released more often than acquired");
    const next = this.waiters.shift();
    if (next)
      next(); // the permit passes straight to the next waiter
    else {
      this.account();
      this.used--;
    }
  }
}
