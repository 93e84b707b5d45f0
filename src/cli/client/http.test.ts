import { describe, expect, test } from "bun:test";
import { ClientError, client } from "./http.ts";

type Call = { url: string; init: RequestInit };

function fake(answer: () => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fetcher = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return answer();
  }) as unknown as typeof fetch;
  return { calls, fetcher };
}

const problem = (status: number, detail: string) =>
  new Response(JSON.stringify({ type: "urn:baton:problem:x", title: "x", status, detail }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });

async function failure(p: Promise<unknown>): Promise<ClientError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ClientError) return err;
    throw err;
  }
  throw new Error("expected a ClientError");
}

describe("client", () => {
  test("sends to the base URL with the bearer token and a JSON body; answers the parsed JSON", async () => {
    const { calls, fetcher } = fake(() => Response.json({ executionID: "e1" }, { status: 202 }));
    const api = client({ url: "http://127.0.0.1:9", token: "s3cret" }, fetcher);
    const answer = await api.post("/jobs/a/execute", { x: 1 }, { "idempotency-key": "k" });
    expect(answer).toEqual({ status: 202, body: { executionID: "e1" } });
    expect(calls[0]!.url).toBe("http://127.0.0.1:9/jobs/a/execute");
    expect(calls[0]!.init.body).toBe('{"x":1}');
    expect(calls[0]!.init.headers).toMatchObject({
      authorization: "Bearer s3cret",
      "idempotency-key": "k",
      "content-type": "application/json",
    });
  });

  test("without a token no Authorization header is sent", async () => {
    const { calls, fetcher } = fake(() => Response.json([]));
    await client({ url: "http://h", token: undefined }, fetcher).get("/job-definitions");
    expect(Object.keys(calls[0]!.init.headers as object)).not.toContain("authorization");
  });

  test("an error answer becomes one line with the server's detail and status", async () => {
    const { fetcher } = fake(() => problem(404, 'no execution with id "x"; list executions with GET /jobs'));
    const err = await failure(client({ url: "http://h", token: undefined }, fetcher).get("/jobs/x/state"));
    expect(err.message).toBe('no execution with id "x"; list executions with GET /jobs (HTTP 404)');
    expect(err.status).toBe(404);
  });

  test("a 401 says how to give a token, or to check the one given", async () => {
    const { fetcher } = fake(() => problem(401, "this route needs a bearer token"));
    const without = await failure(client({ url: "http://h", token: undefined }, fetcher).get("/jobs"));
    expect(without.message).toEndWith("(HTTP 401); pass a token with --token or BATON_TOKEN");
    const withToken = await failure(client({ url: "http://h", token: "t" }, fetcher).get("/jobs"));
    expect(withToken.message).toEndWith("; check the token given by --token or BATON_TOKEN");
  });

  test("an answer that is not problem+json is named by its status", async () => {
    const { fetcher } = fake(() => new Response("<html>bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    const err = await failure(client({ url: "http://h", token: undefined }, fetcher).get("/jobs"));
    expect(err.message).toBe("the server at http://h answered 502 Bad Gateway");
  });

  test("a 2xx that is not JSON says the URL may not be Baton", async () => {
    const { fetcher } = fake(() => new Response("<html>hello</html>"));
    const err = await failure(client({ url: "http://h", token: undefined }, fetcher).get("/jobs"));
    expect(err.message).toContain("is --url pointing at Baton?");
  });

  test("a refused connection and a timeout are one line each, naming the URL", async () => {
    const refused = fake(() => {
      throw Object.assign(new TypeError("ECONNREFUSED: Unable to connect."), { code: "ECONNREFUSED" });
    });
    const err = await failure(client({ url: "http://127.0.0.1:1", token: undefined }, refused.fetcher).get("/jobs"));
    expect(err.message).toBe(
      "cannot reach Baton at http://127.0.0.1:1 (connection refused); is 'baton serve' running there? Set --url or BATON_URL to its address",
    );
    expect(err.status).toBeUndefined();
    const slow = fake(() => {
      throw new DOMException("The operation timed out.", "TimeoutError");
    });
    expect((await failure(client({ url: "http://h", token: undefined }, slow.fetcher).get("/jobs"))).message).toContain(
      "(no answer within 30 s)",
    );
  });

  test("fetch's generic failure reads its cause: a refused connection in words (Deno), another reason as its first line", async () => {
    const denoRefused = fake(() => {
      throw new TypeError("fetch failed", {
        cause: new Error(
          "error sending request for url (http://127.0.0.1:1/jobs): client error (Connect): tcp connect error: Connection refused (os error 111)",
        ),
      });
    });
    expect((await failure(client({ url: "http://127.0.0.1:1", token: undefined }, denoRefused.fetcher).get("/jobs"))).message).toContain(
      "(connection refused)",
    );
    const dns = fake(() => {
      throw new TypeError("fetch failed", {
        cause: new Error("dns error: failed to lookup address information: Name or service not known"),
      });
    });
    expect((await failure(client({ url: "http://nowhere.invalid", token: undefined }, dns.fetcher).get("/jobs"))).message).toContain(
      "(dns error: failed to lookup address information: Name or service not known)",
    );
  });
});
