/**
 * The flow queue alone: order, gates, rate windows, and a randomized run that checks after
 * every step that no limit is passed and that nothing able to start is left waiting.
 */
import { describe, expect, test } from "bun:test";
import { seededRng } from "../../test/helpers/setup.ts";
import { type FlowLimits, NO_LIMITS } from "../domain/flow.ts";
import type { QueuedRef } from "../domain/model.ts";
import { FlowQueue } from "./flow-queue.ts";
import { Heap } from "./heap.ts";

const ref = (id: string, over: Partial<QueuedRef> = {}): QueuedRef => ({
  id,
  definitionId: "d",
  definitionVersion: 1,
  priority: 0,
  concurrencyKey: null,
  ...over,
});
const keyed = (limit: number, maxConcurrent: number | null = null): FlowLimits => ({
  maxConcurrent,
  concurrency: { key: "{{input.k}}", limit },
  rateLimit: null,
});

/** Takes entries while the queue gives them. */
const drainIds = (q: FlowQueue, now = 0, most = 1000) => {
  const out: string[] = [];
  for (let i = 0; i < most; i++) {
    const e = q.next(now);
    if (!e) break;
    out.push(e.id);
  }
  return out;
};

describe("Heap", () => {
  test("pops in order for any push order", () => {
    const rng = seededRng(7);
    const heap = new Heap<number>((a, b) => a < b);
    const values = Array.from({ length: 500 }, () => Math.floor(rng() * 100));
    for (const v of values) heap.push(v);
    const out: number[] = [];
    while (heap.size > 0) out.push(heap.pop()!);
    expect(out).toEqual([...values].sort((a, b) => a - b));
  });
});

describe("FlowQueue", () => {
  test("without limits: priority, then first in first out", () => {
    const q = new FlowQueue();
    q.push(ref("a"), NO_LIMITS);
    q.push(ref("b", { priority: 2 }), NO_LIMITS);
    q.push(ref("c", { priority: 2 }), NO_LIMITS);
    q.push(ref("d", { priority: -1 }), NO_LIMITS);
    expect(q.peekIds(10)).toEqual(["b", "c", "a", "d"]);
    expect(drainIds(q)).toEqual(["b", "c", "a", "d"]);
  });

  test("resumed executions go first and pass every limit", () => {
    const q = new FlowQueue();
    q.push(ref("new", { priority: 100, concurrencyKey: "x" }), keyed(1));
    q.push(ref("r1", { concurrencyKey: "x" }), keyed(1), { resuming: true });
    q.push(ref("r2", { concurrencyKey: "x" }), keyed(1), { resuming: true });
    expect(drainIds(q)).toEqual(["r1", "r2"]);
    expect(q.reasonOf("new")).toBe("concurrencyKey");
  });

  test("an entry let back in by one gate but held by another lets the next one of the first gate in", () => {
    const q = new FlowQueue();
    const limits = keyed(1, 2);
    // Two running: a1 (key a) and b1 (key b): the definition is full.
    q.push(ref("a1", { concurrencyKey: "a" }), limits);
    q.push(ref("b1", { concurrencyKey: "b" }), limits);
    expect(drainIds(q)).toEqual(["a1", "b1"]);
    q.push(ref("b2", { concurrencyKey: "b" }), limits);
    q.push(ref("c1", { concurrencyKey: "c" }), limits);
    expect(drainIds(q)).toEqual([]);
    expect(q.waitingCounts()).toMatchObject({ definitionLimit: 2 });
    // a1 ends: the definition has room; b2 comes first but key b is taken, so c1 gets the place.
    q.release("a1", 0);
    expect(drainIds(q)).toEqual(["c1"]);
    expect(q.reasonOf("b2")).toBe("concurrencyKey");
    q.release("b1", 0);
    expect(drainIds(q)).toEqual(["b2"]);
  });

  test("the direct path is refused while a better entry waits at the same gate, or a limit is reached", () => {
    const q = new FlowQueue();
    q.push(ref("a1", { concurrencyKey: "a" }), keyed(1));
    expect(drainIds(q)).toEqual(["a1"]);
    expect(q.tryDirect(ref("a2", { concurrencyKey: "a" }), keyed(1), 0)).toBe(false);
    expect(q.tryDirect(ref("b1", { concurrencyKey: "b" }), keyed(1), 0)).toBe(true);
  });

  test("rate windows: count starts per window, reopening when the oldest leaves it", () => {
    const q = new FlowQueue();
    const limits: FlowLimits = { ...NO_LIMITS, rateLimit: { count: 2, perMs: 1000 } };
    expect(q.needsStarts("d", limits)).toBe(true);
    q.initStarts("d", [-500]); // one start half a second before
    for (const id of ["a", "b", "c", "d"]) q.push(ref(id), limits);
    expect(drainIds(q, 0)).toEqual(["a"]);
    expect(q.nextReopen(0)).toBe(500);
    q.reopen(499);
    expect(drainIds(q, 499)).toEqual([]);
    q.reopen(500);
    expect(drainIds(q, 500)).toEqual(["b"]);
    expect(q.nextReopen(500)).toBe(1000);
    q.reopen(1000);
    expect(drainIds(q, 1000)).toEqual(["c"]);
  });

  test("a key nobody counts on any more is dropped", () => {
    const q = new FlowQueue();
    for (let i = 0; i < 100; i++) q.push(ref(`e${i}`, { concurrencyKey: `k${i}` }), keyed(1));
    const ids = drainIds(q);
    expect(ids).toHaveLength(100);
    expect(q.gateCount).toBe(100);
    for (const id of ids) q.release(id, 0);
    expect(q.gateCount).toBe(0);
  });

  test("randomized: no limit is ever passed, and nothing that could start is left waiting", () => {
    const rng = seededRng(11);
    const q = new FlowQueue();
    const limits = keyed(2, 5);
    const running = new Map<string, string>(); // id → key
    const keyOf = new Map<string, string>();
    let n = 0;
    for (let step = 0; step < 5000; step++) {
      const r = rng();
      if (r < 0.45) {
        const key = `k${Math.floor(rng() * 4)}`;
        keyOf.set(`e${n}`, key);
        q.push(ref(`e${n++}`, { concurrencyKey: key, priority: Math.floor(rng() * 3) }), limits);
      } else if (r < 0.75 && running.size > 0) {
        const ids = [...running.keys()];
        const id = ids[Math.floor(rng() * ids.length)]!;
        running.delete(id);
        q.release(id, 0);
      } else if (r < 0.8 && q.length > 0) {
        const waiting = q.peekIds(q.length);
        q.remove(waiting[Math.floor(rng() * waiting.length)]!, 0);
      }
      for (let e = q.next(0); e; e = q.next(0)) running.set(e.id, e.concurrencyKey!);
      // Limits hold.
      expect(running.size).toBeLessThanOrEqual(5);
      const perKey = new Map<string, number>();
      for (const key of running.values()) perKey.set(key, (perKey.get(key) ?? 0) + 1);
      for (const count of perKey.values()) expect(count).toBeLessThanOrEqual(2);
      // Nothing waits that could start: either the definition is full, or every waiting key is.
      if (running.size < 5) {
        for (const id of q.peekIds(q.length)) {
          expect({ id, reason: q.reasonOf(id) }).toEqual({ id, reason: "concurrencyKey" });
          expect(perKey.get(keyOf.get(id)!)).toBe(2);
        }
      }
    }
  });
});
