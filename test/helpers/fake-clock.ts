/**
 * A `Clock` the test moves by hand. Timers fire in due-time order (ties in the order they
 * were set) and pending promises are flushed between timers, so the engine's async store
 * writes complete before the next timer fires.
 */
import type { Clock, TimerHandle } from "../../src/domain/clock.ts";

interface Timer {
  due: number;
  order: number;
  fn: () => void;
}

/** Lets every queued microtask, promise chain and `setImmediate` callback run. */
export async function flushPromises(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private current: number;
  private timers: Timer[] = [];
  private order = 0;

  /** @default 1_700_000_000_000 (a fixed, round epoch instant) */
  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer: Timer = { due: this.current + Math.max(0, ms), order: this.order++, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  /** Timers not yet fired or cancelled. */
  get pending(): number {
    return this.timers.length;
  }

  /** Due time of the earliest pending timer, or null. */
  nextDue(): number | null {
    const next = this.earliest();
    return next ? next.due : null;
  }

  /** Flushes pending promises without moving time. */
  async flush(): Promise<void> {
    await flushPromises();
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in time order. */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError("time only moves forward");
    const target = this.current + ms;
    await this.flush();
    for (;;) {
      const next = this.earliest();
      if (!next || next.due > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.due);
      next.fn();
      await this.flush();
    }
    this.current = target;
    await this.flush();
  }

  /**
   * Moves time forward by `ms` without firing anything: a host that slept or a clock set
   * forward. Timers that came due meanwhile fire late, at the next `advance`.
   */
  async jump(ms: number): Promise<void> {
    if (ms < 0) throw new RangeError("time only moves forward");
    this.current += ms;
    await this.flush();
  }

  /** Moves time to the earliest pending timer and fires it (and any due at the same instant). */
  async advanceToNext(): Promise<boolean> {
    const due = this.nextDue();
    if (due === null) return false;
    await this.advance(Math.max(0, due - this.current)); // overdue after a jump: fires now
    return true;
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) if (!best || t.due < best.due || (t.due === best.due && t.order < best.order)) best = t;
    return best;
  }
}
