/** The OpenAPI document: valid OpenAPI 3.1, built from the route table and the valibot schemas, with the bearer scheme; and the page rendered from it. */
import { describe, expect, test } from "bun:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { EXECUTION_STATUSES } from "../domain/states.ts";
import { definitionJsonSchema } from "./definition-json-schema.ts";
import { buildOpenApi } from "./openapi.ts";
import { renderReference } from "./reference-page.ts";
import { ROUTES } from "./routes.ts";

const doc = buildOpenApi(ROUTES, "1.2.3");
const OPEN = ["GET /healthz", "GET /livez", "GET /openapi.json", "GET /schemas/job-definition.json", "GET /reference"];
const operations = () =>
  Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([m, op]) => ({ key: `${m.toUpperCase()} ${path}`, op: op as any })),
  );

describe("the document", () => {
  test("is valid OpenAPI 3.1", async () => {
    const result = await new Validator().validate(doc as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe("3.1.0");
    expect((doc.info as { version: string }).version).toBe("1.2.3");
  });

  test("has every route of the table, with its summary, and nothing else", () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    expect(
      operations()
        .map((o) => o.key)
        .sort(),
    ).toEqual([...keys].sort());
    for (const r of ROUTES) expect((doc.paths[r.path.replace(/:(\w+)/g, "{$1}")]![r.method.toLowerCase()] as any).summary).toBe(r.summary);
    expect(new Set(operations().map((o) => o.op.operationId)).size).toBe(ROUTES.length);
  });

  test("a route without an entry in OPERATIONS cannot be described: building fails naming it", () => {
    const extra = { method: "GET" as const, path: "/new-thing", handler: ROUTES[0]!.handler, summary: "new" };
    expect(() => buildOpenApi([...ROUTES, extra], "1")).toThrow("route GET /new-thing has no entry in OPERATIONS");
  });

  test("every operation but the open ones needs the bearer token, and lists 401, 403 and 429", () => {
    expect((doc.components as any).securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    for (const { key, op } of operations()) {
      const open = OPEN.includes(key);
      expect([key, op.security]).toEqual([key, open ? [] : [{ bearer: [] }]]);
      for (const status of ["401", "403", "429"]) expect([key, status, status in op.responses]).toEqual([key, status, !open]);
    }
  });

  test("error answers are problem+json; POSTs list 413; every operation 500", () => {
    const responses = (doc.components as any).responses;
    for (const r of Object.values(responses) as any[]) {
      expect(r.content).toEqual({ "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } });
    }
    for (const { key, op } of operations()) {
      expect(op.responses["500"]).toEqual({ $ref: "#/components/responses/Internal" });
      if (key.startsWith("POST")) expect(op.responses["413"]).toEqual({ $ref: "#/components/responses/TooLarge" });
    }
  });

  test("parameters and bodies come from the valibot schemas the handlers validate with", () => {
    const list = (doc.paths["/jobs"]!.get as any).parameters;
    expect(list.find((p: any) => p.name === "status").schema.enum).toEqual([...EXECUTION_STATUSES]);
    expect(list.find((p: any) => p.name === "limit").schema).toMatchObject({ type: "string", default: "50" });
    const execute = doc.paths["/jobs/{definitionId}/execute"]!.post as any;
    expect(execute.parameters.map((p: any) => `${p.in} ${p.name}`)).toEqual([
      "path definitionId",
      "query runAt",
      "query delaySeconds",
      "query priority",
      "header Idempotency-Key",
    ]);
    expect(execute.requestBody).toMatchObject({ required: false, content: { "application/json": { schema: { type: "object" } } } });
    const poll = (doc.paths["/workers/poll"]!.post as any).requestBody.content["application/json"].schema;
    expect(poll).toMatchObject({ required: ["workerId", "functions"], properties: { max: { default: 1, maximum: 100 } } });
    const register = (doc.paths["/job-definitions"]!.post as any).requestBody.content["application/json"].schema;
    expect(register).toEqual({ $ref: "#/components/schemas/JobDefinition" });
    const { $schema: _s, $id: _i, ...definition } = definitionJsonSchema();
    expect((doc.components as any).schemas.JobDefinition).toEqual(definition);
  });
});

describe("the reference page", () => {
  const html = renderReference(doc);

  test("shows every operation under its tag, with its parameters, body example and answers", () => {
    for (const { key, op } of operations()) {
      const [method, path] = key.split(" ");
      expect(html).toContain(`<span class="m ${method!.toLowerCase()}">${method}</span> <code>${path!.replace(/&/g, "&amp;")}</code>`);
      expect(html).toContain(`id="${op.operationId}"`);
    }
    for (const tag of doc.tags as { name: string }[]) expect(html).toContain(`<h2 id="tag-${tag.name}">`);
    expect(html).toContain('<code>limit</code> <span class="dim">query</span>');
    expect(html).toContain("&quot;fromTask&quot;: &quot;store&quot;");
    expect(html).toContain('<td class="s4">409</td>');
  });

  test("loads nothing from elsewhere: no script, no external stylesheet, font or image", () => {
    expect(html).not.toMatch(/<script|<link|<img|@import|url\(|src=/i);
    expect(html.match(/href="([^"]+)"/g)!.every((h) => /href="(#|\/)/.test(h))).toBe(true);
  });
});
