import { afterEach, describe, expect, test } from "bun:test";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";
import { ROLE_NAMES, ROLES, type Role, type TokenEntry } from "../domain/auth.ts";
import type { Logger } from "../domain/log.ts";
import { tokenDigest } from "../platform/tokens.ts";
import { builtinFunctions } from "../tasks/registry.ts";
import { shellTask } from "../tasks/shell.ts";
import { AuthFailures, OPEN_PATHS, permissionOf } from "./auth.ts";
import { ROUTES } from "./routes.ts";

/** One token per role, named after it: `Bearer tok-<role>`. */
const TOKENS: TokenEntry[] = ROLE_NAMES.map((role) => ({ name: `${role}-bot`, role, sha256: tokenDigest(`tok-${role}`) }));
const bearer = (role: Role) => ({ Authorization: `Bearer tok-${role}` });

/** Who may call a route, written out from the issue rather than from the code, in ROLE_NAMES order. */
function mayCall(method: string, path: string): Role[] {
  if (method === "GET") return ["read", "operate", "admin"];
  if (path.startsWith("/workers/")) return ["admin", "worker"];
  if (path === "/job-definitions" || path === "/system/backup") return ["admin"];
  return ["operate", "admin"];
}

const concrete = (path: string) => path.replace(/:\w+/g, "x");

let s: Setup;
afterEach(() => s?.close());

describe("permissions of the route table", () => {
  test("every route has a permission, and the roles holding it are the ones the issue names", () => {
    for (const r of ROUTES) {
      const holders = ROLE_NAMES.filter((role) => ROLES[role].has(permissionOf(r)));
      expect({ route: `${r.method} ${r.path}`, holders }).toEqual({ route: `${r.method} ${r.path}`, holders: mayCall(r.method, r.path) });
    }
  });

  test("a route missing from the permission table stops the app from being built", () => {
    expect(() => permissionOf({ method: "DELETE", path: "/jobs/:executionId" })).toThrow(
      "route DELETE /jobs/:executionId has no permission: add it to NEEDS in src/api/auth.ts",
    );
  });
});

describe("requests with tokens configured", () => {
  test("every route: no token and a wrong token are 401 with WWW-Authenticate; each role is let through or 403 as its permissions say", async () => {
    s = await setup({ tokens: TOKENS, metricsAuth: true });
    for (const r of ROUTES.filter((r) => !OPEN_PATHS.includes(r.path))) {
      const path = concrete(r.path);
      const none = await s.call(r.method, path);
      expect([r.path, none.status, none.headers.get("WWW-Authenticate"), none.body.type]).toEqual([
        r.path,
        401,
        'Bearer realm="baton"',
        "urn:baton:problem:unauthorized",
      ]);
      const wrong = await s.call(r.method, path, undefined, { Authorization: "Bearer not-a-token" });
      expect([r.path, wrong.status]).toEqual([r.path, 401]);
      for (const role of ROLE_NAMES) {
        const res = await s.call(r.method, path, undefined, bearer(role));
        const allowed = mayCall(r.method, r.path).includes(role);
        expect([r.method, r.path, role, allowed ? res.status !== 403 && res.status !== 401 : res.status === 403]).toEqual([
          r.method,
          r.path,
          role,
          true,
        ]);
        if (!allowed) expect(res.body.detail).toContain(`lacks the permission ${permissionOf(r)} that ${r.method} ${path} needs`);
      }
    }
  });

  test("the open paths answer without a token", async () => {
    s = await setup({ tokens: TOKENS });
    expect((await s.call("GET", "/healthz")).status).toBe(200);
    expect((await s.call("GET", "/livez")).status).toBe(200);
    expect((await s.call("GET", "/metrics")).status).toBe(200);
  });

  test("--metrics-auth: /metrics needs a token with read, as any read does", async () => {
    s = await setup({ tokens: TOKENS, metricsAuth: true });
    const none = await s.call("GET", "/metrics");
    expect([none.status, none.body.detail]).toEqual([
      401,
      "GET /metrics needs a token: send it as 'Authorization: Bearer TOKEN'; an operator creates one with 'baton token create --name NAME --role ROLE' and adds its line to the token file",
    ]);
    expect((await s.call("GET", "/metrics", undefined, bearer("worker"))).status).toBe(403);
    const read = await s.call("GET", "/metrics", undefined, bearer("read"));
    expect([read.status, read.headers.get("content-type")]).toEqual([200, "text/plain; version=0.0.4; charset=utf-8"]);
    expect(read.body).toContain('baton_build_info{version="0.0.0-test",runtime="bun test"} 1');
  });

  test("a path no route serves needs a token that can read: 401 without, 403 for a worker, 404 for a reader", async () => {
    s = await setup({ tokens: TOKENS });
    expect((await s.call("GET", "/nowhere")).status).toBe(401);
    const worker = await s.call("GET", "/nowhere", undefined, bearer("worker"));
    expect([worker.status, worker.body.detail]).toEqual([
      403,
      'the token "worker-bot" has the role worker, which lacks the permission read that GET /nowhere needs; use a token whose role has it',
    ]);
    expect((await s.call("GET", "/nowhere", undefined, bearer("read"))).status).toBe(404);
  });

  test("a header that is not 'Bearer TOKEN' is a 401 that says so", async () => {
    s = await setup({ tokens: TOKENS });
    const res = await s.call("GET", "/jobs", undefined, { Authorization: "Basic dXNlcjpwYXNz" });
    expect([res.status, res.body.detail]).toEqual([
      401,
      "the Authorization header is not 'Bearer TOKEN': send it as 'Authorization: Bearer TOKEN'; an operator creates one with 'baton token create --name NAME --role ROLE' and adds its line to the token file",
    ]);
  });

  test("failures past the limit from one address get 429 with Retry-After, even with the right token; logs never hold a token", async () => {
    const lines: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
      error: (m, f) => lines.push(`${m} ${JSON.stringify(f)}`),
    };
    let t = 1_000_000;
    s = await setup({ tokens: TOKENS, authFailures: new AuthFailures(3, 60_000, () => t), logger });
    for (let i = 0; i < 3; i++) expect((await s.call("GET", "/jobs", undefined, { Authorization: "Bearer guess" })).status).toBe(401);
    const refused = await s.call("GET", "/jobs", undefined, bearer("read"));
    expect([refused.status, refused.headers.get("Retry-After"), refused.body.type]).toEqual([
      429,
      "60",
      "urn:baton:problem:too-many-requests",
    ]);
    t += 45_000;
    expect((await s.call("GET", "/jobs", undefined, bearer("read"))).headers.get("Retry-After")).toBe("15");
    t += 15_000;
    expect((await s.call("GET", "/jobs", undefined, bearer("read"))).status).toBe(200);
    expect(lines.filter((l) => l.startsWith("authentication failed"))).toHaveLength(3);
    expect(lines.some((l) => l.startsWith("too many failed authentications") && l.includes("192.0.2.1"))).toBe(true);
    expect(lines.join("\n")).not.toContain("guess");
    expect(lines.join("\n")).not.toContain("tok-");
  });

  test("events record the token's name as actor: execute, cancel, redrive, rerun", async () => {
    s = await setup({ tokens: TOKENS, maxConcurrentJobs: 1 });
    const as = (role: Role) => bearer(role);
    expect(
      (await s.call("POST", "/job-definitions", definition("a", [{ id: "t", functionName: "sleep", params: { ms: 60_000 } }]), as("admin")))
        .status,
    ).toBe(201);
    expect((await s.call("POST", "/job-definitions", definition("b"), as("admin"))).status).toBe(201);
    expect((await s.call("GET", "/job-definitions/b", undefined, as("read"))).body.registeredBy).toBe("admin-bot");
    const first = (await s.call("POST", "/jobs/a/execute", {}, as("operate"))).body.executionID;
    const queued = (await s.call("POST", "/jobs/b/execute", {}, as("admin"))).body.executionID;
    expect((await s.call("POST", `/jobs/${queued}/cancel`, undefined, as("operate"))).status).toBe(200);
    expect((await s.call("POST", `/jobs/${queued}/redrive`, undefined, as("admin"))).status).toBe(202);
    const events = (await s.call("GET", `/jobs/${queued}/events`, undefined, as("read"))).body.events as Record<string, unknown>[];
    const actors = events.filter((e) => e.actor !== undefined).map((e) => [e.type, e.actor]);
    expect(actors).toEqual([
      ["ExecutionQueued", "admin-bot"],
      ["ExecutionCancelRequested", "operate-bot"],
      ["ExecutionRedriven", "admin-bot"],
    ]);
    const rerun = await s.call("POST", `/jobs/${queued}/rerun`, { fromTask: "only" }, as("operate"));
    const rerunEvents = (await s.call("GET", `/jobs/${rerun.body.executionID}/events`, undefined, as("read"))).body.events;
    expect(rerunEvents[0]).toMatchObject({ type: "ExecutionQueued", rerunOf: queued, actor: "operate-bot" });
    const noted = (await s.call("GET", `/jobs/${queued}/events`, undefined, as("read"))).body.events.at(-1);
    expect(noted).toMatchObject({ type: "ExecutionRerunCreated", rerun: rerun.body.executionID, actor: "operate-bot" });
    const firstEvents = (await s.call("GET", `/jobs/${first}/events`, undefined, as("read"))).body.events as Record<string, unknown>[];
    expect(firstEvents[0]).toMatchObject({ type: "ExecutionQueued", actor: "operate-bot" });
  });

  test("a schedule's pause, resume and trigger record the token as actor", async () => {
    s = await setup({ tokens: TOKENS });
    const yearly = { id: "newyear", cron: "0 0 1 1 *", timezone: "UTC" };
    expect((await s.call("POST", "/job-definitions", definition("job", undefined, { schedules: [yearly] }), bearer("admin"))).status).toBe(
      201,
    );
    for (const action of ["pause", "resume", "trigger"])
      expect((await s.call("POST", `/schedules/job/newyear/${action}`, undefined, bearer("operate"))).status).toBeLessThan(300);
    const one = await s.call("GET", "/schedules/job/newyear", undefined, bearer("read"));
    expect(one.body.lastAction).toMatchObject({ action: "trigger", actor: "operate-bot" });
    const events = (await s.call("GET", "/schedules/job/newyear/events", undefined, bearer("read"))).body.events as Record<
      string,
      unknown
    >[];
    expect(events.filter((e) => e.actor === "operate-bot").map((e) => e.type)).toEqual(["Triggered", "Resumed", "Paused"]);
  });

  test("an admin token registers a shell definition without --allow-shell-api", async () => {
    const functions = builtinFunctions({
      shell: shellTask({ run: () => Promise.reject(new Error("not run")), baseEnv: {}, maxOutputBytes: 1024 }),
    });
    s = await setup({ tokens: TOKENS, functions });
    const shell = definition("sh", [{ id: "t", functionName: "shell", params: { command: ["true"] } }]);
    const res = await s.call("POST", "/job-definitions", shell, bearer("admin"));
    expect(res.status).toBe(201);
  });
});

describe("without tokens", () => {
  test("nothing is asked and events carry no actor", async () => {
    s = await setup();
    await s.define(definition("a"));
    const id = await s.execute("a");
    const events = (await s.call("GET", `/jobs/${id}/events`)).body.events as Record<string, unknown>[];
    expect(events.some((e) => "actor" in e)).toBe(false);
    expect("registeredBy" in (await s.call("GET", "/job-definitions/a")).body).toBe(false);
  });
});

describe("AuthFailures", () => {
  test("an address is refused from its limit-th failure until its window ends; other addresses are not", () => {
    let t = 0;
    const f = new AuthFailures(2, 10_000, () => t);
    expect(f.fail("a")).toBe(false);
    expect(f.blockedFor("a")).toBeNull();
    t = 4_000;
    expect(f.fail("a")).toBe(true);
    expect(f.blockedFor("a")).toBe(6);
    expect(f.blockedFor("b")).toBeNull();
    t = 10_000;
    expect(f.blockedFor("a")).toBeNull();
    expect(f.fail("a")).toBe(false);
  });
});
