/**
 * One gate of the flow queue (`flow-queue.ts`): a limit that queued executions share (a
 * definition's running count, one key's running count, or a definition's recent starts), the
 * executions waiting at it in their order, and the arithmetic of a rate window.
 */
import type { WaitReason } from "../domain/flow.ts";
import type { QueuedRef } from "../domain/model.ts";
import { Heap } from "./heap.ts";

export type GateKind = "definitionLimit" | "concurrencyKey" | "rateLimit";

/** One limit that executions share: a definition's running count, one key's running count, or a definition's recent starts. */
export class Gate {
  running = 0;
  /** Entries (waiting or admitted) that count on this gate: it is dropped only once none does. */
  refs = 0;
  /** Start times, oldest first, within the largest window seen (rate gates only). */
  starts: number[] = [];
  window = 0;
  /** Rate gates learn the starts before this process from the store first. */
  initialized = false;
  readonly waiting = new Heap<QueueEntry>(before);

  constructor(
    readonly kind: GateKind,
    readonly name: string,
  ) {}

  /** True when `limit` is reached at `now`: its running count, or its window's starts. */
  full({ limit, perMs }: Limit, now: number): boolean {
    if (this.kind !== "rateLimit") return this.running >= limit;
    return this.startsWithin(now, perMs) >= limit;
  }

  /** Starts in the window of `perMs` before `now`; starts older than the largest window are dropped. */
  startsWithin(now: number, perMs: number): number {
    const { starts } = this;
    const horizon = now - this.window;
    let drop = 0;
    while (drop < starts.length && starts[drop]! <= horizon) drop++;
    if (drop > 0) starts.splice(0, drop);
    const since = now - perMs;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid]! <= since) lo = mid + 1;
      else hi = mid;
    }
    return starts.length - lo;
  }

  /** When the window of `limit` has room for one more start. */
  reopensAt({ limit, perMs }: Limit, now: number): number {
    if (this.startsWithin(now, perMs) < limit) return now;
    // The start that must leave the window first: the `limit`-th newest.
    return this.starts[this.starts.length - limit]! + perMs;
  }
}

/** One of an entry's limits, with the entry's own value of it (versions of a definition may differ). */
export interface Limit {
  gate: Gate;
  limit: number;
  /** Rate gates: the window. */
  perMs: number;
}

export interface QueueEntry extends QueuedRef {
  /** Submitted by this process: every task PENDING, admitted without a read first. */
  fresh: boolean;
  /** A RUNNING execution taking its slot back at start: it goes first and passes every limit (it runs already). */
  resuming: boolean;
  seq: number;
  limits: Limit[];
  /** In line (`slot`), at a gate, admitted and holding its places (`held`), or removed. */
  where: Exclude<WaitReason, "runAt"> | "held" | "gone";
  /** The gate that let it back in line: if it is held back elsewhere, that gate lets the next one in. */
  from: Gate | null;
}

/** Highest priority first, then first in; resumed executions before all. */
export function before(a: QueueEntry, b: QueueEntry): boolean {
  if (a.resuming !== b.resuming) return a.resuming;
  if (a.priority !== b.priority) return a.priority > b.priority;
  return a.seq < b.seq;
}

/** The best entry of a heap that is still waiting (removed ones are dropped on the way). */
export function topOf(heap: Heap<QueueEntry>): QueueEntry | undefined {
  let head = heap.peek();
  while (head && head.where === "gone") {
    heap.pop();
    head = heap.peek();
  }
  return head;
}
