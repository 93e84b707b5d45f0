import { expect, test } from "bun:test";
import { duration, json, tail, utc } from "./format.ts";

test("times are written in UTC, durations in the largest units that fit", () => {
  expect(utc(Date.UTC(2026, 10, 30, 1, 2, 3, 456))).toBe("2026-11-30 01:02:03 UTC");
  expect([0, 999, 1_500, 12_300, 185_000, 7_500_000, 3 * 86_400_000 + 4 * 3_600_000].map(duration)).toEqual([
    "0 ms",
    "999 ms",
    "1.5 s",
    "12 s",
    "3 min 5 s",
    "2 h 5 min",
    "3 d 4 h",
  ]);
});

test("json is indented; a tail keeps the end and says how much it cut", () => {
  expect(json({ a: [1] })).toBe('{\n  "a": [\n    1\n  ]\n}');
  expect(json(undefined)).toBe("");
  expect(tail("abcdef", 4)).toEqual({ text: "cdef", cut: 2 });
  expect(tail("abc", 4)).toEqual({ text: "abc", cut: 0 });
});
