/** `GET /jobs` (filters, paging, parameter errors) and `GET /jobs/{executionId}/events`. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";

let t: Setup;
beforeEach(async () => (t = await setup()));
afterEach(() => t.close());

describe("GET /jobs", () => {
  test("200 with no jobs", async () => {
    const res = await t.call("GET", "/jobs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.body).toEqual({ jobs: [], nextCursor: null });
  });

  test("newest first, summary fields only", async () => {
    await t.define(definition("d"));
    const first = await t.execute("d", { secret: 1 });
    const second = await t.execute("d");
    await t.engine.idle();
    const res = await t.call("GET", "/jobs");
    expect(res.body.jobs.map((j: { id: string }) => j.id)).toEqual([second, first]);
    expect(res.body.nextCursor).toBeNull();
    const job = res.body.jobs[1];
    expect(Object.keys(job)).toEqual([
      "id",
      "definitionId",
      "definitionVersion",
      "status",
      "startTime",
      "createdAt",
      "startedAt",
      "endTime",
      "runAt",
      "priority",
      "concurrencyKey",
      "scheduleId",
      "scheduledFor",
      "error",
    ]);
    expect(job).toMatchObject({ id: first, definitionId: "d", definitionVersion: 1, status: "COMPLETED", error: null });
    expect(job.startTime).toBe(job.createdAt);
  });

  test("pages with a cursor across 3 pages, each execution once", async () => {
    await t.define(definition("d"));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await t.execute("d"));
    await t.engine.idle();
    const seen: string[][] = [];
    let cursor: string | null = null;
    do {
      const res = await t.call("GET", `/jobs?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      seen.push(res.body.jobs.map((j: { id: string }) => j.id));
      cursor = res.body.nextCursor;
      if (cursor !== null) expect(cursor).toMatch(/^[1-9][0-9]*$/);
    } while (cursor !== null && seen.length < 10);
    expect(seen.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(seen.flat()).toEqual([...ids].reverse());
  });

  test("limit defaults to 50 and allows 500", async () => {
    await t.define(definition("d"));
    for (let i = 0; i < 51; i++) await t.execute("d");
    await t.engine.idle();
    const page = await t.call("GET", "/jobs");
    expect(page.body.jobs).toHaveLength(50);
    expect(page.body.nextCursor).not.toBeNull();
    const rest = await t.call("GET", `/jobs?cursor=${page.body.nextCursor}`);
    expect(rest.body.jobs).toHaveLength(1);
    expect(rest.body.nextCursor).toBeNull();
    expect((await t.call("GET", "/jobs?limit=500")).body.jobs).toHaveLength(51);
  });

  test("filters by status and by definitionId, alone and together", async () => {
    await t.define(definition("good"));
    await t.define(definition("bad", [{ id: "x", functionName: "fail" }]));
    const good = await t.execute("good");
    const bad = await t.execute("bad");
    const bad2 = await t.execute("bad");
    await t.engine.idle();
    const ids = async (query: string) => (await t.call("GET", `/jobs?${query}`)).body.jobs.map((j: { id: string }) => j.id);
    expect(await ids("status=COMPLETED")).toEqual([good]);
    expect(await ids("status=FAILED")).toEqual([bad2, bad]);
    expect(await ids("definitionId=bad")).toEqual([bad2, bad]);
    expect(await ids("definitionId=bad&status=COMPLETED")).toEqual([]);
    expect(await ids("definitionId=good&status=COMPLETED")).toEqual([good]);
    expect(await ids("status=QUEUED")).toEqual([]);
    expect(await ids("definitionId=unknown")).toEqual([]);
    const failed = (await t.call("GET", "/jobs?status=FAILED")).body.jobs[0];
    expect(failed.error).toEqual({ taskId: "x", name: "TaskFailed", message: expect.any(String) });
  });

  const bad: [string, string][] = [
    ["status=DONE", "status"],
    ["status=completed", "status"],
    ["status=", "status"],
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["limit=-1", "limit"],
    ["limit=ten", "limit"],
    ["limit=1.5", "limit"],
    ["limit=", "limit"],
    ["cursor=0", "cursor"],
    ["cursor=-5", "cursor"],
    ["cursor=abc", "cursor"],
    ["cursor=1e3", "cursor"],
    ["cursor=", "cursor"],
    ["definitionId=", "definitionId"],
  ];
  for (const [query, name] of bad) {
    test(`400 for ${query}, naming ${name}`, async () => {
      const res = await t.call("GET", `/jobs?${query}`);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body).toMatchObject({ type: "urn:baton:problem:validation", status: 400 });
      expect(res.body.errors).toEqual([{ path: name, message: expect.any(String) }]);
      expect(res.body.detail).toContain(`"${name}"`);
    });
  }

  test("400 lists every bad parameter", async () => {
    const res = await t.call("GET", "/jobs?status=X&limit=0&cursor=y");
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(["cursor", "limit", "status"]);
  });
});

describe("GET /jobs/{executionId}/events", () => {
  test("the history in order, with task fields and data spread in", async () => {
    await t.define(
      definition("flaky", [
        { id: "f", functionName: "fail", params: { times: 1, errorName: "Flaky" }, retry: { maxAttempts: 2, intervalSeconds: 0 } },
        { id: "n", functionName: "noop" },
      ]),
    );
    const id = await t.execute("flaky");
    await t.engine.idle();
    const res = await t.call("GET", `/jobs/${id}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.body.executionId).toBe(id);
    const events = res.body.events as Record<string, unknown>[];
    expect(events.map((e) => [e.type, e.taskId, e.attempt])).toEqual([
      ["ExecutionQueued", undefined, undefined],
      ["ExecutionStarted", undefined, undefined],
      ["TaskStarted", "f", 1],
      ["TaskRetrying", "f", 1],
      ["TaskStarted", "f", 2],
      ["TaskCompleted", "f", 2],
      ["TaskStarted", "n", 1],
      ["TaskCompleted", "n", 1],
      ["ExecutionCompleted", undefined, undefined],
    ]);
    const seqs = events.map((e) => e.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(Object.keys(events[0]!)).toEqual(["seq", "timestamp", "type"]);
    for (const e of events) expect(e.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(events[3]).toEqual({
      seq: expect.any(Number),
      timestamp: expect.any(String),
      type: "TaskRetrying",
      taskId: "f",
      attempt: 1,
      error: { name: "Flaky", message: expect.any(String) },
      nextAttemptAt: expect.any(String),
    });
  });

  test("a failure's events carry the error and the skipped tasks", async () => {
    await t.define(
      definition("bad", [
        { id: "x", functionName: "fail" },
        { id: "y", functionName: "noop" },
      ]),
    );
    const id = await t.execute("bad");
    await t.engine.idle();
    const events = (await t.call("GET", `/jobs/${id}/events`)).body.events;
    expect(events.find((e: { type: string }) => e.type === "TaskSkipped")).toMatchObject({ taskId: "y", because: "x" });
    expect(events.at(-1)).toMatchObject({ type: "ExecutionFailed", error: { taskId: "x", name: "TaskFailed" } });
  });

  test("404 problem for an unknown execution", async () => {
    const res = await t.call("GET", "/jobs/ghost/events");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "urn:baton:problem:not-found", status: 404 });
  });
});
