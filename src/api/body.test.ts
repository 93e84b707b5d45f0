/** The 1 MiB limit refuses bodies without reading them, and a client that hangs up mid-upload is not a server fault. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";
import { createApp } from "./app.ts";
import { MAX_BODY_BYTES } from "./body.ts";

let t: Setup;
beforeEach(async () => {
  t = await setup();
  await t.define(definition("d"));
});
afterEach(() => t.close());

/** A body of `bytes` bytes, made as it is pulled, that counts how many bytes were pulled from it. */
function countedBody(bytes: number, chunk = 64 * 1024) {
  const counter = { pulled: 0 };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (counter.pulled >= bytes) return controller.close();
      const n = Math.min(chunk, bytes - counter.pulled);
      controller.enqueue(new Uint8Array(n).fill(0x20));
      counter.pulled += n;
    },
  });
  return { stream, counter };
}

const post = (body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}, signal?: AbortSignal) =>
  new Request("http://localhost/jobs/d/execute", { method: "POST", body, headers, signal, duplex: "half" } as RequestInit);

async function expectTooLarge(res: Response) {
  expect(res.status).toBe(413);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  expect(await res.json()).toMatchObject({ type: "urn:baton:problem:too-large", status: 413, detail: expect.stringContaining("1 MiB") });
}

describe("bodies over the limit are refused without being read", () => {
  test("a declared Content-Length over the limit: 413 before reading the body", async () => {
    const { stream, counter } = countedBody(64 * 1024 * 1024);
    const before = await t.snapshot();
    await expectTooLarge(await t.app.request(post(stream, { "Content-Length": String(2 * 1024 ** 3) })));
    // A stream may fill its queue once when it is made; nothing is read after that.
    expect(counter.pulled).toBeLessThanOrEqual(64 * 1024);
    expect(await t.snapshot()).toEqual(before);
  });

  test("a chunked body is counted as it arrives and reading stops just past the limit", async () => {
    const { stream, counter } = countedBody(64 * 1024 * 1024);
    await expectTooLarge(await t.app.request(post(stream)));
    expect(counter.pulled).toBeGreaterThan(MAX_BODY_BYTES);
    expect(counter.pulled).toBeLessThanOrEqual(MAX_BODY_BYTES + 3 * 64 * 1024);
  });

  test("a chunked body of exactly the limit, in odd-sized chunks, arrives whole", async () => {
    const json = JSON.stringify({ pad: "" });
    const text = JSON.stringify({ pad: "z".repeat(MAX_BODY_BYTES - json.length) });
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(at, at + 7777));
        at += 7777;
      },
    });
    const res = await t.app.request(post(stream));
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { executionID: string }).executionID;
    expect((await t.call("GET", `/jobs/${id}/state`)).body.input).toEqual(JSON.parse(text));
  });
});

describe("a client that hangs up mid-upload", () => {
  /** What Bun 1.4.4 throws from a body read when the client disconnects (checked against the server). */
  const disconnect = () => new DOMException("The connection was closed.", "AbortError");

  /** A body that sends `sent` bytes, then fails the way `fail` says. */
  function hangUp(sent: number, fail: () => unknown, onFail?: () => void) {
    let done = false;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (done) {
          onFail?.();
          return controller.error(fail());
        }
        done = true;
        controller.enqueue(new Uint8Array(sent).fill(0x20));
      },
    });
  }

  function appWithLog() {
    const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
    const at = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push({ level, message, fields });
    const app = createApp({
      engine: t.engine,
      reads: t.store,
      version: "x",
      startedAt: 0,
      logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") },
    });
    return { app, lines };
  }

  const cases: [string, Record<string, string>, string][] = [
    ["with a Content-Length", { "Content-Length": "500000" }, "before all 500000 bytes of the request body"],
    ["chunked", {}, "after 1000 bytes of a chunked request body"],
  ];
  for (const [what, headers, reason] of cases) {
    test(`${what}: logged at debug, not as an error; answered 400; nothing stored`, async () => {
      const { app, lines } = appWithLog();
      const before = await t.snapshot();
      const res = await app.request(post(hangUp(1000, disconnect), headers));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { detail: string; errors: unknown[] };
      expect(body.detail).toContain(reason);
      expect(body.errors).toEqual([{ path: "$", message: expect.stringContaining("closed the connection") }]);
      expect(lines.filter((l) => l.level !== "debug")).toEqual([]);
      expect(lines).toEqual([
        {
          level: "debug",
          message: "request abandoned by the client",
          fields: expect.objectContaining({ method: "POST", path: "/jobs/d/execute" }),
        },
      ]);
      expect(await t.snapshot()).toEqual(before);
    });
  }

  test("an aborted request signal is enough, whatever the read throws", async () => {
    const { app, lines } = appWithLog();
    const controller = new AbortController();
    const res = await app.request(
      post(
        hangUp(
          1000,
          () => new TypeError("socket gone"),
          () => controller.abort(),
        ),
        {},
        controller.signal,
      ),
    );
    expect(res.status).toBe(400);
    expect(lines.map((l) => l.level)).toEqual(["debug"]);
  });

  test("any other failure while reading the body is still a 500 logged as an error", async () => {
    const { app, lines } = appWithLog();
    const res = await app.request(post(hangUp(1000, () => new TypeError("decoder exploded"))));
    expect(res.status).toBe(500);
    expect(lines.map((l) => l.level)).toEqual(["error"]);
    expect(String(lines[0]!.fields?.error)).toContain("decoder exploded");
  });
});
