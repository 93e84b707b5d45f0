/**
 * Delayed starts: executions stored QUEUED with a `runAt` still ahead wait here, in memory,
 * until it comes; then they join the admission queue, whose admission reads each one again
 * (so one cancelled meanwhile is nothing to run). One timer on the injected clock, armed for
 * the earliest; a restart rebuilds the schedule from the store's recovery plan.
 */
import type { Clock, TimerHandle } from "../../domain/clock.ts";
import type { QueuedRef } from "../../domain/model.ts";

export interface DelayedStartsDeps {
  clock: Clock;
  /** Queues an execution for admission. */
  enqueue: (ref: QueuedRef) => void;
}

interface Entry {
  ref: QueuedRef;
  runAt: number;
  /** Order added: ties on `runAt` keep it. */
  seq: number;
}

const before = (a: Entry, b: Entry): boolean => a.runAt < b.runAt || (a.runAt === b.runAt && a.seq < b.seq);

export class DelayedStarts {
  /** By `runAt`, then in the order added. */
  private readonly schedule: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  private seq = 0;
  private timer: TimerHandle | null = null;
  /** The `runAt` the timer is armed for. */
  private armedFor = 0;
  private started = false;

  constructor(private readonly deps: DelayedStartsDeps) {}

  /** Executions waiting for their `runAt`. */
  get size(): number {
    return this.schedule.length;
  }

  /** Queues an execution once `runAt` has come (again for one already waiting: the new time wins). */
  add(ref: QueuedRef, runAt: number): void {
    const { id, definitionId, definitionVersion, priority, concurrencyKey } = ref;
    this.remove(id);
    const entry: Entry = { ref: { id, definitionId, definitionVersion, priority, concurrencyKey }, runAt, seq: this.seq++ };
    // Binary search for the first entry that comes after the new one.
    let lo = 0;
    let hi = this.schedule.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(entry, this.schedule[mid]!)) hi = mid;
      else lo = mid + 1;
    }
    this.schedule.splice(lo, 0, entry);
    this.byId.set(id, entry);
    if (lo === 0) this.arm();
  }

  /** True while `id` waits here for its `runAt`. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Forgets a delayed execution (it was cancelled). False when it was not waiting here. */
  drop(id: string): boolean {
    const first = this.schedule[0]?.ref.id === id;
    if (!this.remove(id)) return false;
    if (first) this.arm();
    return true;
  }

  /** Queues, in `runAt` order, every execution whose `runAt` is at or before `now`; returns their ids. */
  runOnce(now: number): string[] {
    let due = 0;
    while (due < this.schedule.length && this.schedule[due]!.runAt <= now) due++;
    const refs = this.schedule.splice(0, due).map((e) => e.ref);
    for (const ref of refs) this.byId.delete(ref.id);
    for (const ref of refs) this.deps.enqueue(ref);
    return refs.map((r) => r.id);
  }

  /** Arms the timer for the earliest `runAt`, and again after each round. */
  start(): void {
    this.started = true;
    this.arm();
  }

  /** Cancels the timer and forgets the schedule (the store keeps it for the next start). */
  stop(): void {
    this.started = false;
    this.timer?.cancel();
    this.timer = null;
    this.schedule.length = 0;
    this.byId.clear();
  }

  private remove(id: string): boolean {
    const entry = this.byId.get(id);
    if (!entry) return false;
    this.byId.delete(id);
    this.schedule.splice(this.schedule.indexOf(entry), 1);
    return true;
  }

  /** One timer, due at the earliest `runAt`; none while nothing waits. */
  private arm(): void {
    if (!this.started) return;
    const next = this.schedule[0];
    if (this.timer !== null && next?.runAt === this.armedFor) return;
    this.timer?.cancel();
    this.timer = null;
    if (!next) return;
    const { clock } = this.deps;
    this.armedFor = next.runAt;
    this.timer = clock.setTimer(
      () => {
        this.timer = null;
        this.runOnce(clock.now());
        this.arm();
      },
      Math.max(0, next.runAt - clock.now()),
    );
  }
}
