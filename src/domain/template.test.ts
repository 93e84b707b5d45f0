import { describe, expect, test } from "bun:test";
import { ErrorNames, NON_RETRYABLE_NAMES } from "./errors.ts";
import {
  checkTemplates,
  findTemplates,
  hasTemplates,
  parseTemplate,
  resolveParams,
  TemplateError,
  type TemplateScope,
} from "./template.ts";

const scope: TemplateScope = {
  input: { n: 5, user: { name: "ada", tags: ["x", "y"] }, flag: false, nothing: null },
  outputs: {
    fetch: { items: [{ id: 7 }, { id: 8 }], user: null, count: 0, ok: true },
    "fetch.v2": { url: "https://example.com" },
    empty: null,
  },
  executionId: "exec-0001",
  attempt: 2,
};
const resolve = (params: Record<string, unknown>) => resolveParams(params, scope);
/** The message of the TemplateError resolving `params` throws. */
function failure(params: Record<string, unknown>): string {
  try {
    resolve(params);
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return (err as Error).message;
  }
  throw new Error("expected the params to fail");
}

describe("parseTemplate", () => {
  test("reads the four kinds of reference, whitespace allowed around them", () => {
    expect(parseTemplate("input.a.b")).toEqual({ kind: "input", path: ["a", "b"] });
    expect(parseTemplate(" input ")).toEqual({ kind: "input", path: [] });
    expect(parseTemplate("tasks.fetch.output.items.0.id")).toEqual({ kind: "task", taskId: "fetch", path: ["items", "0", "id"] });
    expect(parseTemplate("tasks.fetch.output")).toEqual({ kind: "task", taskId: "fetch", path: [] });
    expect(parseTemplate("  execution.id")).toEqual({ kind: "executionId" });
    expect(parseTemplate("task.attempt ")).toEqual({ kind: "attempt" });
  });

  test("a task id runs up to the first .output segment", () => {
    expect(parseTemplate("tasks.fetch.v2.output.url")).toEqual({ kind: "task", taskId: "fetch.v2", path: ["url"] });
    expect(parseTemplate("tasks.a.output.output.x")).toEqual({ kind: "task", taskId: "a", path: ["output", "x"] });
    expect(parseTemplate("tasks.output.output")).toEqual({ kind: "task", taskId: "output", path: [] });
  });

  test("rejects unknown roots and malformed expressions", () => {
    for (const expr of [
      "",
      "  ",
      "inputs.a",
      "execution",
      "execution.name",
      "task.id",
      "task",
      "tasks",
      "tasks.a",
      "tasks.a.result",
      "input..a",
      "input.a.",
      "input.a b",
      "env.HOME",
      "secrets",
      "secrets.a.b",
      "secrets.1key",
      "secrets.my-key",
    ]) {
      expect(() => parseTemplate(expr)).toThrow(TemplateError);
    }
    expect(() => parseTemplate("env.key")).toThrow(
      "{{env.key}}: unknown reference (use input, tasks.<id>.output, execution.id, execution.scheduledFor, task.attempt or secrets.NAME)",
    );
    expect(parseTemplate(" secrets.API_key_2 ")).toEqual({ kind: "secret", name: "API_key_2" });
  });
});

describe("findTemplates and hasTemplates", () => {
  const params = {
    url: "{{input.url}}/x/{{ tasks.a.output.id }}",
    nested: { list: [1, "{{task.attempt}}", { deep: "{{execution.id}}" }] },
    "{{key}}": "plain",
    n: 3,
  };

  test("finds templates in string values at any depth, never in keys", () => {
    expect(findTemplates(params)).toEqual([
      { path: ["url"], template: "{{input.url}}", ref: { kind: "input", path: ["url"] } },
      { path: ["url"], template: "{{ tasks.a.output.id }}", ref: { kind: "task", taskId: "a", path: ["id"] } },
      { path: ["nested", "list", 1], template: "{{task.attempt}}", ref: { kind: "attempt" } },
      { path: ["nested", "list", 2, "deep"], template: "{{execution.id}}", ref: { kind: "executionId" } },
    ]);
    expect(hasTemplates(params)).toBe(true);
  });

  test("plain params have none", () => {
    const plain = { a: 1, b: "x }} y", c: [null, true, { d: "{ {e} }" }], "{{k}}": 1 };
    expect(findTemplates(plain)).toEqual([]);
    expect(hasTemplates(plain)).toBe(false);
    expect(hasTemplates({})).toBe(false);
  });

  test("reports a malformed string once, with why", () => {
    expect(findTemplates({ a: ["ok", "x {{input.a"] })).toEqual([
      { path: ["a", 1], template: "x {{input.a", error: '"{{input.a": "{{" without a closing "}}"' },
    ]);
    expect(findTemplates({ a: "{{}}" })).toEqual([{ path: ["a"], template: "{{}}", error: "{{}}: empty template" }]);
  });
});

describe("checkTemplates", () => {
  const all = new Set(["fetch", "parse", "store", "side", "fetch.v2", "a", "a.output"]);
  const check = (params: Record<string, unknown>, upstream: string[] = ["fetch", "fetch.v2", "a"]) =>
    checkTemplates(params, "parse", new Set(upstream), all);

  test("accepts input, execution, attempt and upstream outputs", () => {
    expect(
      check({
        a: "{{input.x}} {{execution.id}} {{task.attempt}}",
        b: ["{{tasks.fetch.output.items.0.id}}"],
        c: "{{tasks.fetch.v2.output}}",
      }),
    ).toEqual([]);
  });

  test("rejects, at the string's path relative to params, unknown, own, non-upstream and ambiguous task references", () => {
    expect(
      check({
        url: "{{tasks.ghost.output.x}}",
        own: "{{tasks.parse.output}}",
        list: [{ s: "{{tasks.side.output}}" }],
        amb: "{{tasks.a.output.output.x}}",
      }),
    ).toEqual([
      { path: ".url", message: '{{tasks.ghost.output.x}}: names no task of this definition: "ghost"' },
      { path: ".own", message: "{{tasks.parse.output}}: a task cannot read its own output" },
      {
        path: ".list[0].s",
        message:
          '{{tasks.side.output}}: "side" is not upstream of "parse" (only tasks it depends on, directly or transitively, can be read)',
      },
      {
        path: ".amb",
        message: '{{tasks.a.output.output.x}}: ambiguous: a task id ends at the first ".output", so this names "a", never "a.output"',
      },
    ]);
  });

  test("rejects unknown roots and malformed strings; odd keys get bracketed paths", () => {
    expect(check({ "a b": "{{ctx.x}}", e: "{{}}", u: "{{input.a" }).map((i) => i.path)).toEqual(['["a b"]', ".e", ".u"]);
  });
});

describe("resolveParams", () => {
  test("a string that is exactly one template keeps the value's JSON type", () => {
    expect(
      resolve({
        num: "{{input.n}}",
        spaced: "{{ input.n }}",
        zero: "{{tasks.fetch.output.count}}",
        obj: "{{input.user}}",
        arr: "{{input.user.tags}}",
        bool: "{{input.flag}}",
        ok: "{{tasks.fetch.output.ok}}",
        nul: "{{input.nothing}}",
        nulOut: "{{tasks.empty.output}}",
        whole: "{{tasks.fetch.output}}",
        attempt: "{{task.attempt}}",
        id: "{{execution.id}}",
        dotted: "{{tasks.fetch.v2.output.url}}",
      }),
    ).toEqual({
      num: 5,
      spaced: 5,
      zero: 0,
      obj: { name: "ada", tags: ["x", "y"] },
      arr: ["x", "y"],
      bool: false,
      ok: true,
      nul: null,
      nulOut: null,
      whole: scope.outputs.fetch,
      attempt: 2,
      id: "exec-0001",
      dotted: "https://example.com",
    });
  });

  test("templates inside a longer string are stringified", () => {
    expect(
      resolve({
        s: "run {{execution.id}}#{{task.attempt}} for {{input.user.name}}",
        json: "n={{input.n}} tags={{input.user.tags}} null={{input.nothing}} f={{input.flag}}",
        outside: " {{input.n}}",
      }),
    ).toEqual({ s: "run exec-0001#2 for ada", json: 'n=5 tags=["x","y"] null=null f=false', outside: " 5" });
  });

  test("nested objects and arrays, with array indexes as segments", () => {
    expect(resolve({ a: { b: ["{{tasks.fetch.output.items.1.id}}", { c: "id-{{tasks.fetch.output.items.0.id}}" }, 3] } })).toEqual({
      a: { b: [8, { c: "id-7" }, 3] },
    });
  });

  test("never mutates the params; plain params come back equal", () => {
    const params = { a: "{{input.n}}", b: { c: ["{{task.attempt}}", 1] }, d: "plain", e: null };
    const before = structuredClone(params);
    const out = resolve(params);
    expect(params).toEqual(before);
    expect(out).not.toBe(params);
    expect(out.b).not.toBe(params.b);
    const plain = { a: 1, b: { c: ["x", null, true] }, d: "no template }}" };
    const plainBefore = structuredClone(plain);
    const copy = resolve(plain);
    expect(copy).toEqual(plainBefore);
    expect(copy).not.toBe(plain);
    expect(plain).toEqual(plainBefore);
  });

  test("a key named __proto__ stays a plain key", () => {
    const params = JSON.parse('{"__proto__": {"x": "{{input.n}}"}}') as Record<string, unknown>;
    const out = resolve(params);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.hasOwn(out, "__proto__")).toBe(true);
    expect(JSON.stringify(out)).toBe('{"__proto__":{"x":5}}');
  });

  test("a path that resolves to nothing fails, naming the template and the missing key", () => {
    expect(failure({ x: "{{input.missing}}" })).toBe('{{input.missing}}: input has no "missing"');
    expect(failure({ x: "id={{tasks.fetch.output.user.id}}" })).toBe(
      '{{tasks.fetch.output.user.id}}: tasks.fetch.output.user has no "id" (it is null)',
    );
    expect(failure({ x: "{{tasks.fetch.output.items.5.id}}" })).toBe(
      '{{tasks.fetch.output.items.5.id}}: tasks.fetch.output.items has no "5" (it is an array of 2)',
    );
    expect(failure({ x: "{{tasks.fetch.output.items.first}}" })).toBe(
      '{{tasks.fetch.output.items.first}}: tasks.fetch.output.items has no "first" (it is an array of 2)',
    );
    expect(failure({ x: "{{input.n.digits}}" })).toBe('{{input.n.digits}}: input.n has no "digits" (it is a number)');
    expect(failure({ x: ["{{tasks.store.output}}"] })).toBe("{{tasks.store.output}}: tasks.store has no output");
    expect(failure({ x: "{{input.user.toString}}" })).toBe('{{input.user.toString}}: input.user has no "toString"');
  });

  test('an undefined value or input is missing, not the string "undefined"', () => {
    expect(() => resolveParams({ x: "{{input.a}}" }, { ...scope, input: { a: undefined } })).toThrow('{{input.a}}: input has no "a"');
    expect(() => resolveParams({ x: "v={{input}}" }, { ...scope, input: undefined })).toThrow("{{input}}: input is undefined");
    expect(() => resolveParams({ x: "{{tasks.u.output}}" }, { ...scope, outputs: { u: undefined } })).toThrow(
      "{{tasks.u.output}}: tasks.u has no output",
    );
  });

  test("TemplateError is a non-retryable States.Runtime error", () => {
    const err = new TemplateError("x");
    expect(err.name).toBe(ErrorNames.Runtime);
    expect(NON_RETRYABLE_NAMES.has(err.name)).toBe(true);
    expect(() => resolve({ x: "{{input.a" })).toThrow(TemplateError);
  });
});

describe("{{execution.scheduledFor}}", () => {
  test("the ISO nominal time of a scheduled execution; null (or the text null) for one no schedule started", () => {
    expect(parseTemplate("execution.scheduledFor")).toEqual({ kind: "scheduledFor" });
    const params = { at: "{{execution.scheduledFor}}", line: "run for {{execution.scheduledFor}}" };
    expect(resolveParams(params, { ...scope, scheduledFor: "2026-03-29T01:00:00.000Z" })).toEqual({
      at: "2026-03-29T01:00:00.000Z",
      line: "run for 2026-03-29T01:00:00.000Z",
    });
    expect(resolveParams(params, scope)).toEqual({ at: null, line: "run for null" });
  });
});
