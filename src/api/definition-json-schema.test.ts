/**
 * The JSON Schema of a definition against registration: the same valid and invalid examples go
 * to both (ajv for the schema, `parseDefinition` for registration). They must agree, except on
 * the checks the schema's description says only the server makes.
 */
import { describe, expect, test } from "bun:test";
import Ajv2020 from "ajv/dist/2020";
import { parseDefinition } from "../domain/definition.ts";
import { checkShellParams } from "../domain/shell-params.ts";
import { builtinFunctions } from "../tasks/registry.ts";
import { DEFINITION_SCHEMA_ID, definitionJsonSchema, definitionJsonSchemaWithGaps } from "./definition-json-schema.ts";

const functions = builtinFunctions();
/** Registration as a server started with --allow-shell-api sees it: the built-ins and shell with its params check. */
const accepts = (raw: unknown) => {
  try {
    parseDefinition(
      raw,
      (n) => n === "shell" || functions.has(n),
      (n, p) => (n === "shell" ? checkShellParams(p) : []),
    );
    return true;
  } catch {
    return false;
  }
};
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(definitionJsonSchema());

const task = (extra: Record<string, unknown> = {}) => ({ id: "a", functionName: "noop", ...extra });
const def = (extra: Record<string, unknown> = {}) => ({ id: "job", tasks: [task()], ...extra });

/** Valid for both. */
const VALID: [string, unknown][] = [
  ["the smallest definition", def()],
  ["with a $schema line for editors", def({ $schema: "http://127.0.0.1:8080/schemas/job-definition.json" })],
  [
    "every field",
    def({
      name: "Job",
      description: "does things",
      timeoutSeconds: 60,
      maxConcurrent: 2,
      concurrency: { key: "{{input.customer}}", limit: 1 },
      rateLimit: { count: 10, perSeconds: 60 },
      handlers: {
        onSuccess: { functionName: "noop" },
        onFailure: { functionName: "echo", params: {} },
        onExit: { functionName: "noop", timeoutSeconds: 5 },
      },
      tasks: [
        task({ name: "A", params: { x: 1 }, maxRetry: 2, timeoutSeconds: 0.5, dependsOn: [], continueOnFailure: true }),
        task({
          id: "b",
          retry: {
            maxAttempts: 3,
            intervalSeconds: 0,
            backoffRate: 2,
            maxDelaySeconds: 10,
            jitterStrategy: "NONE",
            errorEquals: ["TimeoutError"],
          },
          remote: true,
          dependsOn: ["a"],
        }),
      ],
      schedules: [
        {
          id: "nightly",
          cron: "0 3 * * *",
          timezone: "Europe/Paris",
          input: { customer: "x" },
          overlap: "skip",
          catchupWindowSeconds: 0,
          paused: true,
        },
      ],
    }),
  ],
  ["ids at the edge of the pattern", def({ id: "A.b_c-9".padEnd(128, "x"), tasks: [task({ id: "x" })] })],
];

/** Invalid for both: the schema can decide these. */
const INVALID: [string, unknown][] = [
  ["not an object", []],
  ["null", null],
  ["no id", { tasks: [task()] }],
  ["no tasks", { id: "job" }],
  ["empty tasks", def({ tasks: [] })],
  ["an unknown field", def({ owner: "me" })],
  ["$schema not a string", def({ $schema: 1 })],
  ["an id with a space", def({ id: "my job" })],
  ["an id of 129 characters", def({ id: "x".repeat(129) })],
  ["an empty name", def({ name: "" })],
  ["a negative timeout", def({ timeoutSeconds: -1 })],
  ["a zero timeout", def({ timeoutSeconds: 0 })],
  ["a timeout over 30 days", def({ timeoutSeconds: 2592001 })],
  ["a task without functionName", def({ tasks: [{ id: "a" }] })],
  ["an unknown task field", def({ tasks: [task({ retries: 3 })] })],
  ["params an array", def({ tasks: [task({ params: [] })] })],
  ["maxRetry fractional", def({ tasks: [task({ maxRetry: 1.5 })] })],
  ["maxRetry 1000", def({ tasks: [task({ maxRetry: 1000 })] })],
  ["retry an array", def({ tasks: [task({ retry: [] })] })],
  ["jitterStrategy unknown", def({ tasks: [task({ retry: { jitterStrategy: "SOME" } })] })],
  ["errorEquals empty", def({ tasks: [task({ retry: { errorEquals: [] } })] })],
  ["backoffRate below 1", def({ tasks: [task({ retry: { backoffRate: 0.5 } })] })],
  ["dependsOn a string", def({ tasks: [task({ dependsOn: "b" })] })],
  ["remote a string", def({ tasks: [task({ remote: "yes" })] })],
  ["an unknown handler kind", def({ handlers: { onStart: { functionName: "noop" } } })],
  ["a handler without functionName", def({ handlers: { onExit: {} } })],
  ["concurrency without limit", def({ concurrency: { key: "{{input.k}}" } })],
  ["concurrency limit 0", def({ concurrency: { key: "k", limit: 0 } })],
  ["rateLimit perSeconds 0", def({ rateLimit: { count: 1, perSeconds: 0 } })],
  ["maxConcurrent 0", def({ maxConcurrent: 0 })],
  ["a schedule without cron", def({ schedules: [{ id: "s" }] })],
  ["an overlap unknown", def({ schedules: [{ id: "s", cron: "* * * * *", overlap: "queue" }] })],
  ["catchupWindowSeconds fractional", def({ schedules: [{ id: "s", cron: "* * * * *", catchupWindowSeconds: 1.5 }] })],
  ["schedule input an array", def({ schedules: [{ id: "s", cron: "* * * * *", input: [] }] })],
  ["101 schedules", def({ schedules: Array.from({ length: 101 }, (_, i) => ({ id: `s${i}`, cron: "* * * * *" })) })],
];

/** Valid for the schema, refused by the server: each one is a check the schema's description names. */
const SERVER_ONLY: [string, unknown][] = [
  ["duplicate task ids", def({ tasks: [task(), task()] })],
  ["an unknown function", def({ tasks: [task({ functionName: "nope" })] })],
  ["dependsOn an unknown task", def({ tasks: [task({ dependsOn: ["b"] })] })],
  ["a cycle", def({ tasks: [task({ dependsOn: ["b"] }), task({ id: "b", dependsOn: ["a"] })] })],
  ["maxRetry and retry.maxAttempts disagreeing", def({ tasks: [task({ maxRetry: 1, retry: { maxAttempts: 3 } })] })],
  ["intervalSeconds above maxDelaySeconds", def({ tasks: [task({ retry: { intervalSeconds: 20, maxDelaySeconds: 10 } })] })],
  [
    "a template reading a downstream task",
    def({ tasks: [task({ params: { x: "{{tasks.b.output}}" } }), task({ id: "b", dependsOn: [] })] }),
  ],
  ["a function's own params (shell without command)", def({ tasks: [task({ functionName: "shell", params: {} })] })],
  ["an invalid cron expression", def({ schedules: [{ id: "s", cron: "not cron" }] })],
  ["an unknown timezone", def({ schedules: [{ id: "s", cron: "* * * * *", timezone: "Mars/Olympus" }] })],
  [
    "duplicate schedule ids",
    def({
      schedules: [
        { id: "s", cron: "* * * * *" },
        { id: "s", cron: "* * * * *" },
      ],
    }),
  ],
  [
    "a schedule whose input gives no concurrency key",
    def({ concurrency: { key: "{{input.k}}", limit: 1 }, schedules: [{ id: "s", cron: "* * * * *" }] }),
  ],
  ['an id of ".."', def({ id: ".." })],
];

describe("the definition JSON Schema and registration agree", () => {
  test.each(VALID)("both accept: %s", (_, raw) => {
    expect(validate(raw)).toBe(true);
    expect(accepts(raw)).toBe(true);
  });

  test.each(INVALID)("both refuse: %s", (_, raw) => {
    expect(validate(raw)).toBe(false);
    expect(accepts(raw)).toBe(false);
  });

  test.each(SERVER_ONLY)("only the server refuses: %s", (_, raw) => {
    expect(validate(raw)).toBe(true);
    expect(accepts(raw)).toBe(false);
  });
});

describe("the schema as an editor sees it", () => {
  test("is JSON Schema 2020-12 with an id, a title and what only the server checks", () => {
    const schema = definitionJsonSchema();
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(DEFINITION_SCHEMA_ID);
    expect(schema.title).toBe("Baton job definition");
    expect(String(schema.description)).toContain("Only the server checks");
  });

  test("every field has a description", () => {
    expect(definitionJsonSchemaWithGaps().undescribed).toEqual([]);
  });
});
