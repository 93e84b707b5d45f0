/**
 * Real answers against the OpenAPI document: requests through the app (no server) that reach
 * every route of the table with a success, and its client errors, and each answer's status and
 * body are checked against what the document says of that operation.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";
import { type Checker, checker } from "../../test/helpers/openapi.ts";
import { tokenDigest } from "../platform/tokens.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { AuthFailures } from "./auth.ts";
import { ROUTES, servedPaths } from "./routes.ts";

/** One read token. */
const TOKENS = [{ name: "reader", role: "read" as const, sha256: tokenDigest("tok-read") }];

let t: Setup;
let spec: Checker;
const problems: string[] = [];

/** Sends the request and checks its answer against the operation `METHOD template`. */
async function hit(method: string, template: string, path: string, body?: unknown): Promise<any> {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const res = await t.app.request(path, init);
  const type = res.headers.get("content-type");
  const text = await res.text();
  const parsed = type?.includes("json") ? JSON.parse(text) : text;
  problems.push(...spec.check(method, template, res.status, type, parsed));
  return { status: res.status, body: parsed };
}

beforeAll(async () => {
  t = await setup();
  spec = checker((await (await t.app.request("/openapi.json")).json()) as Record<string, any>);
});
afterAll(() => t.close());

describe("answers match the OpenAPI document", () => {
  test("every route, its successes and its client errors", async () => {
    const yearly = { id: "newyear", cron: "0 0 1 1 *", timezone: "Europe/Berlin", input: {} };
    const job = definition(
      "job",
      [
        { id: "a", functionName: "echo" },
        { id: "b", functionName: "noop" },
      ],
      { schedules: [yearly] },
    );
    await hit("POST", "/job-definitions", "/job-definitions", job); // 201
    await hit("POST", "/job-definitions", "/job-definitions", job); // 200: unchanged
    await hit("POST", "/job-definitions", "/job-definitions", { id: "bad", tasks: [] });
    await hit("POST", "/job-definitions", "/job-definitions", "x".repeat(1024 * 1024 + 1));
    await hit(
      "POST",
      "/job-definitions",
      "/job-definitions",
      definition("bad", [{ id: "x", functionName: "fail", params: { errorName: "Kaboom" } }]),
    );
    await hit("POST", "/job-definitions", "/job-definitions", {
      id: "remote",
      tasks: [{ id: "resize", functionName: "resize", remote: true, timeoutSeconds: 300 }],
    });
    await hit("GET", "/job-definitions", "/job-definitions");
    await hit("GET", "/job-definitions/{id}", "/job-definitions/job?version=1");
    await hit("GET", "/job-definitions/{id}", "/job-definitions/job?version=x");
    await hit("GET", "/job-definitions/{id}", "/job-definitions/nope");

    const done = (await hit("POST", "/jobs/{definitionId}/execute", "/jobs/job/execute", { who: "me" })).body.executionID;
    const failed = (await hit("POST", "/jobs/{definitionId}/execute", "/jobs/bad/execute")).body.executionID;
    const later = (await hit("POST", "/jobs/{definitionId}/execute", "/jobs/job/execute?delaySeconds=3600&priority=5", {})).body
      .executionID;
    await hit("POST", "/jobs/{definitionId}/execute", "/jobs/job/execute?delaySeconds=soon");
    await hit("POST", "/jobs/{definitionId}/execute", "/jobs/nope/execute");
    await t.engine.idle();
    await hit("GET", "/jobs", "/jobs?limit=2");
    await hit("GET", "/jobs", "/jobs?status=DONE");
    await hit("GET", "/jobs/{executionId}/state", `/jobs/${done}/state`);
    await hit("GET", "/jobs/{executionId}/state", `/jobs/${failed}/state`);
    await hit("GET", "/jobs/{executionId}/state", `/jobs/${later}/state`);
    await hit("GET", "/jobs/{executionId}/state", "/jobs/nope/state");
    await hit("GET", "/jobs/{executionId}/events", `/jobs/${failed}/events`);
    await hit("GET", "/jobs/{executionId}/events", "/jobs/nope/events");
    await hit("POST", "/jobs/{executionId}/cancel", `/jobs/${later}/cancel`);
    await hit("POST", "/jobs/{executionId}/cancel", `/jobs/${later}/cancel`);
    await hit("POST", "/jobs/{executionId}/cancel", "/jobs/nope/cancel");
    await hit("POST", "/jobs/{executionId}/redrive", `/jobs/${failed}/redrive`);
    await hit("POST", "/jobs/{executionId}/redrive", `/jobs/${done}/redrive`);
    await hit("POST", "/jobs/{executionId}/rerun", `/jobs/${done}/rerun`, { fromTask: "b" });
    await hit("POST", "/jobs/{executionId}/rerun", `/jobs/${done}/rerun`, { fromTask: "zzz" });
    await hit("POST", "/jobs/{executionId}/rerun", `/jobs/${done}/rerun`, { from: "b" });
    await t.engine.idle();

    await hit("GET", "/schedules", "/schedules");
    await hit("GET", "/schedules/{definitionId}/{scheduleId}", "/schedules/job/newyear");
    await hit("GET", "/schedules/{definitionId}/{scheduleId}", "/schedules/job/nope");
    await hit("POST", "/schedules/{definitionId}/{scheduleId}/pause", "/schedules/job/newyear/pause");
    await hit("POST", "/schedules/{definitionId}/{scheduleId}/resume", "/schedules/job/newyear/resume");
    await hit("POST", "/schedules/{definitionId}/{scheduleId}/trigger", "/schedules/job/newyear/trigger");
    await hit("POST", "/schedules/{definitionId}/{scheduleId}/trigger", "/schedules/job/nope/trigger");
    await t.engine.idle();
    await hit("GET", "/schedules/{definitionId}/{scheduleId}/events", "/schedules/job/newyear/events?limit=1");
    await hit("GET", "/schedules/{definitionId}/{scheduleId}/events", "/schedules/job/newyear/events?limit=0");
    await hit("GET", "/schedules", "/schedules");

    await hit("POST", "/jobs/{definitionId}/execute", "/jobs/remote/execute", { image: "cat.png" });
    await hit("POST", "/jobs/{definitionId}/execute", "/jobs/remote/execute", { image: "dog.png" });
    const [lease, other] = (
      await hit("POST", "/workers/poll", "/workers/poll", { workerId: "w1", functions: ["resize"], max: 2 })
    ).body.tasks.map((task: { leaseId: string }) => task.leaseId);
    await hit("GET", "/system/state", "/system/state");
    await hit("GET", "/workers", "/workers");
    await hit("POST", "/workers/poll", "/workers/poll", { workerId: "w1" });
    await hit("POST", "/workers/leases/{leaseId}/heartbeat", `/workers/leases/${lease}/heartbeat`);
    await hit("POST", "/workers/leases/{leaseId}/heartbeat", "/workers/leases/nope/heartbeat");
    await hit("POST", "/workers/leases/{leaseId}/fail", `/workers/leases/${lease}/fail`, { error: { name: "ResizeError" } });
    await hit("POST", "/workers/leases/{leaseId}/fail", `/workers/leases/${lease}/fail`, { error: {} });
    await hit("POST", "/workers/leases/{leaseId}/complete", `/workers/leases/${other}/complete`, { output: 1 });
    await hit("POST", "/workers/leases/{leaseId}/complete", `/workers/leases/${lease}/complete`, { output: 1 });
    await hit("POST", "/workers/leases/{leaseId}/complete", "/workers/leases/nope/complete", { output: 1 });
    await hit("POST", "/workers/leases/report", "/workers/leases/report", {
      results: [
        { leaseId: lease, output: 1 },
        { leaseId: "nope", error: { name: "X" } },
      ],
    });
    await hit("POST", "/workers/leases/report", "/workers/leases/report", { results: [{ output: 1 }] });

    await hit("GET", "/healthz", "/healthz");
    await hit("GET", "/livez", "/livez");
    await hit("GET", "/openapi.json", "/openapi.json");
    await hit("GET", "/schemas/job-definition.json", "/schemas/job-definition.json");
    await hit("GET", "/reference", "/reference");
    await hit("GET", "/metrics", "/metrics");

    await hit("POST", "/system/backup", "/system/backup"); // 409: no --backup-dir
    const main = t;
    const dir = mkdtempSync(join(tmpdir(), "baton-openapi-backup-"));
    t = await setup({ store: SqliteStore.open({ path: join(dir, "baton.db") }), backupDir: dir });
    try {
      await hit("POST", "/system/backup", "/system/backup"); // 201
    } finally {
      await t.close();
      t = main;
      rmSync(dir, { recursive: true, force: true });
    }

    expect(problems).toEqual([]);
    const succeeded = new Set([...spec.seen].filter((s) => /\s2\d\d$/.test(s)).map((s) => s.replace(/\s\d+$/, "")));
    const routes = ROUTES.map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    expect(routes.filter((r) => !succeeded.has(r))).toEqual([]);
    for (const status of [400, 404, 409, 413]) expect([...spec.seen].some((s) => s.endsWith(` ${status}`))).toBe(true);
    expect(servedPaths(ROUTES).length).toBeGreaterThan(0);
  });

  test("a 503 while shutting down is a problem the document lists", async () => {
    await t.engine.stop(1000);
    await hit("POST", "/jobs/{definitionId}/execute", "/jobs/job/execute");
    await hit("GET", "/healthz", "/healthz");
    expect(problems).toEqual([]);
    expect(spec.seen).toContain("POST /jobs/{definitionId}/execute 503");
    expect(spec.seen).toContain("GET /healthz 503");
  });

  test("401, 403 and 429 from the token check are problems the document lists", async () => {
    const secured = await setup({ tokens: TOKENS, authFailures: new AuthFailures(2, 60_000) });
    try {
      const call = async (method: string, template: string, path: string, headers: Record<string, string> = {}) => {
        const res = await secured.app.request(path, { method, headers });
        const type = res.headers.get("content-type");
        const text = await res.text();
        problems.push(...spec.check(method, template, res.status, type, type?.includes("json") ? JSON.parse(text) : text));
        return res.status;
      };
      expect(await call("POST", "/jobs/{definitionId}/execute", "/jobs/job/execute", { authorization: "Bearer tok-read" })).toBe(403);
      expect(await call("GET", "/jobs", "/jobs")).toBe(401);
      expect(await call("GET", "/jobs", "/jobs", { authorization: "Bearer wrong" })).toBe(401);
      expect(await call("GET", "/system/state", "/system/state")).toBe(429);
      expect(await call("GET", "/openapi.json", "/openapi.json")).toBe(200);
      expect(problems).toEqual([]);
    } finally {
      await secured.close();
    }
  });
});
