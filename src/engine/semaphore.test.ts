import { describe, expect, test } from "bun:test";
import { flushPromises } from "../../test/helpers/fake-clock.ts";
import { Semaphore } from "./semaphore.ts";

describe("Semaphore", () => {
  test("rejects a limit that is not a positive integer", () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) expect(() => new Semaphore(limit)).toThrow(RangeError);
  });

  test("tryAcquire takes permits up to the limit", () => {
    const s = new Semaphore(2);
    expect([s.tryAcquire(), s.tryAcquire(), s.tryAcquire()]).toEqual([true, true, false]);
    expect(s.inUse).toBe(2);
    s.release();
    expect(s.inUse).toBe(1);
    expect(s.tryAcquire()).toBe(true);
  });

  test("waiters are served first in, first out, each on a release", async () => {
    const s = new Semaphore(1);
    await s.acquire();
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => s.acquire().then(() => order.push(n)));
    await flushPromises();
    expect(order).toEqual([]);
    s.release();
    await flushPromises();
    expect(order).toEqual([1]);
    s.release();
    s.release();
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
    expect(s.inUse).toBe(1);
  });

  test("a released permit passes to a waiter, never to a later tryAcquire", async () => {
    const s = new Semaphore(1);
    s.tryAcquire();
    let waiterGot = false;
    const waiting = s.acquire().then(() => (waiterGot = true));
    s.release(); // hands over to the waiter: inUse stays 1
    expect(s.inUse).toBe(1);
    expect(s.tryAcquire()).toBe(false);
    await waiting;
    expect(waiterGot).toBe(true);
  });

  test("tryAcquire does not jump ahead of queued waiters", async () => {
    const s = new Semaphore(2);
    s.tryAcquire();
    s.tryAcquire();
    const waiting = s.acquire();
    expect(s.tryAcquire()).toBe(false);
    s.release();
    await waiting;
    expect(s.inUse).toBe(2);
  });

  test("never more holders than the limit under churn", async () => {
    const s = new Semaphore(3);
    let active = 0;
    let max = 0;
    const worker = async () => {
      await s.acquire();
      try {
        active++;
        max = Math.max(max, active);
        await flushPromises(1);
      } finally {
        active--;
        s.release();
      }
    };
    await Promise.all(Array.from({ length: 20 }, worker));
    expect(max).toBe(3);
    expect(s.inUse).toBe(0);
  });

  test("releasing more than acquired throws", () => {
    const s = new Semaphore(1);
    expect(() => s.release()).toThrow("released more often than acquired");
  });

  test("busyMs sums the permits held over time, a permit passed to a waiter included", async () => {
    let now = 1_000;
    const s = new Semaphore(2, () => now);
    expect(s.busyMs).toBe(0);
    s.forceAcquire(); // 1 held from 1000
    now = 1_010;
    expect(s.tryAcquire()).toBe(true); // 2 held from 1010
    now = 1_015;
    expect(s.busyMs).toBe(10 + 2 * 5);
    const waiter = s.acquire(); // waits: both held
    now = 1_020;
    s.release(); // passes straight to the waiter: still 2 held
    await waiter;
    now = 1_030;
    s.release();
    now = 1_034;
    expect(s.busyMs).toBe(10 + 2 * 5 + 2 * 5 + 2 * 10 + 4);
    s.release();
    now = 2_000;
    expect(s.busyMs).toBe(54);
  });

  test("without a clock, busyMs stays 0", () => {
    const s = new Semaphore(1);
    s.forceAcquire();
    s.release();
    expect(s.busyMs).toBe(0);
  });
});
