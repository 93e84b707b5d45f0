/** Answers every route shares: 404s, 405s with Allow, 413s, 500s, the shape of problem bodies, nesting limits. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chunkedBody, definition, type Setup, setup } from "../../test/helpers/api.ts";
import { createApp } from "./app.ts";
import { MAX_BODY_BYTES } from "./body.ts";

let t: Setup;
beforeEach(async () => (t = await setup()));
afterEach(() => t.close());

const PROBLEM = "application/problem+json";

describe("unknown paths", () => {
  for (const path of ["/", "/nope", "/jobs/", "/jobs/x", "/jobs/x/y", "/job-definitions/a/b", "/system", "/healthz/x"]) {
    test(`404 problem for GET ${path}`, async () => {
      const res = await t.call("GET", path);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe(PROBLEM);
      expect(res.body).toEqual({
        type: "urn:baton:problem:not-found",
        title: "Not found",
        status: 404,
        detail: expect.stringContaining(path),
      });
    });
  }
});

describe("405 with an Allow header on known paths", () => {
  const cases: [string, string, string][] = [
    ["DELETE", "/job-definitions", "GET, HEAD, POST"],
    ["PUT", "/job-definitions", "GET, HEAD, POST"],
    ["POST", "/job-definitions/x", "GET, HEAD"],
    ["DELETE", "/job-definitions/x", "GET, HEAD"],
    ["GET", "/jobs/x/execute", "POST"],
    ["PUT", "/jobs/x/execute", "POST"],
    ["HEAD", "/jobs/x/execute", "POST"],
    ["POST", "/jobs", "GET, HEAD"],
    ["POST", "/jobs/x/state", "GET, HEAD"],
    ["PATCH", "/jobs/x/events", "GET, HEAD"],
    ["POST", "/system/state", "GET, HEAD"],
    ["DELETE", "/healthz", "GET, HEAD"],
    ["OPTIONS", "/jobs", "GET, HEAD"],
  ];
  for (const [method, path, allow] of cases) {
    test(`${method} ${path}`, async () => {
      const before = await t.snapshot();
      const res = await t.app.request(path, { method, body: method === "GET" || method === "HEAD" ? undefined : "{}" });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe(allow);
      expect(res.headers.get("content-type")).toBe(PROBLEM);
      if (method !== "HEAD") {
        const body = (await res.json()) as { type: string; status: number; detail: string };
        expect(body).toMatchObject({ type: "urn:baton:problem:method-not-allowed", title: "Method not allowed", status: 405 });
        expect(body.detail).toContain(method);
      }
      expect(await t.snapshot()).toEqual(before);
    });
  }
});

describe("413 for a body over 1 MiB", () => {
  const big = "x".repeat(MAX_BODY_BYTES + 1);

  const expectTooLarge = async (res: Response) => {
    expect(res.status).toBe(413);
    expect(res.headers.get("content-type")).toBe(PROBLEM);
    const body = (await res.json()) as { type: string; status: number; detail: string };
    expect(body).toMatchObject({ type: "urn:baton:problem:too-large", status: 413 });
    expect(body.detail).toContain("1 MiB");
  };

  for (const path of ["/job-definitions", "/jobs/d/execute"]) {
    test(`POST ${path} with a Content-Length, storing nothing`, async () => {
      await t.define(definition("d"));
      const before = await t.snapshot();
      await expectTooLarge(await t.app.request(path, { method: "POST", body: big, headers: { "Content-Length": String(big.length) } }));
      expect(await t.snapshot()).toEqual(before);
    });

    test(`POST ${path} chunked, without a Content-Length, storing nothing`, async () => {
      await t.define(definition("d"));
      const before = await t.snapshot();
      const req = new Request(`http://localhost${path}`, {
        method: "POST",
        body: chunkedBody(MAX_BODY_BYTES + 1),
        duplex: "half",
      } as RequestInit);
      expect(req.headers.get("content-length")).toBeNull();
      await expectTooLarge(await t.app.request(req));
      expect(await t.snapshot()).toEqual(before);
    });
  }

  test("a Content-Length smaller than the body does not get it through", async () => {
    await t.define(definition("d"));
    const before = await t.snapshot();
    await expectTooLarge(await t.app.request("/jobs/d/execute", { method: "POST", body: big, headers: { "Content-Length": "2" } }));
    expect(await t.snapshot()).toEqual(before);
  });

  test("a body of exactly 1 MiB is accepted, chunked or not", async () => {
    await t.define(definition("d"));
    const input = JSON.stringify({ pad: "" });
    const exact = JSON.stringify({ pad: "y".repeat(MAX_BODY_BYTES - input.length) });
    expect(exact.length).toBe(MAX_BODY_BYTES);
    expect((await t.app.request("/jobs/d/execute", { method: "POST", body: exact })).status).toBe(202);
    const chunked = new Request("http://localhost/jobs/d/execute", {
      method: "POST",
      body: chunkedBody(MAX_BODY_BYTES),
      duplex: "half",
    } as RequestInit);
    expect((await t.app.request(chunked)).status).toBe(202); // all spaces: an empty body, so {}
  });
});

describe("500 for an unexpected error", () => {
  test("a generic detail, no internals, logged without the request body", async () => {
    const lines: string[] = [];
    const log = (message: string, fields?: Record<string, unknown>) => lines.push(`${message} ${JSON.stringify(fields)}`);
    const app = createApp({
      engine: t.engine,
      reads: t.store,
      version: "x",
      startedAt: 0,
      logger: { debug: log, info: log, warn: log, error: log },
    });
    t.store.listDefinitions = async () => {
      throw new Error("disk I/O error at /var/lib/baton/secret.db");
    };
    const res = await app.request("/job-definitions?token=hunter2");
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe(PROBLEM);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({ type: "urn:baton:problem:internal", title: "Internal server error", status: 500, detail: expect.any(String) });
    expect(JSON.stringify(body)).not.toContain("secret");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("disk I/O error");
    expect(lines[0]).toContain("/job-definitions");
    expect(lines[0]).not.toContain("hunter2");
  });
});

describe("problem bodies", () => {
  test("status always equals the HTTP status", async () => {
    await t.define(definition("d"));
    const requests: [string, string, string?][] = [
      ["GET", "/nope"],
      ["POST", "/jobs/d/execute", "[]"],
      ["POST", "/jobs/zz/execute"],
      ["PUT", "/jobs"],
      ["GET", "/jobs?limit=0"],
    ];
    for (const [method, path, body] of requests) {
      const res = await t.call(method, path, body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.body.status).toBe(res.status);
      expect(typeof res.body.type).toBe("string");
      expect(typeof res.body.title).toBe("string");
      expect(res.body.detail.length).toBeGreaterThan(20);
    }
  });
});

describe("deeply nested bodies", () => {
  const nested = (levels: number) => "[".repeat(levels) + "]".repeat(levels);

  for (const path of ["/job-definitions", "/jobs/d/execute"]) {
    test(`POST ${path}: 400, not 500, storing nothing`, async () => {
      await t.define(definition("d"));
      const before = await t.snapshot();
      const res = await t.call("POST", path, `{"x": ${nested(200_000)}}`);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path: "$", message: expect.stringContaining("levels deep") }]);
      expect(await t.snapshot()).toEqual(before);
    });
  }

  test("100 levels are accepted", async () => {
    await t.define(definition("d"));
    expect((await t.call("POST", "/jobs/d/execute", `{"x": ${nested(99)}}`)).status).toBe(202);
    expect((await t.call("POST", "/jobs/d/execute", `{"x": ${nested(100)}}`)).status).toBe(400);
  });
});
