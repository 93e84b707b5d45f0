import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { MAX_BODY_BYTES } from "./body.ts";
import { definition, type Setup, setup } from "./testing.ts";

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

const post = (body: ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
  new Request("http://localhost/jobs/d/execute", { method: "POST", body, headers, duplex: "half" } as RequestInit);

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
