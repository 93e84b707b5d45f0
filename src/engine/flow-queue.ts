/**
 * The admission queue with flow control: executions waiting for a slot, highest priority first
 * and first in, first out among equals, each held back while one of its definition's limits is
 * reached (`maxConcurrent`, a `concurrency` key at its limit, a `rateLimit` window full).
 *
 * No head-of-line blocking: an execution held back by a limit leaves the line and waits at
 * that limit's gate, in its own order, so the executions behind it start at once. When the gate
 * opens (a running execution of it gives its place back, or a rate window moves on), the best
 * one waiting there rejoins the line with its original place. Every step is O(log n); nothing
 * scans the waiting executions.
 *
 * The queue only decides; `admission.ts` holds the slots and the writes, `flow-intake.ts` the
 * reads before an execution joins and the rate timer.
 * A gate and its rate window are in `flow-gate.ts`.
 *
 * Over 300 lines: the line, the gates' waiting lists and the per-reason counts change together
 * in every step (an entry moves between them), so split they would each need the other's internals.
 */
import { type FlowLimits, WAIT_REASONS, type WaitReason } from "../domain/flow.ts";
import type { QueuedRef } from "../domain/model.ts";
import { Fifo } from "./fifo.ts";
import { before, Gate, type GateKind, type Limit, type QueueEntry, topOf } from "./flow-gate.ts";
import { Heap } from "./heap.ts";

/** The gates of an execution whose definition has no limits (shared: never changed). */
const NO_GATES: Limit[] = [];

export interface PushOptions {
  fresh?: boolean;
  resuming?: boolean;
}

export class FlowQueue {
  private readonly line = new Heap<QueueEntry>(before);
  /**
   * The line's plain entries (priority 0, no limit, not resumed), in arrival order: most
   * executions are plain, and a FIFO keeps them O(1). `next` takes the better of its head and
   * the heap's.
   */
  private readonly plain = new Fifo<QueueEntry>();
  private readonly gates = new Map<string, Gate>();
  /** The rate gates among them (the reopen timer looks only at these). */
  private readonly rateGates = new Set<Gate>();
  /** Entries waiting (in line or at a gate), by id. */
  private readonly waiting = new Map<string, QueueEntry>();
  /** Admitted entries holding their places at their gates, by id. */
  private readonly held = new Map<string, QueueEntry>();
  private readonly counts: Record<Exclude<WaitReason, "runAt">, number> = {
    slot: 0,
    concurrencyKey: 0,
    definitionLimit: 0,
    rateLimit: 0,
  };
  private seq = 0;

  /** Entries waiting, in line or at a gate. */
  get length(): number {
    return this.waiting.size;
  }

  /** Gates in memory (a key's gate is dropped once nobody counts on it). */
  get gateCount(): number {
    return this.gates.size;
  }

  /** True once a rate-limited definition was queued: only then can a rate window need a timer. */
  get rateLimited(): boolean {
    return this.rateGates.size > 0;
  }

  /** True when a rate-limited definition's recent starts must be read from the store before its executions are queued. */
  needsStarts(definitionId: string, limits: FlowLimits): boolean {
    return limits.rateLimit !== null && !this.gate("rateLimit", definitionId).initialized;
  }

  /** The starts of a rate-limited definition before this process (epoch ms, any order). */
  initStarts(definitionId: string, starts: readonly number[]): void {
    const gate = this.gate("rateLimit", definitionId);
    if (gate.initialized) return;
    gate.starts = [...starts, ...gate.starts].sort((a, b) => a - b);
    gate.initialized = true;
  }

  /** Queues an execution (again for one waiting already: nothing changes). */
  push(ref: QueuedRef, limits: FlowLimits, options: PushOptions = {}): void {
    if (this.waiting.has(ref.id)) return;
    const entry = this.entryOf(ref, limits, options);
    this.waiting.set(entry.id, entry);
    this.toLine(entry);
  }

  /**
   * The best entry allowed to start now, taken out of the queue and holding its places; null
   * when none is. Entries held back on the way wait at their gate. Call only with a slot free.
   */
  next(now: number): QueueEntry | null {
    for (;;) {
      const ranked = topOf(this.line);
      const first = this.firstPlain();
      const entry = first && (!ranked || before(first, ranked)) ? first : ranked;
      if (!entry) return null;
      if (entry === first) this.plain.shift();
      else this.line.pop();
      this.counts.slot--;
      const blocking = this.blockedBy(entry, now);
      if (blocking) {
        this.atGate(entry, blocking, now);
        continue;
      }
      this.waiting.delete(entry.id);
      this.take(entry, now);
      return entry;
    }
  }

  /**
   * A submission that found a slot free and nobody in line: true, holding its places, when no
   * limit holds it back (and nobody waits at its gates ahead of it).
   */
  tryDirect(ref: QueuedRef, limits: FlowLimits, now: number): boolean {
    if (this.counts.slot > 0) return false;
    const entry = this.entryOf(ref, limits, { fresh: true });
    if (entry.limits.some((l) => l.gate.kind === "rateLimit" && !l.gate.initialized) || this.blockedBy(entry, now)) {
      this.unref(entry);
      return false;
    }
    this.take(entry, now);
    return true;
  }

  /** An admitted execution no longer needs its places: the gates it held let the next one in. */
  release(id: string, now: number): void {
    const entry = this.held.get(id);
    if (!entry) return;
    this.held.delete(id);
    for (const { gate } of entry.limits) {
      if (gate.kind === "rateLimit") continue;
      gate.running--;
      this.refill(gate, now);
    }
    this.unref(entry);
  }

  /** Takes an entry's places again without asking (it released them too early: its end did not commit); a rate window counts it once. */
  retake(entry: QueueEntry): void {
    if (this.held.has(entry.id)) return;
    entry.where = "held";
    for (const { gate } of entry.limits) {
      gate.refs++;
      if (gate.kind !== "rateLimit") gate.running++;
    }
    this.held.set(entry.id, entry);
  }

  /** The admitted entry of `id`, while it holds its places. */
  heldEntry(id: string): QueueEntry | undefined {
    return this.held.get(id);
  }

  /** Forgets a waiting execution (cancelled while QUEUED). */
  remove(id: string, now: number): boolean {
    const entry = this.waiting.get(id);
    if (!entry) return false;
    this.waiting.delete(id);
    if (entry.where !== "held" && entry.where !== "gone") this.counts[entry.where]--;
    entry.where = "gone";
    // A gate whose next-best entry left may let the one after it in.
    for (const { gate } of entry.limits) this.refill(gate, now);
    this.unref(entry);
    return true;
  }

  /** What a waiting execution waits for, or null when it is not waiting here. */
  reasonOf(id: string): Exclude<WaitReason, "runAt"> | null {
    const where = this.waiting.get(id)?.where;
    return where === undefined || where === "held" || where === "gone" ? null : where;
  }

  /** Waiting executions by what they wait for (`runAt` is the delayed starts' count, not kept here). */
  waitingCounts(): Record<WaitReason, number> {
    return Object.fromEntries(WAIT_REASONS.map((r) => [r, r === "runAt" ? 0 : this.counts[r]])) as Record<WaitReason, number>;
  }

  /** Ids of the first `n` waiting executions in the order they would start if nothing held them back. */
  peekIds(n: number): string[] {
    return [...this.waiting.values()]
      .sort((a, b) => (before(a, b) ? -1 : 1))
      .slice(0, n)
      .map((e) => e.id);
  }

  /** When the earliest full rate window with executions waiting at it has room again; null when none. */
  nextReopen(now: number): number | null {
    if (this.rateGates.size === 0) return null;
    let earliest: number | null = null;
    for (const gate of this.rateGates) {
      const head = topOf(gate.waiting);
      if (!head) continue;
      const limit = head.limits.find((l) => l.gate === gate)!;
      const at = gate.reopensAt(limit, now);
      if (earliest === null || at < earliest) earliest = at;
    }
    return earliest;
  }

  /** Lets back in line, from each rate gate, as many waiting executions as its window has room for now. */
  reopen(now: number): void {
    for (const gate of this.rateGates) this.refill(gate, now, Number.POSITIVE_INFINITY);
  }

  /** A new entry (only the fields it needs of `ref`: a whole execution may be passed), counted on its gates. */
  private entryOf(ref: QueuedRef, limits: FlowLimits, options: PushOptions): QueueEntry {
    return {
      id: ref.id,
      definitionId: ref.definitionId,
      definitionVersion: ref.definitionVersion,
      priority: ref.priority,
      concurrencyKey: ref.concurrencyKey,
      fresh: options.fresh ?? false,
      resuming: options.resuming ?? false,
      seq: this.seq++,
      limits: this.limitsOf(ref, limits),
      where: "slot",
      from: null,
    };
  }

  /** The entry's gates, each counting one more entry on it. */
  private limitsOf(ref: QueuedRef, limits: FlowLimits): Limit[] {
    const out = this.gatesOf(ref, limits);
    for (const { gate } of out) gate.refs++;
    return out;
  }

  private gatesOf(ref: QueuedRef, limits: FlowLimits): Limit[] {
    if (limits.maxConcurrent === null && limits.concurrency === null && limits.rateLimit === null) return NO_GATES;
    const out: Limit[] = [];
    if (limits.maxConcurrent !== null)
      out.push({ gate: this.gate("definitionLimit", ref.definitionId), limit: limits.maxConcurrent, perMs: 0 });
    if (limits.concurrency !== null && ref.concurrencyKey !== null) {
      const gate = this.gate("concurrencyKey", `${ref.definitionId}\u0000${ref.concurrencyKey}`);
      out.push({ gate, limit: limits.concurrency.limit, perMs: 0 });
    }
    if (limits.rateLimit !== null) {
      const gate = this.gate("rateLimit", ref.definitionId);
      gate.window = Math.max(gate.window, limits.rateLimit.perMs);
      out.push({ gate, limit: limits.rateLimit.count, perMs: limits.rateLimit.perMs });
    }
    return out;
  }

  private gate(kind: GateKind, name: string): Gate {
    const k = `${kind}\u0000${name}`;
    let gate = this.gates.get(k);
    if (!gate) {
      gate = new Gate(kind, name);
      this.gates.set(k, gate);
      if (kind === "rateLimit") this.rateGates.add(gate);
    }
    return gate;
  }

  /** The entry no longer counts on its gates: a count gate nobody counts on is dropped (10,000 keys must not stay in memory). */
  private unref(entry: QueueEntry): void {
    for (const { gate } of entry.limits) {
      gate.refs--;
      if (gate.refs === 0 && gate.kind !== "rateLimit") this.gates.delete(`${gate.kind}\u0000${gate.name}`);
    }
  }

  /** The limit that holds `entry` back now: one that is reached, or one where a better entry waits. */
  private blockedBy(entry: QueueEntry, now: number): Limit | null {
    if (entry.resuming) return null;
    for (const limit of entry.limits) {
      if (limit.gate.full(limit, now)) return limit;
      const head = topOf(limit.gate.waiting);
      if (head && before(head, entry)) return limit;
    }
    return null;
  }

  private take(entry: QueueEntry, now: number): void {
    entry.where = "held";
    entry.from = null;
    for (const { gate } of entry.limits) {
      if (gate.kind === "rateLimit") gate.starts.push(now);
      else gate.running++;
    }
    // Without limits there are no places to give back: nothing to remember.
    if (entry.limits.length > 0) this.held.set(entry.id, entry);
  }

  private toLine(entry: QueueEntry): void {
    entry.where = "slot";
    this.counts.slot++;
    if (entry.priority === 0 && !entry.resuming && entry.limits.length === 0) this.plain.push(entry);
    else this.line.push(entry);
  }

  /** The oldest plain entry still waiting (removed ones are dropped on the way). */
  private firstPlain(): QueueEntry | undefined {
    let head = this.plain.first();
    while (head && head.where === "gone") {
      this.plain.shift();
      head = this.plain.first();
    }
    return head;
  }

  private atGate(entry: QueueEntry, limit: Limit, now: number): void {
    entry.where = limit.gate.kind;
    this.counts[limit.gate.kind]++;
    limit.gate.waiting.push(entry);
    const from = entry.from;
    entry.from = null;
    if (from && from !== limit.gate) this.refill(from, now);
  }

  /** Lets the best entry waiting at `gate` back in line (up to `most` of them) while the gate has room for it. */
  private refill(gate: Gate, now: number, most = 1): void {
    for (let moved = 0; moved < most; moved++) {
      const head = topOf(gate.waiting);
      if (!head) return;
      const limit = head.limits.find((l) => l.gate === gate)!;
      const room = gate.kind === "rateLimit" ? gate.startsWithin(now, limit.perMs) + moved < limit.limit : !limit.gate.full(limit, now);
      if (!room) return;
      gate.waiting.pop();
      this.counts[gate.kind]--;
      head.from = gate;
      this.toLine(head);
    }
  }
}
