/**
 * The API's own reference from the compiled binary: `/openapi.json` is valid OpenAPI 3.1 and the
 * binary's real answers match it; `/schemas/job-definition.json` is what `baton schema` prints,
 * and a definition file carrying a `"$schema"` line loads from the jobs folder and registers
 * through the API without the line being stored; `/reference` is a page with nothing external.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import Ajv2020 from "ajv/dist/2020";
import { type Checker, checker } from "../helpers/openapi.ts";
import { type Baton, runBaton, startBaton, tempDir, waitForStatus } from "./harness.ts";

let baton: Baton;
let spec: Checker;
const jobs = tempDir();
const SCHEMA_LINE = "http://127.0.0.1/schemas/job-definition.json";
const fileDefinition = {
  $schema: SCHEMA_LINE,
  id: "from-file",
  tasks: [
    { id: "a", functionName: "echo", params: { n: 1 } },
    { id: "b", functionName: "noop" },
  ],
};

beforeAll(async () => {
  writeFileSync(join(jobs, "from-file.json"), JSON.stringify(fileDefinition, null, 2));
  baton = await startBaton({ jobs });
});
afterAll(async () => {
  await baton.stop();
});

/** Sends the request and checks the answer against `METHOD template` of the document. */
async function hit(method: string, template: string, path: string, body?: unknown) {
  const res = await baton.request(method, path, body);
  const type = res.headers.get("content-type");
  const text = await res.text();
  const parsed = type?.includes("json") ? JSON.parse(text) : text;
  expect(spec.check(method, template, res.status, type, parsed)).toEqual([]);
  return { status: res.status, body: parsed };
}

describe("GET /openapi.json from the binary", () => {
  test("is valid OpenAPI 3.1, and real answers match it", async () => {
    const res = await baton.request("GET", "/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, any>;
    expect(await new Validator().validate(doc as never)).toEqual({ valid: true });
    expect(doc.info.version).toBe((await runBaton(["version"])).stdout.trim());
    spec = checker(doc);

    expect((await hit("POST", "/job-definitions", "/job-definitions", { ...fileDefinition, $schema: "./elsewhere.json" })).status).toBe(
      200,
    );
    await hit("POST", "/job-definitions", "/job-definitions", { id: "x", tasks: [{ id: "a" }] });
    const id = (await hit("POST", "/jobs/{definitionId}/execute", "/jobs/from-file/execute", { who: "e2e" })).body.executionID;
    await waitForStatus(baton, id, ["COMPLETED"]);
    await hit("GET", "/jobs/{executionId}/state", `/jobs/${id}/state`);
    await hit("GET", "/jobs/{executionId}/events", `/jobs/${id}/events`);
    await hit("GET", "/jobs", "/jobs?definitionId=from-file");
    await hit("POST", "/jobs/{executionId}/cancel", `/jobs/${id}/cancel`);
    await hit("GET", "/jobs/{executionId}/state", "/jobs/nope/state");
    await hit("GET", "/system/state", "/system/state");
    await hit("GET", "/healthz", "/healthz");
    await hit("GET", "/reference", "/reference");
    expect([...spec.seen].sort()).toEqual([
      "GET /healthz 200",
      "GET /jobs 200",
      "GET /jobs/{executionId}/events 200",
      "GET /jobs/{executionId}/state 200",
      "GET /jobs/{executionId}/state 404",
      "GET /reference 200",
      "GET /system/state 200",
      "POST /job-definitions 200",
      "POST /job-definitions 400",
      "POST /jobs/{definitionId}/execute 202",
      "POST /jobs/{executionId}/cancel 409",
    ]);
  });
});

describe("the definition JSON Schema", () => {
  test("the server serves what `baton schema` prints, and it accepts the file the server loaded", async () => {
    const served = await baton.json("GET", "/schemas/job-definition.json");
    const printed = await runBaton(["schema"]);
    expect(printed.code).toBe(0);
    expect(served).toEqual({ status: 200, body: JSON.parse(printed.stdout) });
    expect(new Ajv2020({ strict: true }).compile(served.body)(fileDefinition)).toBe(true);
  });

  test("`baton schema` with an argument is bad usage: one line on stderr, exit 2", async () => {
    const res = await runBaton(["schema", "out.json"]);
    expect(res).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "baton: schema takes no arguments, got \"out.json\"; redirect its output: baton schema > job-definition.schema.json (see 'baton --help')\n",
    });
  });

  test("a $schema line is accepted from the jobs folder and never stored", async () => {
    const stored = await baton.json("GET", "/job-definitions/from-file");
    expect(stored.status).toBe(200);
    expect(stored.body.versions).toEqual([1]);
    expect(stored.body.$schema).toBeUndefined();
    expect(stored.body.tasks).toEqual(fileDefinition.tasks);
  });
});
