/**
 * A counting semaphore whose waiters are served first in, first out. Release it in a
 * `finally`; it never polls.
 */
export class Semaphore {
  private used = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`semaphore limit must be a positive integer, got ${limit}`);
  }

  get inUse(): number {
    return this.used;
  }

  /** Takes a permit if one is free, without waiting. */
  tryAcquire(): boolean {
    if (this.used >= this.limit || this.waiters.length > 0) return false;
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
    this.used++;
  }

  release(): void {
    if (this.used === 0) throw new Error("semaphore released more often than acquired");
    const next = this.waiters.shift();
    if (next)
      next(); // the permit passes straight to the next waiter
    else this.used--;
  }
}
