import { describe, expect, test } from "bun:test";
import { issuesOf, parse, pathsOf } from "../../test/helpers/definitions.ts";
import { definitionOf, taskDef } from "../../test/helpers/setup.ts";

describe("continueOnFailure and handlers", () => {
  test("are read, defaulted, and checked against the registry", () => {
    const def = parse({
      id: "h",
      tasks: [taskDef({ continueOnFailure: true }), taskDef({ id: "t2" })],
      handlers: { onExit: { functionName: "echo" }, onFailure: { functionName: "noop", params: { to: "ops" }, timeoutSeconds: 5 } },
    });
    expect(def.tasks.map((t) => t.continueOnFailure)).toEqual([true, false]);
    // onSuccess/onFailure before onExit, whatever the order in the JSON.
    expect(def.handlers).toEqual([
      { kind: "onFailure", functionName: "noop", params: { to: "ops" }, timeoutSeconds: 5 },
      { kind: "onExit", functionName: "echo", params: {}, timeoutSeconds: null },
    ]);
    expect(issuesOf({ id: "h", tasks: [taskDef()], handlers: { onSuccess: { functionName: "nope" } } })).toEqual([
      { path: "$.handlers.onSuccess.functionName", message: 'names no registered function: "nope"' },
    ]);
    expect(pathsOf({ id: "h", tasks: [taskDef()], handlers: { onDone: { functionName: "noop" } } })).toEqual(["$.handlers.onDone"]);
    expect(pathsOf({ id: "h", tasks: [taskDef({ continueOnFailure: "yes" as never })] })).toEqual(["$.tasks[0].continueOnFailure"]);
  });

  test("a definition-level timeoutSeconds is read; 0 is rejected", () => {
    expect(parse({ id: "h", timeoutSeconds: 90, tasks: [taskDef()] }).timeoutSeconds).toBe(90);
    expect(pathsOf({ id: "h", timeoutSeconds: 0, tasks: [taskDef()] })).toEqual(["$.timeoutSeconds"]);
  });
});

describe("templates in params", () => {
  // a → b → d, a → c (c is b's sibling); e stands alone.
  const dag = (params: Record<string, Record<string, unknown>>) =>
    definitionOf(
      "tpl",
      { id: "a", params: params.a },
      { id: "b", dependsOn: ["a"], params: params.b },
      { id: "c", dependsOn: ["a"], params: params.c },
      { id: "d", dependsOn: ["b"], params: params.d },
      { id: "e", dependsOn: [], params: params.e },
    );

  test("templated is true only when params hold a template", () => {
    const def = parse(dag({ a: { n: "{{input.n}}" }, b: { n: 1, s: "plain" }, d: { deep: [{ x: "id {{execution.id}}" }] } }));
    expect(def.tasks.map((t) => t.templated)).toEqual([true, false, false, true, false]);
    expect(def.tasks[0]!.params).toEqual({ n: "{{input.n}}" }); // kept as written
  });

  test("a task may read direct and transitive upstream outputs, including through the implicit previous task", () => {
    expect(() =>
      parse(dag({ b: { x: "{{tasks.a.output}}" }, d: { x: "{{tasks.a.output.items.0.id}}", y: "{{tasks.b.output.v}}" } })),
    ).not.toThrow();
    const chain = parse(definitionOf("chain", { id: "p" }, { id: "q" }, { id: "r", params: { x: "{{tasks.p.output.v}}" } }));
    expect(chain.tasks[2]!.templated).toBe(true);
  });

  test("a sibling, a downstream, an unrelated or an unknown task is rejected at the param's full path", () => {
    const issues = issuesOf(
      dag({
        b: { url: "{{tasks.c.output.url}}" },
        c: { list: ["ok", { y: "{{tasks.d.output}}" }] },
        d: { z: "{{tasks.e.output}}" },
        e: { w: "{{tasks.ghost.output}}" },
      }),
    );
    expect(issues).toEqual([
      {
        path: "$.tasks[1].params.url",
        message: '{{tasks.c.output.url}}: "c" is not upstream of "b" (only tasks it depends on, directly or transitively, can be read)',
      },
      {
        path: "$.tasks[2].params.list[1].y",
        message: '{{tasks.d.output}}: "d" is not upstream of "c" (only tasks it depends on, directly or transitively, can be read)',
      },
      {
        path: "$.tasks[3].params.z",
        message: '{{tasks.e.output}}: "e" is not upstream of "d" (only tasks it depends on, directly or transitively, can be read)',
      },
      { path: "$.tasks[4].params.w", message: '{{tasks.ghost.output}}: names no task of this definition: "ghost"' },
    ]);
  });

  test("unknown roots and malformed templates are rejected", () => {
    expect(issuesOf(dag({ a: { x: "{{env.HOME}}", y: "{{}}", z: "{{input.a", w: "{{tasks.b}}" } }))).toEqual([
      {
        path: "$.tasks[0].params.x",
        message:
          "{{env.HOME}}: unknown reference (use input, tasks.<id>.output, execution.id, execution.scheduledFor, task.attempt or secrets.NAME)",
      },
      { path: "$.tasks[0].params.y", message: "{{}}: empty template" },
      { path: "$.tasks[0].params.z", message: '"{{input.a": "{{" without a closing "}}"' },
      { path: "$.tasks[0].params.w", message: "{{tasks.b}}: a task's output is read as tasks.<id>.output[.path]" },
    ]);
  });

  test("dotted task ids: the id ends at the first .output; an ambiguous reference is rejected", () => {
    expect(() => parse(definitionOf("dots", { id: "fetch.v2" }, { params: { u: "{{tasks.fetch.v2.output.url}}" } }))).not.toThrow();
    expect(issuesOf(definitionOf("dots", { id: "a" }, { id: "a.output" }, { params: { u: "{{tasks.a.output.output.x}}" } }))).toEqual([
      {
        path: "$.tasks[2].params.u",
        message: '{{tasks.a.output.output.x}}: ambiguous: a task id ends at the first ".output", so this names "a", never "a.output"',
      },
    ]);
  });

  test("template issues come with the other problems, but not over a cycle", () => {
    const issues = issuesOf(definitionOf("j", { functionName: "nope" }, { params: { x: "{{tasks.t3.output}}" } }, {}));
    expect(issues.map((i) => i.path)).toEqual(["$.tasks[0].functionName", "$.tasks[1].params.x"]);
    expect(pathsOf(definitionOf("j", { dependsOn: ["t2"], params: { x: "{{tasks.zz.output}}" } }, {}))).toEqual(["$.tasks[1].dependsOn"]);
  });

  test("handler params are not templates: they are left as written", () => {
    const def = parse({ id: "h", tasks: [taskDef()], handlers: { onExit: { functionName: "echo", params: { x: "{{anything}}" } } } });
    expect(def.handlers[0]!.params).toEqual({ x: "{{anything}}" });
  });
});
