import { describe, expect, test } from "bun:test";
import { issuesOf, parse, pathsOf } from "../../test/helpers/definitions.ts";
import { definition, definitionOf, taskDef } from "../../test/helpers/setup.ts";
import type { ValidationError } from "./errors.ts";
import { NO_LIMITS } from "./flow.ts";
import { DEFAULT_RETRY, NO_RETRY } from "./retry.ts";

/** DESIGN.md's example, with task2's maxRetry set to 3 so it agrees with retry.maxAttempts 4. */
const designExample = (task2MaxRetry: number) => ({
  id: "example-job",
  name: "Example Job with Multiple Tasks",
  tasks: [
    { id: "task1", name: "First Task", maxRetry: 3, functionName: "task1Function" },
    {
      id: "task2",
      name: "Second Task",
      maxRetry: task2MaxRetry,
      functionName: "task2Function",
      params: { ms: 50 },
      dependsOn: ["task1"],
      timeoutSeconds: 30,
      retry: {
        maxAttempts: 4,
        intervalSeconds: 1,
        backoffRate: 2,
        maxDelaySeconds: 60,
        jitterStrategy: "FULL",
        errorEquals: ["States.ALL"],
      },
    },
  ],
});

describe("parseDefinition accepts", () => {
  test("the DESIGN example (with maxRetry agreeing with retry.maxAttempts)", () => {
    expect(parse(designExample(3))).toEqual({
      id: "example-job",
      name: "Example Job with Multiple Tasks",
      description: null,
      timeoutSeconds: null,
      flow: NO_LIMITS,
      tasks: [
        {
          id: "task1",
          name: "First Task",
          functionName: "task1Function",
          params: {},
          templated: false,
          retry: { ...DEFAULT_RETRY, maxAttempts: 4 },
          timeoutSeconds: null,
          dependsOn: [],
          continueOnFailure: false,
          remote: false,
        },
        {
          id: "task2",
          name: "Second Task",
          functionName: "task2Function",
          params: { ms: 50 },
          templated: false,
          retry: {
            maxAttempts: 4,
            intervalSeconds: 1,
            backoffRate: 2,
            maxDelaySeconds: 60,
            jitterStrategy: "FULL",
            errorEquals: ["States.ALL"],
          },
          timeoutSeconds: 30,
          dependsOn: ["task1"],
          continueOnFailure: false,
          remote: false,
        },
      ],
      handlers: [],
      schedules: [],
    });
  });

  // DESIGN.md's example gives task2 maxRetry 2 (3 attempts) and retry.maxAttempts 4: by DESIGN's own
  // rule ("both with different meanings is a 400") it is rejected, at the field that conflicts.
  test("the verbatim DESIGN example is rejected for its conflicting maxRetry / maxAttempts", () => {
    expect(pathsOf(designExample(2))).toEqual(["$.tasks[1].retry.maxAttempts"]);
  });

  test("the original project's definition (maxRetry only, a plain list)", () => {
    const def = parse({
      id: "example-job",
      name: "Example Job with Multiple Tasks",
      tasks: [
        { id: "task1", name: "First Task", maxRetry: 3, functionName: "task1Function" },
        { id: "task2", name: "Second Task", maxRetry: 2, functionName: "task2Function" },
        { id: "task3", name: "Third Task", maxRetry: 1, functionName: "task3Function" },
      ],
    });
    expect(def.tasks.map((t) => [t.id, t.dependsOn, t.retry.maxAttempts])).toEqual([
      ["task1", [], 4],
      ["task2", ["task1"], 3],
      ["task3", ["task2"], 2],
    ]);
  });
});

describe("defaults", () => {
  test("names default to ids, description to null, params to {}, timeout to null", () => {
    const def = parse({ id: "j", tasks: [{ id: "a", functionName: "noop" }] });
    expect(def.name).toBe("j");
    expect(def.description).toBeNull();
    expect(def.tasks[0]).toMatchObject({ name: "a", params: {}, timeoutSeconds: null });
  });

  test("dependsOn absent means the previous task; [] makes a root", () => {
    const def = parse(definitionOf("j", {}, {}, { dependsOn: [] }, {}, { dependsOn: ["t1", "t3"] }));
    expect(def.tasks.map((t) => t.dependsOn)).toEqual([[], ["t1"], [], ["t3"], ["t1", "t3"]]);
  });

  test("maxRetry n means n + 1 attempts with the default policy", () => {
    expect(parse(definition({ tasks: [taskDef({ maxRetry: 0 })] })).tasks[0]!.retry).toEqual({ ...DEFAULT_RETRY, maxAttempts: 1 });
    expect(parse(definition({ tasks: [taskDef({ maxRetry: 2 })] })).tasks[0]!.retry).toEqual({
      maxAttempts: 3,
      intervalSeconds: 1,
      backoffRate: 2,
      maxDelaySeconds: 300,
      jitterStrategy: "FULL",
      errorEquals: ["States.ALL"],
    });
  });

  test("retry without maxAttempts means 3 attempts; its other fields default one by one", () => {
    expect(parse(definition({ tasks: [taskDef({ retry: {} })] })).tasks[0]!.retry).toEqual({ ...DEFAULT_RETRY, maxAttempts: 3 });
    expect(parse(definition({ tasks: [taskDef({ retry: { backoffRate: 1.5, jitterStrategy: "NONE" } })] })).tasks[0]!.retry).toEqual({
      ...DEFAULT_RETRY,
      maxAttempts: 3,
      backoffRate: 1.5,
      jitterStrategy: "NONE",
    });
  });

  test("retry without maxAttempts but with maxRetry takes maxRetry's count", () => {
    expect(parse(definition({ tasks: [taskDef({ maxRetry: 5, retry: { intervalSeconds: 2 } })] })).tasks[0]!.retry.maxAttempts).toBe(6);
  });

  test("neither maxRetry nor retry: one attempt", () => {
    expect(parse(definition()).tasks[0]!.retry).toEqual(NO_RETRY);
  });

  test("the default errorEquals is a copy, not the shared constant", () => {
    const def = parse(definition({ tasks: [taskDef({ retry: {} })] }));
    def.tasks[0]!.retry.errorEquals.push("X");
    expect(DEFAULT_RETRY.errorEquals).toEqual(["States.ALL"]);
  });
});

describe("parseDefinition rejects, naming the field", () => {
  test("an empty id", () => {
    expect(pathsOf(definition({ id: "" }))).toEqual(["$.id"]);
    expect(pathsOf(definition({ tasks: [taskDef({ id: "" })] }))).toEqual(["$.tasks[0].id"]);
  });

  test("an id with characters outside [A-Za-z0-9._-]", () => {
    for (const id of ["has space", "slash/no", "ümlaut", "semi;colon"]) expect(pathsOf(definition({ id }))).toEqual(["$.id"]);
    expect(pathsOf(definition({ tasks: [taskDef({ id: "a b" })] }))).toEqual(["$.tasks[0].id"]);
  });

  test('"." and "..", which URLs resolve as path segments; other dotted ids pass', () => {
    for (const id of [".", ".."]) expect(pathsOf(definition({ id }))).toEqual(["$.id"]);
    expect(pathsOf(definition({ tasks: [taskDef({ id: ".." })] }))).toEqual(["$.tasks[0].id"]);
    for (const id of ["...", ".a", "a..b"]) expect(parse(definition({ id })).id).toBe(id);
  });

  test("ids of 128 characters pass, 129 do not", () => {
    expect(parse(definition({ id: "a".repeat(128) })).id).toHaveLength(128);
    expect(pathsOf(definition({ id: "a".repeat(129) }))).toEqual(["$.id"]);
    expect(pathsOf(definition({ tasks: [taskDef({ id: "b".repeat(129) })] }))).toEqual(["$.tasks[0].id"]);
  });

  test("duplicate task ids, at the later one", () => {
    expect(pathsOf(definitionOf("j", { id: "a" }, { id: "b" }, { id: "a" }))).toEqual(["$.tasks[2].id"]);
  });

  test("an unknown functionName", () => {
    const issues = issuesOf(definitionOf("j", {}, { functionName: "nope" }));
    expect(issues).toEqual([{ path: "$.tasks[1].functionName", message: 'names no registered function: "nope"' }]);
  });

  test("a remote task may name a function this process lacks: a worker runs it", () => {
    const def = parse(definitionOf("j", {}, { functionName: "resize", remote: true }));
    expect(def.tasks.map((t) => [t.functionName, t.remote])).toEqual([
      ["noop", false],
      ["resize", true],
    ]);
    expect(pathsOf(definitionOf("j", { remote: "yes" }))).toEqual(["$.tasks[0].remote"]);
  });

  test("a negative maxRetry", () => {
    expect(pathsOf(definition({ tasks: [taskDef({ maxRetry: -1 })] }))).toEqual(["$.tasks[0].maxRetry"]);
  });

  test("a non-integer maxRetry", () => {
    expect(pathsOf(definition({ tasks: [taskDef({ maxRetry: 1.5 })] }))).toEqual(["$.tasks[0].maxRetry"]);
    expect(pathsOf(definition({ tasks: [taskDef({ maxRetry: "2" as unknown as number })] }))).toEqual(["$.tasks[0].maxRetry"]);
  });

  test("an unknown dependsOn id", () => {
    const issues = issuesOf(definitionOf("j", {}, { dependsOn: ["t1", "ghost"] }));
    expect(issues).toEqual([{ path: "$.tasks[1].dependsOn[1]", message: 'names no task of this definition: "ghost"' }]);
  });

  test("a self-dependency", () => {
    expect(pathsOf(definitionOf("j", {}, { dependsOn: ["t2"] }))).toEqual(["$.tasks[1].dependsOn[0]"]);
  });

  test("a repeated dependency", () => {
    expect(pathsOf(definitionOf("j", {}, { dependsOn: ["t1", "t1"] }))).toEqual(["$.tasks[1].dependsOn[1]"]);
  });

  test("a 3-cycle", () => {
    const issues = issuesOf(definitionOf("j", { dependsOn: ["t3"] }, { dependsOn: ["t1"] }, { dependsOn: ["t2"] }));
    expect(issues).toHaveLength(1);
    // Found from t1: t1 → t3 → t2, and t2's dependsOn closes the cycle.
    expect(issues[0]!.path).toBe("$.tasks[1].dependsOn");
    expect(issues[0]!.message).toBe("forms a dependency cycle: t1 → t3 → t2 → t1 (each task depends on the next)");
  });

  test("a cycle is reported together with the other problems of the same definition", () => {
    const issues = issuesOf({
      id: "x",
      tasks: [
        { id: "a", functionName: "nope", dependsOn: ["b"] },
        { id: "b", functionName: "noop", dependsOn: ["a", "zz"] },
      ],
    });
    expect(issues.map((i) => i.path)).toEqual(["$.tasks[0].functionName", "$.tasks[1].dependsOn[1]", "$.tasks[1].dependsOn"]);
    expect(issues[2]!.message).toContain("cycle");
  });

  test("a cycle reached through the implicit previous-task dependency", () => {
    // t1 depends on t2 explicitly; t2 depends on t1 implicitly.
    expect(pathsOf(definitionOf("j", { dependsOn: ["t2"] }, {}))).toEqual(["$.tasks[1].dependsOn"]);
  });

  test("maxRetry and retry.maxAttempts that disagree; accepted when they agree", () => {
    expect(pathsOf(definition({ tasks: [taskDef({ maxRetry: 2, retry: { maxAttempts: 2 } })] }))).toEqual(["$.tasks[0].retry.maxAttempts"]);
    expect(parse(definition({ tasks: [taskDef({ maxRetry: 2, retry: { maxAttempts: 3 } })] })).tasks[0]!.retry.maxAttempts).toBe(3);
  });

  test("an unknown field (a typo), at its own path", () => {
    const issues = issuesOf(definition({ tasks: [{ ...taskDef(), dependOn: ["x"] }] }));
    expect(issues).toEqual([{ path: "$.tasks[0].dependOn", message: "is not a task field" }]);
    expect(pathsOf({ ...definition(), tasksss: [] })).toEqual(["$.tasksss"]);
    expect(pathsOf(definition({ tasks: [taskDef({ retry: { maxAttempt: 3 } })] }))).toEqual(["$.tasks[0].retry.maxAttempt"]);
  });

  test("no tasks", () => {
    expect(pathsOf(definition({ tasks: [] }))).toEqual(["$.tasks"]);
    const { tasks: _, ...noTasks } = definition();
    expect(pathsOf(noTasks)).toEqual(["$.tasks"]);
  });

  test("not an object", () => {
    for (const raw of [null, undefined, "job", 42, true, [definition()]])
      expect(issuesOf(raw)).toEqual([{ path: "$", message: "must be an object" }]);
    expect(pathsOf(definition({ tasks: ["noop" as unknown as never] }))).toEqual(["$.tasks[0]"]);
    expect(issuesOf(definition({ tasks: [[] as unknown as never] }))).toEqual([{ path: "$.tasks[0]", message: "must be an object" }]);
  });

  test("arrays where an object belongs", () => {
    expect(issuesOf(definition({ tasks: [taskDef({ params: [1, 2] as never })] }))).toEqual([
      { path: "$.tasks[0].params", message: "must be an object" },
    ]);
    expect(issuesOf(definition({ tasks: [taskDef({ retry: [] as never })] }))).toEqual([
      { path: "$.tasks[0].retry", message: "must be an object" },
    ]);
  });

  test("a missing required field says it is required", () => {
    expect(issuesOf({ tasks: [{ id: "a" }] })).toEqual([
      { path: "$.id", message: "is required" },
      { path: "$.tasks[0].functionName", message: "is required" },
    ]);
  });

  test("retry fields out of range", () => {
    expect(pathsOf(definition({ tasks: [taskDef({ retry: { maxAttempts: 0 } })] }))).toEqual(["$.tasks[0].retry.maxAttempts"]);
    expect(pathsOf(definition({ tasks: [taskDef({ retry: { backoffRate: 0.5 } })] }))).toEqual(["$.tasks[0].retry.backoffRate"]);
    expect(pathsOf(definition({ tasks: [taskDef({ retry: { jitterStrategy: "HALF" } })] }))).toEqual(["$.tasks[0].retry.jitterStrategy"]);
    expect(pathsOf(definition({ tasks: [taskDef({ retry: { errorEquals: [] } })] }))).toEqual(["$.tasks[0].retry.errorEquals"]);
    expect(pathsOf(definition({ tasks: [taskDef({ timeoutSeconds: 0 })] }))).toEqual(["$.tasks[0].timeoutSeconds"]);
  });

  test("every offending field at once, and a message naming the first", () => {
    let caught: ValidationError | undefined;
    try {
      parse({ id: "", tasks: [taskDef({ maxRetry: -1 }), taskDef({ id: "t2", functionName: "nope" })] });
    } catch (err) {
      caught = err as ValidationError;
    }
    // Schema issues are reported first; cross-field checks run only once the schema passes.
    expect(caught?.issues.map((i) => i.path)).toEqual(["$.id", "$.tasks[0].maxRetry"]);
    expect(caught?.message).toBe("invalid definition: $.id must be 1 to 128 characters of A-Z a-z 0-9 . _ - (and 1 more)");
  });
});
