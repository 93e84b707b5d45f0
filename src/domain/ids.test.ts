import { expect, test } from "bun:test";
import { uuidv7 } from "./ids.ts";

test("uuidv7 is a version-7 RFC 9562 UUID carrying its millisecond timestamp", () => {
  const id = uuidv7(0x0190_1234_5678);
  expect(id).toMatch(/^01901234-5678-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("ids of later milliseconds sort after earlier ones; ids are unique", () => {
  const ids = Array.from({ length: 1000 }, (_, i) => uuidv7(1_700_000_000_000 + i));
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(Array.from({ length: 10_000 }, () => uuidv7())).size).toBe(10_000);
});
