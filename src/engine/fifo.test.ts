import { describe, expect, test } from "bun:test";
import { Fifo } from "./fifo.ts";

describe("Fifo", () => {
  test("first in, first out; undefined when empty", () => {
    const q = new Fifo<number>();
    expect(q.shift()).toBeUndefined();
    q.push(1);
    q.push(2);
    q.push(3);
    expect(q.length).toBe(3);
    expect([q.shift(), q.shift()]).toEqual([1, 2]);
    q.push(4);
    expect([q.shift(), q.shift(), q.shift()]).toEqual([3, 4, undefined]);
    expect(q.length).toBe(0);
  });

  test("peek shows the oldest n without removing them", () => {
    const q = new Fifo<string>();
    for (const s of ["a", "b", "c", "d"]) q.push(s);
    q.shift();
    expect(q.peek(2)).toEqual(["b", "c"]);
    expect(q.peek(10)).toEqual(["b", "c", "d"]);
    expect(q.length).toBe(3);
  });

  test("keeps order and length across compaction", () => {
    const q = new Fifo<number>();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 3000; i++) q.push(next++);
      for (let i = 0; i < 2500; i++) expect(q.shift()).toBe(expected++);
      expect(q.length).toBe(next - expected);
      expect(q.peek(1)).toEqual([expected]);
    }
    while (q.length > 0) expect(q.shift()).toBe(expected++);
    expect(expected).toBe(next);
  });
});
