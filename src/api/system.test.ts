/** `/system/state`, `/healthz` and `/livez`, and how they answer while the database refuses writes. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { definition, type Setup, setup, TEST_VERSION } from "../../test/helpers/api.ts";
import { type Database, openDatabase } from "../store/sqlite/driver.ts";
import { SqliteStore } from "../store/sqlite/store.ts";

let t: Setup;
beforeEach(async () => (t = await setup({ startedAt: Date.now() - 65_000 })));
afterEach(() => t.close());

describe("GET /system/state", () => {
  test("an idle server", async () => {
    const res = await t.call("GET", "/system/state");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.body).toEqual({
      activeJobs: [],
      queuedJobs: [],
      queuedCount: 0,
      executedJobs: 0,
      maxConcurrentJobs: 10,
      queuedWaitingFor: { slot: 0, concurrencyKey: 0, definitionLimit: 0, rateLimit: 0, runAt: 0 },
      version: TEST_VERSION,
      uptimeSeconds: expect.any(Number),
    });
    expect(res.body.uptimeSeconds).toBeGreaterThanOrEqual(65);
    expect(res.body.uptimeSeconds).toBeLessThan(75);
    expect(Number.isInteger(res.body.uptimeSeconds)).toBe(true);
  });

  test("running, queued and executed jobs, within the limit", async () => {
    await t.define(definition("slow", [{ id: "s", functionName: "sleep", params: { ms: 250 } }]));
    await t.define(definition("bad", [{ id: "x", functionName: "fail" }]));
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) ids.push(await t.execute("slow"));
    const busy = (await t.call("GET", "/system/state")).body;
    expect(busy.activeJobs.map((j: { id: string }) => j.id)).toEqual(ids.slice(0, 10));
    expect(busy.activeJobs[0]).toMatchObject({
      id: ids[0],
      status: "RUNNING",
      tasks: [{ id: expect.any(String), name: expect.any(String), status: expect.any(String) }],
    });
    expect(busy.queuedJobs).toEqual(ids.slice(10));
    expect(busy.queuedCount).toBe(2);
    expect(busy.executedJobs).toBe(0);
    await t.engine.idle();
    await t.execute("bad");
    await t.engine.idle();
    const done = (await t.call("GET", "/system/state")).body;
    expect(done).toMatchObject({ activeJobs: [], queuedJobs: [], queuedCount: 0, executedJobs: 12 });
  });

  test("lists at most 100 queued ids but counts them all", async () => {
    const few = await setup({ maxConcurrentJobs: 1 });
    try {
      await few.define(definition("slow", [{ id: "s", functionName: "sleep", params: { ms: 1 } }]));
      await few.engine.stop(0); // nothing more is admitted, so everything below stays queued
      const ids: string[] = [];
      const execution = { definitionId: "slow", definitionVersion: 1, input: {}, tasks: [{ taskId: "s", name: "s" }] };
      for (let i = 0; i < 105; i++) ids.push((await few.store.enqueue({ id: `q${i}`, ...execution }, Date.now())).id);
      const state = (await few.call("GET", "/system/state")).body;
      expect(state.queuedCount).toBe(105);
      expect(state.queuedJobs).toEqual(ids.slice(0, 100));
      expect(state.maxConcurrentJobs).toBe(1);
    } finally {
      await few.close();
    }
  });
});

describe("GET /healthz", () => {
  test("200 ok with the version", async () => {
    const res = await t.call("GET", "/healthz");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.body).toEqual({ status: "ok", version: TEST_VERSION });
  });

  test("503 problem when the database does not answer", async () => {
    t.store.ping = async () => false;
    const res = await t.call("GET", "/healthz");
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "urn:baton:problem:unavailable", status: 503 });
    expect(res.body.detail).toContain("database");
  });

  test("HEAD answers like GET, without a body", async () => {
    const res = await t.app.request("/healthz", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });
});

describe("while the database refuses writes", () => {
  let f: Setup;
  let db: Database;
  beforeEach(async () => {
    db = openDatabase({ path: ":memory:" });
    f = await setup({ store: new SqliteStore(db) });
    await f.define(definition("job"));
    db.exec("PRAGMA query_only = ON");
  });
  afterEach(async () => {
    db.exec("PRAGMA query_only = OFF");
    await f.close();
  });

  test("every write answers 503 problem+json with Retry-After and says it was not applied; reads are served", async () => {
    const before = await f.snapshot();
    for (const [method, path, body] of [
      ["POST", "/jobs/job/execute", {}],
      ["POST", "/job-definitions", definition("other")],
      ["POST", "/jobs/job/execute", {}],
    ] as const) {
      const res = await f.call(method, path, body);
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.headers.get("retry-after")).toBe("5");
      expect(res.body).toMatchObject({ type: "urn:baton:problem:storage-unavailable", title: "Storage unavailable", status: 503 });
      expect(res.body.detail).toContain("Nothing was applied");
      expect(res.body.detail).toContain("read-only (SQLITE_READONLY)");
    }
    expect(await f.snapshot()).toEqual(before);
    expect((await f.call("GET", "/system/state")).status).toBe(200);
  });

  test("/healthz answers 503 with the reason; /livez stays 200; both recover without a restart", async () => {
    await f.call("POST", "/jobs/job/execute", {});
    const health = await f.call("GET", "/healthz");
    expect(health.status).toBe(503);
    expect(health.body.type).toBe("urn:baton:problem:storage-unavailable");
    expect(health.body.detail).toContain("has refused writes for");
    expect(health.body.detail).toContain("SQLITE_READONLY");
    expect((await f.call("GET", "/livez")).body).toEqual({ status: "ok", version: TEST_VERSION });
    db.exec("PRAGMA query_only = OFF");
    expect(await f.store.probeWrites()).toBe(true);
    expect((await f.call("GET", "/healthz")).status).toBe(200);
    expect((await f.call("POST", "/jobs/job/execute", {})).status).toBe(202);
  });
});

describe("GET /livez", () => {
  test("200 while the process and its database answer; 503 when reads fail", async () => {
    expect((await t.call("GET", "/livez")).status).toBe(200);
    t.store.ping = async () => false;
    const res = await t.call("GET", "/livez");
    expect(res.status).toBe(503);
    expect(res.body.type).toBe("urn:baton:problem:unavailable");
  });
});
