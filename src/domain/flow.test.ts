/** Flow control fields of a definition: accepted forms, the messages of mistakes, and the concurrency key of an input. */
import { describe, expect, test } from "bun:test";
import { issuesOf, parse } from "../../test/helpers/definitions.ts";
import { ValidationError } from "./errors.ts";
import { concurrencyKeyOf, MAX_KEY_LENGTH } from "./flow.ts";

const base = { id: "j", tasks: [{ id: "t", functionName: "noop" }] };

describe("flow fields of a definition", () => {
  test("absent: no limits", () => {
    expect(parse(base).flow).toEqual({ maxConcurrent: null, concurrency: null, rateLimit: null });
  });

  test("all three, normalized (perSeconds in ms)", () => {
    const def = parse({
      ...base,
      maxConcurrent: 3,
      concurrency: { key: "{{input.customer}}-{{input.region}}", limit: 1 },
      rateLimit: { count: 10, perSeconds: 1.5 },
    });
    expect(def.flow).toEqual({
      maxConcurrent: 3,
      concurrency: { key: "{{input.customer}}-{{input.region}}", limit: 1 },
      rateLimit: { count: 10, perMs: 1500 },
    });
  });

  test("mistakes name the field", () => {
    expect(issuesOf({ ...base, maxConcurrent: 0 })).toEqual([{ path: "$.maxConcurrent", message: "must be at least 1" }]);
    expect(issuesOf({ ...base, concurrency: { key: "{{input.c}}" } })).toEqual([{ path: "$.concurrency.limit", message: "is required" }]);
    expect(issuesOf({ ...base, concurrency: { key: "{{input.c}}", limit: 1, extra: 1 } })).toEqual([
      { path: "$.concurrency.extra", message: "is not a concurrency field" },
    ]);
    expect(issuesOf({ ...base, rateLimit: { count: 1, perSeconds: 0 } })).toEqual([
      { path: "$.rateLimit.perSeconds", message: "perSeconds must be greater than 0" },
    ]);
    expect(issuesOf({ ...base, concurrency: { key: "acme", limit: 1 } })[0]).toMatchObject({
      path: "$.concurrency.key",
      message: expect.stringContaining("holds no template"),
    });
    expect(issuesOf({ ...base, concurrency: { key: "{{tasks.t.output}}", limit: 1 } })[0]).toMatchObject({
      path: "$.concurrency.key",
      message: expect.stringContaining("may read only input"),
    });
    expect(issuesOf({ ...base, concurrency: { key: "{{input.}}", limit: 1 } })[0]).toMatchObject({ path: "$.concurrency.key" });
  });
});

describe("concurrencyKeyOf", () => {
  const limits = parse({ ...base, concurrency: { key: "{{input.customer}}", limit: 1 } }).flow;

  test("a string as it is, anything else as its JSON; null without a concurrency", () => {
    expect(concurrencyKeyOf(limits, { customer: "acme" }, "e1")).toBe("acme");
    expect(concurrencyKeyOf(limits, { customer: 42 }, "e1")).toBe("42");
    expect(concurrencyKeyOf(limits, { customer: ["a", 1] }, "e1")).toBe('["a",1]');
    expect(concurrencyKeyOf(parse(base).flow, {}, "e1")).toBeNull();
  });

  test("an input without the key, or a key too long, is a ValidationError naming why", () => {
    expect(() => concurrencyKeyOf(limits, {}, "e1")).toThrow(ValidationError);
    expect(() => concurrencyKeyOf(limits, {}, "e1")).toThrow('input has no "customer"');
    expect(() => concurrencyKeyOf(limits, { customer: "x".repeat(MAX_KEY_LENGTH + 1) }, "e1")).toThrow("at most 1024");
  });
});
