/** The pure parts of stored-state.ts: the sweep line, slot periods from a history, dropping executions from a snapshot. */
import { describe, expect, test } from "bun:test";
import { type ExecutionEvent, type Interval, maxOverlap, slotIntervals } from "./stored-state.ts";

const iv = (id: string, start: number, end: number): Interval => ({ id, start, end });

describe("maxOverlap", () => {
  test("no intervals: 0, nowhere", () => {
    expect(maxOverlap([])).toEqual({ max: 0, at: null, ids: [] });
  });

  test("overlapping intervals are counted, with where and which", () => {
    expect(maxOverlap([iv("a", 0, 10), iv("b", 5, 20), iv("c", 8, 9), iv("d", 30, 40)])).toEqual({ max: 3, at: 8, ids: ["a", "b", "c"] });
  });

  test("an end and a start at the same millisecond do not overlap (half-open), whatever the input order", () => {
    expect(maxOverlap([iv("b", 10, 20), iv("a", 0, 10), iv("c", 20, 30)]).max).toBe(1);
    expect(maxOverlap([iv("a", 0, 10), iv("b", 9, 20)]).max).toBe(2);
  });

  test("an interval still open (end Infinity) overlaps everything after its start", () => {
    expect(maxOverlap([iv("run", 5, Infinity), iv("a", 0, 6), iv("b", 1000, 2000)])).toMatchObject({ max: 2, at: 5 });
    expect(maxOverlap([iv("run", 5, Infinity), iv("b", 1000, 2000)])).toMatchObject({ max: 2, at: 1000, ids: ["b", "run"] });
  });

  test("an empty interval covers no instant", () => {
    expect(maxOverlap([iv("a", 0, 10), iv("z", 5, 5)]).max).toBe(1);
  });

  test("many nested intervals: the depth of the nest", () => {
    const nest = Array.from({ length: 50 }, (_, i) => iv(`n${i}`, i, 100 - i));
    expect(maxOverlap(nest)).toMatchObject({ max: 50, at: 49 });
    // …and the same periods one after another never overlap
    expect(maxOverlap(nest.map((x, i) => iv(x.id, i * 10, i * 10 + 10))).max).toBe(1);
  });

  test("a period that ends before it starts is bad data, not zero", () => {
    expect(() => maxOverlap([iv("a", 10, 5)])).toThrow("not a period");
    expect(() => maxOverlap([iv("a", Number.NaN, 5)])).toThrow("not a period");
  });
});

describe("slotIntervals", () => {
  let seq = 0;
  const ev = (type: string, at: number): ExecutionEvent => ({ seq: ++seq, type, timestamp: new Date(at).toISOString() });
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const state = (startedAt: number | null, endTime: number | null) => ({ id: "x", startedAt: iso(startedAt), endTime: iso(endTime) });

  test("never admitted: no period", () => {
    expect(slotIntervals(state(null, 50), [ev("ExecutionQueued", 0), ev("ExecutionCancelled", 50)])).toEqual([]);
  });

  test("admitted once: [startedAt, endTime), resumed after a crash or not", () => {
    const events = [ev("ExecutionQueued", 0), ev("ExecutionStarted", 10), ev("ExecutionResumed", 500), ev("ExecutionCompleted", 900)];
    expect(slotIntervals(state(10, 900), events)).toEqual([iv("x", 10, 900)]);
  });

  test("still RUNNING: no end", () => {
    expect(slotIntervals(state(10, null), [ev("ExecutionQueued", 0), ev("ExecutionStarted", 10)])).toEqual([iv("x", 10, Infinity)]);
  });

  test("requeued at a restart: the slot is given back at the requeue and taken again at the next admission", () => {
    const events = [
      ev("ExecutionQueued", 0),
      ev("ExecutionStarted", 10),
      ev("ExecutionRequeued", 400),
      ev("ExecutionStarted", 700),
      ev("ExecutionCompleted", 900),
    ];
    expect(slotIntervals(state(10, 900), events)).toEqual([iv("x", 10, 400), iv("x", 700, 900)]);
    // requeued and not admitted yet
    expect(slotIntervals(state(10, null), events.slice(0, 3))).toEqual([iv("x", 10, 400)]);
  });

  test("redriven: the first run ends where it failed", () => {
    const events = [
      ev("ExecutionStarted", 10),
      ev("ExecutionFailed", 100),
      ev("ExecutionRedriven", 300),
      ev("ExecutionStarted", 320),
      ev("ExecutionCompleted", 400),
    ];
    expect(slotIntervals(state(10, 400), events)).toEqual([iv("x", 10, 100), iv("x", 320, 400)]);
  });

  test("a stored startedAt without any admission in the history still counts", () => {
    expect(slotIntervals(state(10, 20), [ev("ExecutionQueued", 0)])).toEqual([iv("x", 10, 20)]);
  });
});
