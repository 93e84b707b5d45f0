import { describe, expect, test } from "bun:test";
import { issuesOf, parse } from "../../test/helpers/definitions.ts";
import { definition } from "../../test/helpers/setup.ts";
import { decideOverlap, dueFires, firesBetween, MAX_CATCHUP_FIRES, nextFires } from "./schedule.ts";

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const berlin = { cron: "30 2 * * *", timezone: "Europe/Berlin" };

describe("schedules in a definition", () => {
  test("defaults are resolved", () => {
    expect(parse(definition({ schedules: [{ id: "nightly", cron: "0 2 * * *" }] })).schedules).toEqual([
      { id: "nightly", cron: "0 2 * * *", timezone: "UTC", input: {}, overlap: "skip", catchupWindowSeconds: 0, paused: false },
    ]);
  });

  test("an invalid expression, an unknown timezone, a duplicate id and a bad overlap each name their field", () => {
    const issues = issuesOf(
      definition({
        schedules: [
          { id: "a", cron: "61 * * * *" },
          { id: "b", cron: "* * * * *", timezone: "Mars/Base" },
          { id: "a", cron: "* * * *", overlap: "queue" },
          { id: "c", cron: "* * * * * * *", catchupWindowSeconds: -1 },
        ],
      }),
    );
    expect(issues).toEqual([
      { path: "$.schedules[2].overlap", message: 'must be "skip", "bufferOne" or "allow"' },
      { path: "$.schedules[3].catchupWindowSeconds", message: "must not be negative" },
    ]);
    const valid = issuesOf(
      definition({
        schedules: [
          { id: "a", cron: "61 * * * *" },
          { id: "b", cron: "* * * * *", timezone: "Mars/Base" },
          { id: "a", cron: "* * * *" },
          { id: "c", cron: "* * * * * * *" },
        ],
      }),
    );
    expect(valid).toEqual([
      { path: "$.schedules[0].cron", message: '"61 * * * *" is not a valid cron expression: CronPattern: Invalid value for minute: 61' },
      {
        path: "$.schedules[1].timezone",
        message: 'unknown timezone "Mars/Base": use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"',
      },
      { path: "$.schedules[2].id", message: 'duplicates the id "a" of an earlier schedule' },
      {
        path: "$.schedules[2].cron",
        message: '"* * * *" has 4 fields: use five (minute hour day-of-month month day-of-week) or six (seconds first)',
      },
      {
        path: "$.schedules[3].cron",
        message: '"* * * * * * *" has 7 fields: use five (minute hour day-of-month month day-of-week) or six (seconds first)',
      },
    ]);
  });
});

describe("nextFires", () => {
  test("kept answers stay right: before, at and after the first kept fire, and for more fires than kept", () => {
    const spec = { cron: "*/15 * * * * *", timezone: "UTC" };
    const t = at("2026-05-01T00:00:00Z");
    expect(nextFires(spec, t, 2).map(iso)).toEqual(["2026-05-01T00:00:15.000Z", "2026-05-01T00:00:30.000Z"]);
    expect(nextFires(spec, t + 14_999, 1).map(iso)).toEqual(["2026-05-01T00:00:15.000Z"]);
    expect(nextFires(spec, t + 15_000, 2).map(iso)).toEqual(["2026-05-01T00:00:30.000Z", "2026-05-01T00:00:45.000Z"]);
    expect(nextFires(spec, t + 15_000, 3).map(iso)).toEqual([
      "2026-05-01T00:00:30.000Z",
      "2026-05-01T00:00:45.000Z",
      "2026-05-01T00:01:00.000Z",
    ]);
    // Going back in time is answered afresh, not from what was kept.
    expect(nextFires(spec, t - 1, 1).map(iso)).toEqual(["2026-05-01T00:00:00.000Z"]);
  });

  test("strictly after the given time, six fields with seconds", () => {
    const spec = { cron: "*/10 * * * * *", timezone: "UTC" };
    expect(nextFires(spec, at("2026-01-01T00:00:00Z"), 2).map(iso)).toEqual(["2026-01-01T00:00:10.000Z", "2026-01-01T00:00:20.000Z"]);
    expect(nextFires(spec, at("2026-01-01T00:00:09.999Z"), 1).map(iso)).toEqual(["2026-01-01T00:00:10.000Z"]);
  });

  test("Europe/Berlin, spring forward: the missing 02:30 fires at 03:00 local (01:00 UTC)", () => {
    expect(nextFires(berlin, at("2026-03-27T12:00:00Z"), 3).map(iso)).toEqual([
      "2026-03-28T01:30:00.000Z", // 02:30 CET
      "2026-03-29T01:00:00.000Z", // 03:00 CEST: 02:30 does not exist that night
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
    ]);
  });

  test("Europe/Berlin, fall back: the doubled 02:30 fires once, at the first (CEST) one", () => {
    expect(nextFires(berlin, at("2026-10-24T12:00:00Z"), 3).map(iso)).toEqual([
      "2026-10-25T00:30:00.000Z", // 02:30 CEST; 02:30 CET an hour later does not fire
      "2026-10-26T01:30:00.000Z",
      "2026-10-27T01:30:00.000Z",
    ]);
  });
});

describe("decideOverlap", () => {
  test.each([
    ["skip", false, false, "start"],
    ["skip", true, false, "skip"],
    ["bufferOne", false, false, "start"],
    ["bufferOne", true, false, "buffer"],
    ["bufferOne", true, true, "skip"],
    ["allow", true, true, "start"],
  ] as const)("%s, unfinished %p, buffered %p → %s", (policy, unfinished, buffered, decision) => {
    expect(decideOverlap(policy, unfinished, buffered)).toBe(decision);
  });
});

describe("dueFires", () => {
  const minutely = { cron: "* * * * *", timezone: "UTC", catchupWindowSeconds: 0 };
  const t0 = at("2026-01-01T00:00:00Z");
  const min = 60_000;

  test("watched: every due fire starts, even one a little late", () => {
    expect(dueFires(minutely, t0, t0 + 2 * min + 5, true)).toEqual({
      start: [t0 + min, t0 + 2 * min],
      missed: null,
      progress: t0 + 2 * min,
    });
  });

  test("nothing due: progress stays", () => {
    expect(dueFires(minutely, t0, t0 + min - 1, false)).toEqual({ start: [], missed: null, progress: t0 });
  });

  test("after downtime with no window: every fire before now is missed; one exactly at now starts", () => {
    expect(dueFires(minutely, t0, t0 + 5 * min, false)).toEqual({
      start: [t0 + 5 * min],
      missed: { count: 4, first: t0 + min, last: t0 + 4 * min, countCapped: false },
      progress: t0 + 5 * min,
    });
  });

  test("after downtime: fires within the window start oldest first, older ones are missed", () => {
    const spec = { ...minutely, catchupWindowSeconds: 150 };
    expect(dueFires(spec, t0, t0 + 10 * min + 1000, false)).toEqual({
      start: [t0 + 8 * min, t0 + 9 * min, t0 + 10 * min],
      missed: { count: 7, first: t0 + min, last: t0 + 7 * min, countCapped: false },
      progress: t0 + 10 * min,
    });
  });

  test("at most MAX_CATCHUP_FIRES start: the newest in the window; the older ones are missed", () => {
    const spec = { ...minutely, catchupWindowSeconds: 86_400 };
    const due = dueFires(spec, t0, t0 + 150 * min, false);
    expect(due.start.length).toBe(MAX_CATCHUP_FIRES);
    expect(due.start[0]).toBe(t0 + 51 * min);
    expect(due.start.at(-1)).toBe(t0 + 150 * min);
    expect(due.missed).toEqual({ count: 50, first: t0 + min, last: t0 + 50 * min, countCapped: false });
  });

  test("a very long downtime counts missed fires up to the cap, then says the count is a lower bound", () => {
    const secondly = { cron: "* * * * * *", timezone: "UTC", catchupWindowSeconds: 2 };
    const due = dueFires(secondly, t0, t0 + 20_000_000, false);
    expect(due.missed?.countCapped).toBe(true);
    expect(due.missed?.count).toBe(10_000);
    expect(due.start).toEqual([t0 + 19_998_000, t0 + 19_999_000, t0 + 20_000_000]);
    expect(due.progress).toBe(t0 + 20_000_000);
  });
});

describe("firesBetween", () => {
  const minutely = { cron: "* * * * *", timezone: "UTC" };
  const t0 = at("2026-01-01T00:00:00Z");

  test("strictly between the two times; null when none", () => {
    expect(firesBetween(minutely, t0, t0 + 3 * 60_000)).toEqual({ count: 2, first: t0 + 60_000, last: t0 + 120_000, countCapped: false });
    expect(firesBetween(minutely, t0, t0 + 60_000)).toBeNull();
  });
});
