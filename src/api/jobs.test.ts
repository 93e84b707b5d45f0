/** `POST /jobs/{definitionId}/execute` (now, later, refused) and `GET /jobs/{executionId}/state`. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";

let t: Setup;
beforeEach(async () => (t = await setup()));
afterEach(() => t.close());

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const pipeline = definition("pipe", [
  { id: "a", name: "First", functionName: "echo", params: { n: 1 } },
  { id: "b", functionName: "echo" },
]);

describe("POST /jobs/{definitionId}/execute", () => {
  test("202 RUNNING (a slot was free) with the definition version and a Location to the state", async () => {
    await t.define(pipeline);
    const res = await t.call("POST", "/jobs/pipe/execute", { who: "me" });
    expect(res.status).toBe(202);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    expect(res.body).toEqual({
      executionID: expect.any(String),
      status: "RUNNING",
      definitionVersion: 1,
      runAt: null,
      priority: 0,
      concurrencyKey: null,
    });
    expect(res.headers.get("location")).toBe(`/jobs/${res.body.executionID}/state`);
    // Committed: a read straight after the 202 sees it.
    expect((await t.call("GET", res.headers.get("location")!)).status).toBe(200);
  });

  test("runs the latest version", async () => {
    await t.define(pipeline);
    await t.define({ ...pipeline, name: "v2" });
    const res = await t.call("POST", "/jobs/pipe/execute", {});
    expect(res.body.definitionVersion).toBe(2);
  });

  test("an empty body means {} and needs no Content-Type", async () => {
    await t.define(pipeline);
    for (const empty of [undefined, "", " \n"]) {
      const res = await t.call("POST", "/jobs/pipe/execute", empty);
      expect(res.status).toBe(202);
      await t.engine.idle();
      const state = await t.call("GET", `/jobs/${res.body.executionID}/state`);
      expect(state.body.input).toEqual({});
    }
  });

  test("a body without Content-Type is parsed as JSON", async () => {
    await t.define(pipeline);
    const res = await t.app.request("/jobs/pipe/execute", { method: "POST", body: '{"k": 1}' });
    expect(res.status).toBe(202);
    const { executionID } = (await res.json()) as { executionID: string };
    expect((await t.call("GET", `/jobs/${executionID}/state`)).body.input).toEqual({ k: 1 });
  });

  test("404 problem for an unknown definition, storing nothing", async () => {
    await t.define(pipeline);
    const before = await t.snapshot();
    const res = await t.call("POST", "/jobs/nope/execute", {});
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "urn:baton:problem:not-found", status: 404 });
    expect(res.body.detail).toContain('"nope"');
    expect(await t.snapshot()).toEqual(before);
  });

  for (const bad of ["null", "[]", "[1]", "42", '"text"', "true"]) {
    test(`400 "must be a JSON object" for ${bad}, storing nothing`, async () => {
      await t.define(pipeline);
      const before = await t.snapshot();
      const res = await t.call("POST", "/jobs/pipe/execute", bad);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ type: "urn:baton:problem:validation", status: 400 });
      expect(res.body.detail).toContain("must be a JSON object");
      expect(res.body.errors).toEqual([{ path: "$", message: expect.stringContaining("must be a JSON object") }]);
      expect(await t.snapshot()).toEqual(before);
    });
  }

  test("400 for malformed JSON, storing nothing", async () => {
    await t.define(pipeline);
    const before = await t.snapshot();
    const res = await t.call("POST", "/jobs/pipe/execute", "{input: 1}");
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain("not valid JSON");
    expect(await t.snapshot()).toEqual(before);
  });

  test("503 problem while shutting down, storing nothing", async () => {
    await t.define(pipeline);
    await t.engine.stop(100);
    const before = await t.snapshot();
    const res = await t.call("POST", "/jobs/pipe/execute", {});
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body).toMatchObject({ type: "urn:baton:problem:unavailable", title: "Service unavailable", status: 503 });
    expect(res.body.detail).toContain("shutting down");
    expect(await t.snapshot()).toEqual(before);
  });
});

describe("POST /jobs/{definitionId}/execute?runAt=", () => {
  test("202 QUEUED until runAt, given with Z or an offset, shown in UTC", async () => {
    await t.define(pipeline);
    const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
    const [d, next] = [day(40), day(41)];
    const cases: [string, string][] = [
      [`${d}T22:00:00Z`, `${d}T22:00:00.000Z`],
      [`${next}T00:30:00+01:00`, `${d}T23:30:00.000Z`],
      [`${next}T00:30:00.123456-00:00`, `${next}T00:30:00.123Z`],
      [`${d}t22:00z`, `${d}T22:00:00.000Z`],
    ];
    for (const [runAt, shown] of cases) {
      const res = await t.call("POST", `/jobs/pipe/execute?runAt=${encodeURIComponent(runAt)}`, {});
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ status: "QUEUED", runAt: shown });
    }
  });

  const impossible: [string, string][] = [
    ["2030-02-30T00:00:00Z", "February 2030 has 28 days"],
    ["2030-02-29T00:00:00Z", "February 2030 has 28 days"],
    ["2030-04-31T00:00:00Z", "April 2030 has 30 days"],
    ["2030-01-01T25:00:00Z", "hour 25"],
    ["2030-01-01T23:59:60Z", "leap second"],
    ["2030-01-01T00:00:00", "has no time zone"],
    ["tomorrow", "is not a date-time"],
  ];
  for (const [runAt, reason] of impossible) {
    test(`400 for runAt=${runAt}: names the parameter, says why and what a valid value looks like, stores nothing`, async () => {
      await t.define(pipeline);
      const before = await t.snapshot();
      const res = await t.call("POST", `/jobs/pipe/execute?runAt=${encodeURIComponent(runAt)}`, {});
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body.errors).toEqual([{ path: "runAt", message: expect.stringContaining(reason) }]);
      expect(res.body.detail).toStartWith('invalid query parameter: "runAt" ');
      expect(res.body.detail).toContain(reason);
      expect(res.body.detail).toContain("e.g. 2026-11-28T22:00:00Z");
      expect(res.body.detail).toContain(JSON.stringify(runAt));
      expect(await t.snapshot()).toEqual(before);
    });
  }

  test("any real date up to the year 9999 is accepted; an instant past 9999-12-31 in UTC is a 400; the past starts at once", async () => {
    await t.define(pipeline);
    expect((await t.call("POST", "/jobs/pipe/execute?runAt=2030-02-28T00:00:00Z", {})).body).toMatchObject({
      status: "QUEUED",
      runAt: "2030-02-28T00:00:00.000Z",
    });
    const late = await t.call("POST", `/jobs/pipe/execute?runAt=${encodeURIComponent("9999-12-31T23:59:59.999-23:59")}`, {});
    expect(late.status).toBe(400);
    expect(late.body.errors).toEqual([{ path: "runAt", message: expect.stringContaining("is after 9999-12-31T23:59:59.999Z") }]);
    const past = await t.call("POST", "/jobs/pipe/execute?runAt=0000-01-01T00:00:00Z", {});
    expect(past.status).toBe(202);
    expect(past.body).toMatchObject({ status: "RUNNING", runAt: null });
  });

  test("an offset whose '+' was not URL-encoded (so it reads as a space) is refused with how to send it", async () => {
    await t.define(pipeline);
    const res = await t.call("POST", "/jobs/pipe/execute?runAt=2030-01-01T00:00:00+01:00", {});
    expect(res.status).toBe(400);
    expect(res.body.errors[0].message).toContain("%2B");
  });
});

describe("GET /jobs/{executionId}/state", () => {
  test("a completed execution: times, input, output and every task", async () => {
    await t.define(pipeline);
    const id = await t.execute("pipe", { who: "me" });
    await t.engine.idle();
    const res = await t.call("GET", `/jobs/${id}/state`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toStartWith("application/json");
    const s = res.body;
    expect(Object.keys(s)).toEqual([
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
      "waitingFor",
      "input",
      "output",
      "error",
      "failedTasks",
      "cancelRequestedAt",
      "rerunOf",
      "reruns",
      "handlersPending",
      "tasks",
    ]);
    expect(s).toMatchObject({ id, definitionId: "pipe", definitionVersion: 1, status: "COMPLETED", input: { who: "me" }, error: null });
    for (const k of ["startTime", "createdAt", "startedAt", "endTime"]) expect(s[k]).toMatch(ISO);
    expect(s.startTime).toBe(s.createdAt);
    expect(Date.parse(s.startedAt)).toBeGreaterThanOrEqual(Date.parse(s.createdAt));
    expect(Date.parse(s.endTime)).toBeGreaterThanOrEqual(Date.parse(s.startedAt));
    expect(s.tasks.map((x: { id: string; name: string; status: string }) => [x.id, x.name, x.status])).toEqual([
      ["a", "First", "COMPLETED"],
      ["b", "b", "COMPLETED"],
    ]);
    const [a, b] = s.tasks;
    expect(Object.keys(a)).toEqual(["id", "name", "status", "attempts", "startedAt", "endTime", "nextAttemptAt", "output", "error"]);
    expect(a).toMatchObject({
      attempts: 1,
      nextAttemptAt: null,
      error: null,
      output: { input: { who: "me" }, params: { n: 1 }, results: {} },
    });
    expect(a.startedAt).toMatch(ISO);
    expect(b.output.results).toEqual({ a: a.output });
    expect(s.output).toEqual({ b: b.output });
  });

  test("a failed execution: the error, the failed task and the skipped one", async () => {
    await t.define(
      definition("bad", [
        { id: "boom", functionName: "fail", params: { errorName: "Kaboom", message: "it broke" } },
        { id: "after", functionName: "noop" },
      ]),
    );
    const id = await t.execute("bad");
    await t.engine.idle();
    const s = (await t.call("GET", `/jobs/${id}/state`)).body;
    expect(s.status).toBe("FAILED");
    expect(s.output).toBeNull();
    expect(s.error).toEqual({ taskId: "boom", name: "Kaboom", message: "it broke" });
    expect(s.tasks[0]).toMatchObject({
      id: "boom",
      status: "FAILED",
      attempts: 1,
      error: { name: "Kaboom", message: "it broke" },
      output: null,
    });
    expect(s.tasks[1]).toMatchObject({ id: "after", status: "SKIPPED", attempts: 0, startedAt: null });
  });

  test("a queued execution has null times but startTime", async () => {
    const slow = await setup({ maxConcurrentJobs: 1 });
    try {
      await slow.define(definition("slow", [{ id: "s", functionName: "sleep", params: { ms: 200 } }]));
      await slow.execute("slow");
      const res = await slow.call("POST", "/jobs/slow/execute", {});
      expect(res.body).toMatchObject({ status: "QUEUED" }); // the one slot is taken
      const s = (await slow.call("GET", `/jobs/${res.body.executionID}/state`)).body;
      expect(s).toMatchObject({ status: "QUEUED", startedAt: null, endTime: null, output: null, error: null });
      expect(s.startTime).toMatch(ISO);
      expect(s.tasks[0]).toMatchObject({ status: "PENDING", attempts: 0, startedAt: null, endTime: null, nextAttemptAt: null });
      await slow.engine.idle();
    } finally {
      await slow.close();
    }
  });

  test("404 problem for an unknown execution", async () => {
    const res = await t.call("GET", "/jobs/no-such-id/state");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.body.detail).toContain('"no-such-id"');
  });
});
