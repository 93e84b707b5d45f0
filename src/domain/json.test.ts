import { describe, expect, test } from "bun:test";
import { canonicalJson, isPlainObject, jsonPath } from "./json.ts";

describe("canonicalJson", () => {
  test("key order does not matter, at any depth", () => {
    const a = { id: "x", tasks: [{ id: "t", functionName: "noop", params: { b: 1, a: { d: 2, c: 3 } } }] };
    const b = { tasks: [{ params: { a: { c: 3, d: 2 }, b: 1 }, functionName: "noop", id: "t" }], id: "x" };
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(b)).toBe('{"id":"x","tasks":[{"functionName":"noop","id":"t","params":{"a":{"c":3,"d":2},"b":1}}]}');
  });

  test("array order and values still matter", () => {
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: "1" }));
    expect(canonicalJson({ a: null })).toBe('{"a":null}');
  });
});

describe("jsonPath", () => {
  test("renders keys and indexes", () => {
    expect(jsonPath([])).toBe("$");
    expect(jsonPath(["tasks", 1, "dependsOn", 0])).toBe("$.tasks[1].dependsOn[0]");
    expect(jsonPath(["params", "a-b"])).toBe('$.params["a-b"]');
  });
});

test("isPlainObject", () => {
  expect(isPlainObject({})).toBe(true);
  expect(isPlainObject([])).toBe(false);
  expect(isPlainObject(null)).toBe(false);
  expect(isPlainObject("x")).toBe(false);
});
