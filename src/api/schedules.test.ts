/**
 * `/schedules`: the list with next fires in UTC and local time, one schedule, its history,
 * pause/resume/trigger, the 404s naming what exists, and the 400 of a bad schedule at
 * registration. Schedules here fire once a year, so the real clock never fires one.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";

let t: Setup;
beforeEach(async () => (t = await setup()));
afterEach(() => t.close());

const yearly = { id: "newyear", cron: "0 0 1 1 *", timezone: "Europe/Berlin", input: { kind: "yearly" }, overlap: "bufferOne" };

describe("registration", () => {
  test("an invalid cron expression or an unknown timezone is a 400 naming the field; nothing is stored", async () => {
    const res = await t.call(
      "POST",
      "/job-definitions",
      definition("job", undefined, {
        schedules: [
          { id: "a", cron: "61 * * * *" },
          { id: "b", cron: "* * * * *", timezone: "Mars/Base" },
        ],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      { path: "$.schedules[0].cron", message: '"61 * * * *" is not a valid cron expression: CronPattern: Invalid value for minute: 61' },
      {
        path: "$.schedules[1].timezone",
        message: 'unknown timezone "Mars/Base": use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"',
      },
    ]);
    expect((await t.call("GET", "/schedules")).body).toEqual({ schedules: [] });
  });
});

describe("GET /schedules", () => {
  test("each schedule with its state and next five fires, in UTC and in its timezone with the offset", async () => {
    await t.define(definition("job", undefined, { schedules: [yearly] }));
    const res = await t.call("GET", "/schedules");
    expect(res.status).toBe(200);
    const [s] = res.body.schedules;
    const year = new Date().getUTCFullYear() + 1;
    expect(s).toEqual({
      definitionId: "job",
      id: "newyear",
      version: 1,
      cron: "0 0 1 1 *",
      timezone: "Europe/Berlin",
      overlap: "bufferOne",
      catchupWindowSeconds: 0,
      input: { kind: "yearly" },
      paused: false,
      lastFire: null,
      missedCount: 0,
      skippedCount: 0,
      bufferedFire: null,
      lastAction: null,
      nextFireTimes: [0, 1, 2, 3, 4].map((i) => ({
        utc: `${year + i - 1}-12-31T23:00:00.000Z`,
        local: `${year + i}-01-01T00:00:00+01:00`,
      })),
    });
    expect((await t.call("GET", "/schedules/job/newyear")).body).toEqual(s);
  });
});

describe("pause, resume, trigger", () => {
  test("pause answers the entry paused with the last action and no next fires; resume gives them back", async () => {
    await t.define(definition("job", undefined, { schedules: [yearly] }));
    const paused = await t.call("POST", "/schedules/job/newyear/pause");
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({
      paused: true,
      nextFireTimes: [],
      lastAction: { action: "pause", at: expect.any(String), actor: null },
    });
    const resumed = await t.call("POST", "/schedules/job/newyear/resume");
    expect(resumed.body).toMatchObject({ paused: false, lastAction: { action: "resume", actor: null } });
    expect(resumed.body.nextFireTimes).toHaveLength(5);
    const events = await t.call("GET", "/schedules/job/newyear/events");
    expect(events.body).toMatchObject({ definitionId: "job", scheduleId: "newyear", nextCursor: null });
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(["Resumed", "Paused"]);
  });

  test("trigger answers 202 with the execution, which runs with the schedule's input and shows its schedule", async () => {
    await t.define(definition("job", [{ id: "t1", functionName: "echo" }], { schedules: [yearly] }));
    await t.call("POST", "/schedules/job/newyear/pause");
    const res = await t.call("POST", "/schedules/job/newyear/trigger");
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ executionID: expect.any(String), status: "QUEUED", scheduleId: "newyear", definitionVersion: 1 });
    expect(res.headers.get("location")).toBe(`/jobs/${res.body.executionID}/state`);
    await t.engine.idle();
    const state = await t.call("GET", `/jobs/${res.body.executionID}/state`);
    expect(state.body).toMatchObject({
      status: "COMPLETED",
      scheduleId: "newyear",
      scheduledFor: expect.any(String),
      input: { kind: "yearly" },
    });
    const [triggered] = (await t.call("GET", "/schedules/job/newyear/events?limit=1")).body.events;
    expect(triggered).toMatchObject({ type: "Triggered", executionId: res.body.executionID, scheduledFor: state.body.scheduledFor });
    expect((await t.call("GET", "/schedules/job/newyear")).body.lastAction).toMatchObject({ action: "trigger" });
  });

  test("events page newest first with a cursor", async () => {
    await t.define(definition("job", undefined, { schedules: [yearly] }));
    for (const action of ["pause", "resume", "pause"]) await t.call("POST", `/schedules/job/newyear/${action}`);
    const first = await t.call("GET", "/schedules/job/newyear/events?limit=2");
    expect(first.body.events.map((e: { type: string }) => e.type)).toEqual(["Paused", "Resumed"]);
    const rest = await t.call("GET", `/schedules/job/newyear/events?limit=2&cursor=${first.body.nextCursor}`);
    expect(rest.body.events.map((e: { type: string }) => e.type)).toEqual(["Paused"]);
    expect(rest.body.nextCursor).toBeNull();
    const bad = await t.call("GET", "/schedules/job/newyear/events?limit=0");
    expect(bad.status).toBe(400);
  });
});

describe("404 names what exists", () => {
  test("an unknown schedule of a known definition, and an unknown definition", async () => {
    await t.define(definition("job", undefined, { schedules: [yearly] }));
    await t.define(definition("plain"));
    const cases: [string, string, string][] = [
      ["GET", "/schedules/job/nope", 'definition "job" has no schedule "nope" (its schedules: newyear)'],
      ["POST", "/schedules/job/nope/pause", 'definition "job" has no schedule "nope" (its schedules: newyear)'],
      ["POST", "/schedules/plain/x/trigger", 'definition "plain" has no schedule "x" (its latest version declares no schedules)'],
      [
        "GET",
        "/schedules/ghost/newyear/events",
        'no job definition with id "ghost" (definitions with schedules: job); GET /schedules lists every schedule',
      ],
    ];
    for (const [method, path, detail] of cases) {
      const res = await t.call(method, path);
      expect({ path, status: res.status, detail: res.body.detail }).toEqual({ path, status: 404, detail });
    }
  });
});
