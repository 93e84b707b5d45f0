/** `/job-definitions`: registering versions, listing them and reading one, with their 400s and 404s. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";

let t: Setup;
beforeEach(async () => (t = await setup()));
afterEach(() => t.close());

const body = definition("greet", [
  { id: "a", name: "First", functionName: "echo", params: { x: 1 } },
  { id: "b", functionName: "noop", maxRetry: 2, dependsOn: ["a"] },
]);

describe("POST /job-definitions", () => {
  test("201 registers version 1, with a Location", async () => {
    const res = await t.call("POST", "/job-definitions", body);
    expect(res.status).toBe(201);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.headers.get("location")).toBe("/job-definitions/greet");
    expect(res.body).toEqual({ message: "job definition registered", id: "greet", version: 1 });
  });

  test('"$schema" (for editors) is accepted and not stored: changing it makes no new version; a non-string is a 400', async () => {
    expect(
      (await t.call("POST", "/job-definitions", { $schema: "http://127.0.0.1:8080/schemas/job-definition.json", ...body })).status,
    ).toBe(201);
    const again = await t.call("POST", "/job-definitions", { $schema: "./job-definition.schema.json", ...body });
    expect(again).toMatchObject({ status: 200, body: { message: "job definition unchanged", version: 1 } });
    expect((await t.call("GET", "/job-definitions/greet")).body).not.toHaveProperty("$schema");
    const bad = await t.call("POST", "/job-definitions", { $schema: 1, ...body });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ path: "$.$schema", message: "must be a string: the address of the JSON Schema, for editors" }]);
  });

  test("200 unchanged for the same body, whatever its key order", async () => {
    await t.define(body);
    const reordered = { tasks: body.tasks, name: body.name, id: body.id };
    const res = await t.call("POST", "/job-definitions", reordered);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ message: "job definition unchanged", id: "greet", version: 1 });
  });

  test("201 version 2 for a changed body", async () => {
    await t.define(body);
    const res = await t.call("POST", "/job-definitions", { ...body, name: "Renamed" });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ message: "job definition registered", id: "greet", version: 2 });
  });

  test("accepts a body without Content-Type (curl -d) and with text/plain", async () => {
    const res = await t.call("POST", "/job-definitions", JSON.stringify(body), { "Content-Type": "application/x-www-form-urlencoded" });
    expect(res.status).toBe(201);
  });

  const invalid: [string, unknown, string][] = [
    ["an empty id", definition(""), "$.id"],
    ["an unknown function", definition("x", [{ id: "a", functionName: "nope" }]), "$.tasks[0].functionName"],
    ["a negative maxRetry", definition("x", [{ id: "a", functionName: "noop", maxRetry: -1 }]), "$.tasks[0].maxRetry"],
    ["an unknown dependency", definition("x", [{ id: "a", functionName: "noop", dependsOn: ["zz"] }]), "$.tasks[0].dependsOn[0]"],
    ["an unknown field", { ...definition("x"), extra: 1 }, "$.extra"],
    ["no tasks", definition("x", []), "$.tasks"],
    ["an array", [body], "$"],
    ["null", null, "$"],
  ];
  for (const [what, bad, path] of invalid) {
    test(`400 for ${what}, naming ${path}, storing nothing`, async () => {
      await t.define(definition("keep"));
      const before = await t.snapshot();
      const res = await t.call("POST", "/job-definitions", JSON.stringify(bad));
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body).toMatchObject({ type: "urn:baton:problem:validation", title: "Invalid request", status: 400 });
      expect(res.body.detail).toMatch(/^invalid (definition|request body)/);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect(await t.snapshot()).toEqual(before);
    });
  }

  test("400 for every invalid field at once", async () => {
    const res = await t.call(
      "POST",
      "/job-definitions",
      definition("x", [
        { id: "a", functionName: "noop" },
        { id: "a", functionName: "nope" },
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: "$.tasks[1].id", message: expect.stringContaining("duplicates") },
      { path: "$.tasks[1].functionName", message: expect.stringContaining("nope") },
    ]);
  });

  test("400 for an empty body, malformed JSON, and a body that is not UTF-8", async () => {
    for (const bad of ["", "   ", '{"id": ', new Uint8Array([0x7b, 0xff, 0x7d]) as unknown as string]) {
      const before = await t.snapshot();
      const res = await t.app.request("/job-definitions", { method: "POST", body: bad });
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      const problem = (await res.json()) as { status: number; detail: string; errors: unknown[] };
      expect(problem.status).toBe(400);
      expect(problem.detail).toMatch(/empty|not valid JSON|not UTF-8/);
      expect(problem.errors).toEqual([{ path: "$", message: expect.any(String) }]);
      expect(await t.snapshot()).toEqual(before);
    }
  });
});

describe("GET /job-definitions", () => {
  test("200 [] when there are none", async () => {
    const res = await t.call("GET", "/job-definitions");
    expect(res.status).toBe(200);
    expect(res.body).toEqual([]);
  });

  test("the latest version of each, the body as submitted plus version and createdAt", async () => {
    const before = Date.now();
    await t.define(body);
    await t.define({ ...body, name: "v2" });
    await t.define(definition("other"));
    const res = await t.call("GET", "/job-definitions");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.body).toEqual([
      { ...body, name: "v2", version: 2, createdAt: expect.any(String) },
      { ...definition("other"), version: 1, createdAt: expect.any(String) },
    ]);
    const createdAt = Date.parse(res.body[0].createdAt);
    expect(new Date(createdAt).toISOString()).toBe(res.body[0].createdAt);
    expect(createdAt).toBeGreaterThanOrEqual(before - 1);
  });
});

describe("GET /job-definitions/{id}", () => {
  test("the latest version with the list of versions; ?version selects one", async () => {
    await t.define(body);
    await t.define({ ...body, name: "v2" });
    const latest = await t.call("GET", "/job-definitions/greet");
    expect(latest.status).toBe(200);
    expect(latest.body).toEqual({ ...body, name: "v2", version: 2, createdAt: expect.any(String), versions: [1, 2] });
    const first = await t.call("GET", "/job-definitions/greet?version=1");
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ ...body, version: 1, createdAt: expect.any(String), versions: [1, 2] });
  });

  test("404 problem for an unknown id", async () => {
    const res = await t.call("GET", "/job-definitions/missing");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "urn:baton:problem:not-found", status: 404 });
    expect(res.body.detail).toContain('"missing"');
  });

  test("404 for an unknown version, naming the versions there are", async () => {
    await t.define(body);
    const res = await t.call("GET", "/job-definitions/greet?version=7");
    expect(res.status).toBe(404);
    expect(res.body.detail).toContain("versions are 1");
  });

  for (const bad of ["0", "-1", "1.5", "abc", "", "99999999999"]) {
    test(`400 for ?version=${bad}, naming the parameter`, async () => {
      await t.define(body);
      const res = await t.call("GET", `/job-definitions/greet?version=${bad}`);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path: "version", message: expect.stringContaining("whole number") }]);
      expect(res.body.detail).toContain('"version"');
    });
  }
});
