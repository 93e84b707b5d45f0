/** Every kind of bad request answers problem+json and changes nothing stored. */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type Baton, startBaton } from "./harness.ts";

let baton: Baton;
beforeAll(async () => {
  baton = await startBaton();
});
afterAll(async () => {
  await baton.stop();
});

/** What a bad request must not change. */
async function snapshot() {
  const defs = await (await baton.request("GET", "/job-definitions")).text();
  const jobs = await (await baton.request("GET", "/jobs?limit=500")).text();
  const system = (await baton.json("GET", "/system/state")).body;
  return { defs, jobs, queued: system.queuedCount, executed: system.executedJobs, active: system.activeJobs.length };
}

async function expectProblem(res: Response, status: number): Promise<any> {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toStartWith("application/problem+json");
  const body = (await res.json()) as any;
  expect(body).toMatchObject({ status });
  for (const key of ["type", "title", "detail"]) expect(typeof body[key]).toBe("string");
  expect(body.detail.length).toBeGreaterThan(10);
  return body;
}

const cases: [string, () => Promise<Response>, number][] = [
  ["malformed JSON on execute", () => baton.request("POST", "/jobs/example-job/execute", "{ oops"), 400],
  ["malformed JSON on register", () => baton.request("POST", "/job-definitions", "{ oops"), 400],
  ["null input", () => baton.request("POST", "/jobs/example-job/execute", "null"), 400],
  ["an array as input", () => baton.request("POST", "/jobs/example-job/execute", "[1,2]"), 400],
  ["a string as input", () => baton.request("POST", "/jobs/example-job/execute", '"hi"'), 400],
  ["a definition that is not an object", () => baton.request("POST", "/job-definitions", "42"), 400],
  ["an unknown definition", () => baton.request("POST", "/jobs/no-such-job/execute", {}), 404],
  ["an unknown execution", () => baton.request("GET", "/jobs/no-such-execution/state"), 404],
  ["events of an unknown execution", () => baton.request("GET", "/jobs/no-such-execution/events"), 404],
  ["an unknown definition id", () => baton.request("GET", "/job-definitions/no-such-job"), 404],
  [
    "a body over 1 MiB",
    () => baton.request("POST", "/jobs/example-job/execute", JSON.stringify({ big: "x".repeat(1024 * 1024 + 10) })),
    413,
  ],
  ["an unknown route", () => baton.request("GET", "/nowhere"), 404],
  ["a wrong method on execute", () => baton.request("GET", "/jobs/example-job/execute"), 405],
  ["a wrong method on definitions", () => baton.request("DELETE", "/job-definitions"), 405],
  ["a bad status filter", () => baton.request("GET", "/jobs?status=SLEEPING"), 400],
  ["a bad limit", () => baton.request("GET", "/jobs?limit=-3"), 400],
  ["a runAt on February 30", () => baton.request("POST", "/jobs/example-job/execute?runAt=2030-02-30T00:00:00Z", {}), 400],
  ["a runAt on April 31", () => baton.request("POST", "/jobs/example-job/execute?runAt=2030-04-31T00:00:00Z", {}), 400],
];

for (const [what, send, status] of cases) {
  test(`${what} → ${status} problem+json, nothing stored`, async () => {
    const before = await snapshot();
    await expectProblem(await send(), status);
    expect(await snapshot()).toEqual(before);
  });
}

test("a 405 names the allowed methods", async () => {
  const res = await baton.request("PUT", "/jobs/example-job/execute");
  await expectProblem(res, 405);
  expect(res.headers.get("allow")).toContain("POST");
});

test("invalid definitions answer 400 with the JSON path of every offending field", async () => {
  const invalid: [unknown, string][] = [
    [{ id: "", tasks: [{ id: "a", functionName: "noop" }] }, "$.id"],
    [{ id: "bad id!", tasks: [{ id: "a", functionName: "noop" }] }, "$.id"],
    [
      {
        id: "dup",
        tasks: [
          { id: "a", functionName: "noop" },
          { id: "a", functionName: "noop" },
        ],
      },
      "$.tasks[1].id",
    ],
    [{ id: "fn", tasks: [{ id: "a", functionName: "doesNotExist" }] }, "$.tasks[0].functionName"],
    [{ id: "neg", tasks: [{ id: "a", functionName: "noop", maxRetry: -1 }] }, "$.tasks[0].maxRetry"],
    [{ id: "dep", tasks: [{ id: "a", functionName: "noop", dependsOn: ["ghost"] }] }, "$.tasks[0].dependsOn[0]"],
    [
      {
        id: "cyc",
        tasks: [
          { id: "a", functionName: "noop", dependsOn: ["b"] },
          { id: "b", functionName: "noop", dependsOn: ["a"] },
        ],
      },
      "dependsOn",
    ],
    [{ id: "conf", tasks: [{ id: "a", functionName: "noop", maxRetry: 2, retry: { maxAttempts: 5 } }] }, "$.tasks[0].retry.maxAttempts"],
  ];
  for (const [definition, path] of invalid) {
    const before = await snapshot();
    const body = await expectProblem(await baton.request("POST", "/job-definitions", definition), 400);
    expect(body.errors.map((e: { path: string }) => e.path).join(" ")).toContain(path);
    expect(await snapshot()).toEqual(before);
  }
});

test("a definition registered again unchanged is 200 with the same version; changed is a new version", async () => {
  const def = { id: "versioned", tasks: [{ id: "a", functionName: "noop" }] };
  const first = await baton.json("POST", "/job-definitions", def);
  expect(first.status).toBe(201);
  expect(first.body.version).toBe(1);
  const again = await baton.json("POST", "/job-definitions", { tasks: def.tasks, id: def.id });
  expect(again.status).toBe(200);
  expect(again.body.version).toBe(1);
  const changed = await baton.json("POST", "/job-definitions", { ...def, name: "Versioned" });
  expect(changed.status).toBe(201);
  expect(changed.body.version).toBe(2);
  expect((await baton.json("GET", "/job-definitions/versioned")).body).toMatchObject({ version: 2, name: "Versioned", versions: [1, 2] });
});
