/**
 * The `http` task kind against the compiled binary and a local server on 127.0.0.1: a server
 * that answers 500, then 429, then 200 (retried to success); one that never answers (the
 * attempt's timeout aborts it: States.Timeout); a closed port (Http.Network); a JSON answer
 * flowing into the next task's params; and a status the task does not expect, not retried.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Baton, execute, freePort, register, startBaton, waitForStatus } from "./harness.ts";

let baton: Baton;
let upstream: ReturnType<typeof Bun.serve>;
let base: string;
let flakyCalls = 0;
const received: { path: string; method: string; body: string; auth: string | null }[] = [];

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      received.push({
        path: url.pathname + url.search,
        method: req.method,
        body: await req.text(),
        auth: req.headers.get("authorization"),
      });
      switch (url.pathname) {
        case "/flaky": {
          flakyCalls++;
          if (flakyCalls === 1) return new Response("database is down", { status: 500 });
          if (flakyCalls === 2) return new Response("slow down", { status: 429, headers: { "retry-after": "1" } });
          return Response.json({ ok: true, calls: flakyCalls });
        }
        case "/user":
          return Response.json({ user: { id: 42, name: "ada" } });
        case "/hang":
          return new Promise<Response>(() => {});
        default:
          return new Response("no such thing", { status: 404 });
      }
    },
  });
  base = `http://127.0.0.1:${upstream.port}`;
  baton = await startBaton({ jobs: null });
});

afterAll(async () => {
  await baton.stop();
  await upstream.stop(true);
});

const fastRetry = (errorEquals: string[]) => ({ maxAttempts: 3, intervalSeconds: 0.05, jitterStrategy: "NONE", errorEquals });

describe("http against a local server", () => {
  test("500, then 429, then 200: retried by the task's policy to success, with the JSON body parsed", async () => {
    await register(baton, {
      id: "flaky-http",
      tasks: [
        { id: "call", functionName: "http", params: { url: `${base}/flaky` }, retry: fastRetry(["Http.Status.500", "Http.Status.429"]) },
      ],
    });
    const id = await execute(baton, "flaky-http");
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
    expect(done.status).toBe("COMPLETED");
    expect(done.tasks[0]).toMatchObject({ status: "COMPLETED", attempts: 3, output: { status: 200, body: { ok: true, calls: 3 } } });
    expect(done.tasks[0].output.headers["content-type"]).toStartWith("application/json");
    const events = (await baton.json("GET", `/jobs/${id}/events`)).body;
    const errors = JSON.stringify(events);
    expect(errors).toContain("Http.Status.500");
    expect(errors).toContain(`GET ${base}/flaky answered 500 Internal Server Error, expected any 2xx; body: database is down`);
    expect(errors).toContain("Http.Status.429");
  });

  test("a server that never answers: the attempt's timeout aborts the request, States.Timeout", async () => {
    await register(baton, {
      id: "hang-http",
      tasks: [{ id: "call", functionName: "http", params: { url: `${base}/hang` }, timeoutSeconds: 0.5 }],
    });
    const done = await waitForStatus(baton, await execute(baton, "hang-http"), ["COMPLETED", "FAILED"]);
    expect(done.status).toBe("FAILED");
    expect(done.tasks[0]).toMatchObject({ status: "FAILED", error: { name: "States.Timeout" } });
  });

  test("a closed port: Http.Network, retried like any error under States.ALL", async () => {
    const closed = `http://127.0.0.1:${freePort()}/x`;
    await register(baton, {
      id: "closed-http",
      tasks: [{ id: "call", functionName: "http", params: { url: closed }, retry: fastRetry(["States.ALL"]) }],
    });
    const done = await waitForStatus(baton, await execute(baton, "closed-http"), ["COMPLETED", "FAILED"]);
    expect(done.tasks[0]).toMatchObject({ status: "FAILED", attempts: 3, error: { name: "Http.Network" } });
    expect(done.tasks[0].error.message).toStartWith(`GET ${closed}: no response: `);
  });

  test("a JSON answer flows into the next task's params; a POST sends the execution's input", async () => {
    await register(baton, {
      id: "flow-http",
      tasks: [
        { id: "user", functionName: "http", params: { url: `${base}/user`, query: { verbose: true } } },
        {
          id: "notify",
          functionName: "http",
          dependsOn: ["user"],
          params: {
            method: "POST",
            url: `${base}/notify`,
            headers: { authorization: "Bearer plain" },
            body: { userId: "{{tasks.user.output.body.user.id}}", note: "{{input.note}}" },
            expectStatus: [404],
          },
        },
      ],
    });
    const done = await waitForStatus(baton, await execute(baton, "flow-http", { note: "hello" }), ["COMPLETED", "FAILED"]);
    expect(done.status).toBe("COMPLETED");
    expect(done.tasks[0].output.body).toEqual({ user: { id: 42, name: "ada" } });
    expect(done.tasks[1].output).toMatchObject({ status: 404, body: "no such thing" });
    expect(received.find((r) => r.path === "/user?verbose=true")).toBeDefined();
    expect(received.find((r) => r.path === "/notify")).toEqual({
      path: "/notify",
      method: "POST",
      body: '{"userId":42,"note":"hello"}',
      auth: "Bearer plain",
    });
  });

  test("an unexpected status the policy does not name fails at once; a bad param fails for good, naming it", async () => {
    await register(baton, {
      id: "bad-http",
      tasks: [
        {
          id: "missing",
          functionName: "http",
          params: { url: `${base}/nothing` },
          retry: fastRetry(["Http.Status.500"]),
          continueOnFailure: true,
        },
        { id: "typo", functionName: "http", params: { url: `${base}/user`, header: {} }, retry: fastRetry(["States.ALL"]) },
      ],
    });
    const done = await waitForStatus(baton, await execute(baton, "bad-http"), ["COMPLETED", "FAILED"]);
    expect(done.tasks[0]).toMatchObject({ status: "FAILED", attempts: 1, error: { name: "Http.Status.404" } });
    expect(done.tasks[1]).toMatchObject({
      status: "FAILED",
      attempts: 1,
      error: {
        name: "States.NonRetryable",
        message: "params.header is not an http param (use method, url, headers, query, body, expectStatus, followRedirects)",
      },
    });
  });
});
