/** The access log through the whole app: one line per request with its final status, the token's name, never the token or the query. */
import { afterEach, describe, expect, test } from "bun:test";
import { type Setup, setup } from "../../test/helpers/api.ts";
import type { TokenEntry } from "../domain/auth.ts";
import type { Logger } from "../domain/log.ts";
import { tokenDigest } from "../platform/tokens.ts";
import { accessLog } from "./access-log.ts";

type Line = { level: string; message: string; fields: Record<string, unknown> };
function recorder(): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const at =
    (level: string) =>
    (message: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, message, fields });
  return { logger: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") }, lines };
}

const TOKENS: TokenEntry[] = [{ name: "ops-bot", role: "operate", sha256: tokenDigest("tok-secret-operate") }];

let s: Setup;
afterEach(() => s?.close());

describe("access log", () => {
  test("each request: method, path without the query, final status, durationMs and the token's name; never the token", async () => {
    const { logger, lines } = recorder();
    s = await setup({ tokens: TOKENS, accessLogger: logger });
    const auth = { Authorization: "Bearer tok-secret-operate" };
    expect((await s.call("GET", "/jobs?limit=5&status=RUNNING", undefined, auth)).status).toBe(200);
    expect((await s.call("GET", "/jobs/nope/state", undefined, auth)).status).toBe(404);
    expect((await s.call("GET", "/jobs", undefined, { Authorization: "Bearer wrong-token-value" })).status).toBe(401);
    expect((await s.call("POST", "/jobs/x/execute", "{not json", auth)).status).toBe(400);
    expect((await s.call("GET", "/healthz")).status).toBe(200);
    const access = lines.filter((l) => l.message === "http request");
    const seen: Record<string, unknown>[] = access.map((l) => ({ ...l.fields, durationMs: typeof l.fields.durationMs }));
    expect(seen).toEqual([
      { method: "GET", path: "/jobs", status: 200, durationMs: "number", token: "ops-bot" },
      { method: "GET", path: "/jobs/nope/state", status: 404, durationMs: "number", token: "ops-bot" },
      { method: "GET", path: "/jobs", status: 401, durationMs: "number", token: undefined },
      { method: "POST", path: "/jobs/x/execute", status: 400, durationMs: "number", token: "ops-bot" },
      { method: "GET", path: "/healthz", status: 200, durationMs: "number", token: undefined },
    ]);
    expect(access.every((l) => l.level === "info")).toBe(true);
    const all = JSON.stringify(lines);
    expect(all).not.toContain("tok-secret-operate");
    expect(all).not.toContain("wrong-token-value");
    expect(all).not.toContain("limit=5");
    expect(all).not.toContain("{not json");
  });

  test("the duration is measured around the whole answer", async () => {
    const { logger, lines } = recorder();
    let t = 1000;
    const mw = accessLog(logger, () => t);
    const c = { req: { method: "PUT", path: "/p" }, res: { status: 204 }, get: () => undefined } as never;
    await mw(c, async () => {
      t += 12.3456;
    });
    expect(lines).toEqual([
      { level: "info", message: "http request", fields: { method: "PUT", path: "/p", status: 204, durationMs: 12.35, token: undefined } },
    ]);
  });

  test("off: no line at all", async () => {
    const { logger, lines } = recorder();
    s = await setup({ logger });
    await s.call("GET", "/jobs");
    expect(lines.filter((l) => l.message === "http request")).toEqual([]);
  });
});
