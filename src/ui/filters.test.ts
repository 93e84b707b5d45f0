import { describe, expect, test } from "bun:test";
import { type ListQuery, listQuery, PAGE_SIZE, parseTime, queryString, readFilter } from "./filters.ts";

const q = (over: Partial<ListQuery> = {}): ListQuery => listQuery((k) => over[k]);

describe("the executions page's URL filters", () => {
  test("times: a datetime-local field is UTC; seconds, fractions and zones are understood; anything else is not", () => {
    expect(parseTime("2026-11-30T01:30")).toBe(Date.UTC(2026, 10, 30, 1, 30));
    expect(parseTime("2026-11-30")).toBe(Date.UTC(2026, 10, 30));
    expect(parseTime("2026-11-30T01:30:05.250Z")).toBe(Date.UTC(2026, 10, 30, 1, 30, 5, 250));
    expect(parseTime("2026-11-30T01:30:00+02:00")).toBe(Date.UTC(2026, 10, 29, 23, 30));
    for (const bad of ["yesterday", "2026-13-01T00:00", "1700000000000", "2026-11-30 01:30"]) expect(parseTime(bad)).toBeNull();
  });

  test("an empty query lists everything, newest first, a page at a time", () => {
    expect(readFilter(q())).toEqual({ filter: { limit: PAGE_SIZE }, problems: [] });
  });

  test("each value lands in the store filter", () => {
    const read = readFilter(
      q({ status: "FAILED", definition: "etl", from: "2026-11-30T00:00", to: "2026-11-30T06:00", error: "Boom", cursor: "42" }),
    );
    expect(read).toEqual({
      filter: {
        limit: PAGE_SIZE,
        status: "FAILED",
        definitionId: "etl",
        createdFrom: Date.UTC(2026, 10, 30),
        createdTo: Date.UTC(2026, 10, 30, 6),
        errorName: "Boom",
        cursor: "42",
      },
      problems: [],
    });
  });

  test("every bad value is named, in words", () => {
    expect(readFilter(q({ status: "failed", from: "soon", cursor: "x" })).problems).toEqual([
      'status "failed" is not one of QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED',
      'from "soon" is not a time such as 2026-11-30T01:30 (UTC) or 2026-11-30T01:30:00+02:00',
      'cursor "x" is not one this page made: follow the "Older" link, or start from the newest',
    ]);
  });

  test("an error name goes with failed executions only", () => {
    expect(readFilter(q({ error: "Boom" }))).toEqual({ filter: { limit: PAGE_SIZE, errorName: "Boom" }, problems: [] });
    expect(readFilter(q({ error: "Boom", status: "COMPLETED" })).problems).toEqual([
      "only FAILED executions have an error name to filter by, not COMPLETED ones",
    ]);
    // A status that is none at all is said once, as such.
    expect(readFilter(q({ error: "Boom", status: "failed" })).problems).toEqual([
      'status "failed" is not one of QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED',
    ]);
  });

  test("links keep the filters, drop empty values and encode the rest", () => {
    expect(queryString(q())).toBe("");
    expect(queryString(q({ status: "FAILED", definition: "a b&c", error: "Boom" }), { cursor: "7" })).toBe(
      "?status=FAILED&definition=a+b%26c&error=Boom&cursor=7",
    );
    expect(queryString(q({ cursor: "7" }), { cursor: "" })).toBe("");
  });
});
