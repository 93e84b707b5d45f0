import { expect, test } from "bun:test";
import { lineDiff, MAX_DIFF_CELLS } from "./diff.ts";

const show = (a: string, b: string) =>
  lineDiff(a.split(""), b.split(""))!
    .map((l) => `${{ same: " ", del: "-", add: "+" }[l.kind]}${l.text}`)
    .join(" ");

test("kept lines stay, the rest are removed or added, in order", () => {
  expect(show("abc", "abc")).toBe(" a  b  c");
  expect(show("abc", "axc")).toBe(" a +x -b  c");
  expect(show("", "ab")).toBe("+a +b");
  expect(show("ab", "")).toBe("-a -b");
  expect(show("abcd", "bcde")).toBe("-a  b  c  d +e");
});

test("every line of both sides appears once: removed and kept give the old text, kept and added the new", () => {
  const a = ["{", '  "id": "etl",', '  "tasks": [', '    { "id": "a" }', "  ]", "}"];
  const b = ["{", '  "id": "etl",', '  "name": "ETL",', '  "tasks": [', '    { "id": "a" },', '    { "id": "b" }', "  ]", "}"];
  const d = lineDiff(a, b)!;
  expect(d.filter((l) => l.kind !== "add").map((l) => l.text)).toEqual(a);
  expect(d.filter((l) => l.kind !== "del").map((l) => l.text)).toEqual(b);
  expect(d.filter((l) => l.kind === "same")).toHaveLength(5);
});

test("texts too long to compare on a page give no diff", () => {
  const long = Array.from({ length: Math.sqrt(MAX_DIFF_CELLS) + 1 }, (_, i) => String(i));
  expect(lineDiff(long, long)).toBeNull();
});
