/** `http` against a local server on 127.0.0.1: what it sends, what it returns, and how it fails. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { taskContext } from "../../test/helpers/task-context.ts";
import { ErrorNames } from "../domain/errors.ts";
import { httpFunction, httpRequestSpec } from "./http.ts";

let server: ReturnType<typeof Bun.serve>;
let base: string;
const seen: { method: string; path: string; headers: Record<string, string>; body: string }[] = [];

beforeAll(() => {
  server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      seen.push({ method: req.method, path: url.pathname + url.search, headers: Object.fromEntries(req.headers), body: await req.text() });
      switch (url.pathname) {
        case "/json":
          return Response.json({ ok: true, items: [1, 2] }, { headers: { "x-trace": "abc" } });
        case "/text":
          return new Response("plain words", { headers: { "content-type": "text/plain" } });
        case "/big":
          return new Response(`{"pad":"${"x".repeat(5000)}"}`, { headers: { "content-type": "application/json" } });
        case "/status":
          return new Response("slow down\nplease", { status: Number(url.searchParams.get("code")) });
        case "/moved":
          return new Response(null, { status: 302, headers: { location: "/json" } });
        case "/hang":
          return new Promise<Response>(() => {});
        default:
          return new Response("no such path", { status: 404 });
      }
    },
  });
  base = `http://127.0.0.1:${server.port}`;
});
afterAll(() => server.stop(true));

const ctx = taskContext;
const http = httpFunction();
const call = (params: Record<string, unknown>, fn = http) => Promise.resolve(fn(ctx(params)));
const failure = async (params: Record<string, unknown>) => {
  try {
    await call(params);
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error("expected the call to fail");
};

describe("http params", () => {
  test("defaults: GET, no body, any 2xx, redirects followed; the query is added to the URL", () => {
    const spec = httpRequestSpec({ url: "http://127.0.0.1:1/a?x=1", query: { y: 2, z: true } });
    expect(spec).toMatchObject({ method: "GET", headers: {}, body: undefined, expectStatus: null, followRedirects: true });
    expect(spec.url.href).toBe("http://127.0.0.1:1/a?x=1&y=2&z=true");
  });

  test("a JSON body is sent as JSON unless a content-type is named; a string is sent as is", () => {
    expect(httpRequestSpec({ url: "http://h/", method: "post", body: { a: 1 } })).toMatchObject({
      method: "POST",
      body: '{"a":1}',
      headers: { "content-type": "application/json" },
    });
    expect(httpRequestSpec({ url: "http://h/", method: "PUT", body: [1], headers: { "Content-Type": "text/csv" } }).headers).toEqual({
      "Content-Type": "text/csv",
    });
    expect(httpRequestSpec({ url: "http://h/", method: "POST", body: "a,b" })).toMatchObject({ body: "a,b", headers: {} });
  });

  test("a bad param is a non-retryable error naming it", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, "params.url must be a string, got undefined"],
      [{ url: "/relative" }, 'params.url must be an absolute URL, got "/relative"'],
      [{ url: "file:///etc/passwd" }, "params.url must be an http: or https: URL"],
      [{ url: "http://h/", method: "FETCH" }, "params.method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"],
      [{ url: "http://h/", headers: { a: 1 } }, "params.headers.a must be a string, got 1"],
      [{ url: "http://h/", query: { a: null } }, "params.query.a must be a string, number or boolean, got null"],
      [{ url: "http://h/", body: "x" }, "params.body cannot be sent with GET"],
      [{ url: "http://h/", expectStatus: [] }, "params.expectStatus must be a non-empty list of status codes"],
      [{ url: "http://h/", expectStatus: [200, 700] }, "params.expectStatus must be a non-empty list"],
      [{ url: "http://h/", followRedirects: "no" }, 'params.followRedirects must be true or false, got "no"'],
      [
        { url: "http://h/", header: {} },
        "params.header is not an http param (use method, url, headers, query, body, expectStatus, followRedirects)",
      ],
    ];
    for (const [params, message] of cases) {
      expect(() => httpRequestSpec(params)).toThrow(expect.objectContaining({ name: ErrorNames.NonRetryable }));
      expect(() => httpRequestSpec(params)).toThrow(message);
    }
  });
});

describe("http calls", () => {
  test("returns status, headers and the parsed JSON body; sends method, headers, query and body", async () => {
    const out = await call({
      url: `${base}/json`,
      method: "POST",
      headers: { authorization: "Bearer t" },
      query: { q: "a b" },
      body: { n: 1 },
    });
    expect(out).toMatchObject({ status: 200, headers: { "x-trace": "abc" }, body: { ok: true, items: [1, 2] } });
    expect(seen.at(-1)).toMatchObject({
      method: "POST",
      path: "/json?q=a+b",
      headers: { authorization: "Bearer t", "content-type": "application/json" },
      body: '{"n":1}',
    });
  });

  test("a body that is not JSON stays text", async () => {
    expect(await call({ url: `${base}/text` })).toMatchObject({ status: 200, body: "plain words" });
  });

  test("a body above the cap keeps its head and tail, marked, and is not parsed", async () => {
    const out = (await call({ url: `${base}/big` }, httpFunction({ maxOutputBytes: 100 }))) as { body: string };
    expect(out.body).toStartWith(`{"pad":"${"x".repeat(42)}\n…[4910 bytes truncated]…\n`);
    expect(out.body).toEndWith(`${"x".repeat(48)}"}`);
  });

  test("an unexpected status is Http.Status.<code>, quoting the body; expectStatus widens what is accepted", async () => {
    expect(await failure({ url: `${base}/status?code=500` })).toEqual({
      name: "Http.Status.500",
      message: `GET ${base}/status?code=500 answered 500 Internal Server Error, expected any 2xx; body: slow down please`,
    });
    expect(await failure({ url: `${base}/status?code=429`, expectStatus: [200, 201] })).toMatchObject({
      name: "Http.Status.429",
      message: expect.stringContaining("expected 200, 201"),
    });
    expect(await call({ url: `${base}/status?code=404`, expectStatus: [404] })).toMatchObject({ status: 404, body: "slow down\nplease" });
  });

  test("redirects are followed unless followRedirects is false; then the 3xx is the answer", async () => {
    expect(await call({ url: `${base}/moved` })).toMatchObject({ status: 200, body: { ok: true } });
    expect(await failure({ url: `${base}/moved`, followRedirects: false })).toMatchObject({ name: "Http.Status.302" });
    expect(await call({ url: `${base}/moved`, followRedirects: false, expectStatus: [302] })).toMatchObject({
      status: 302,
      headers: { location: "/json" },
    });
  });

  test("no answer at all is Http.Network", async () => {
    const closed = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    const url = `http://127.0.0.1:${closed.port}/`;
    await closed.stop(true);
    expect(await failure({ url })).toMatchObject({
      name: "Http.Network",
      message: expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/: no response: /),
    });
  });

  test("the attempt's signal aborts the request, and its reason is what the attempt fails with", async () => {
    const controller = new AbortController();
    const pending = Promise.resolve(http(ctx({ url: `${base}/hang` }, controller.signal)));
    while (!seen.some((s) => s.path === "/hang")) await Bun.sleep(1);
    const reason = Object.assign(new Error("attempt did not finish"), { name: ErrorNames.Timeout });
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
  });
});
