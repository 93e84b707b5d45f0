import { describe, expect, test } from "bun:test";
import { daysInMonth, formatLocal, parseTimestamp } from "./timestamp.ts";

const utc = (iso: string) => new Date(iso).getTime();
/** Epoch ms of a UTC midnight in any year: setUTCFullYear, because Date.UTC reads years 0–99 as 1900–1999. */
const midnight = (year: number, month: number, day: number) => new Date(0).setUTCFullYear(year, month - 1, day);

describe("parseTimestamp: accepted", () => {
  const valid: [string, number][] = [
    ["2026-11-28T22:00:00Z", utc("2026-11-28T22:00:00.000Z")],
    ["2026-11-28T22:00Z", utc("2026-11-28T22:00:00.000Z")], // seconds left out: accepted from the start
    ["2028-02-29T00:00:00Z", utc("2028-02-29T00:00:00.000Z")], // a leap year
    ["2000-02-29T00:00:00Z", utc("2000-02-29T00:00:00.000Z")], // divisible by 400: leap
    ["2030-04-30T23:59:59Z", utc("2030-04-30T23:59:59.000Z")],
    ["2030-12-31T23:59:59.999Z", utc("2030-12-31T23:59:59.999Z")],
    ["2030-12-31T23:59:59.9999999Z", utc("2030-12-31T23:59:59.999Z")], // cut to ms, not rounded into 2031
    ["2030-12-31T23:59:59.123456789Z", utc("2030-12-31T23:59:59.123Z")],
    ["2030-01-01T00:00:00.5Z", utc("2030-01-01T00:00:00.500Z")],
    ["2030-01-01T00:00:00.05Z", utc("2030-01-01T00:00:00.050Z")],
    ["2030-01-01T01:00:00+01:00", utc("2030-01-01T00:00:00.000Z")],
    ["2029-12-31T19:00:00-05:00", utc("2030-01-01T00:00:00.000Z")],
    ["2030-01-01T05:30:00+05:30", utc("2030-01-01T00:00:00.000Z")],
    ["2030-01-01T00:00:00-00:00", utc("2030-01-01T00:00:00.000Z")], // RFC 3339 "offset unknown": same instant as Z
    ["2030-01-01T23:59:00+23:59", utc("2030-01-01T00:00:00.000Z")],
    ["2030-01-01T00:00:00-23:59", utc("2030-01-01T23:59:00.000Z")],
    ["2030-03-01T00:30:00+01:00", utc("2030-02-28T23:30:00.000Z")], // an offset may cross a month boundary
    ["2030-01-01t00:00:00z", utc("2030-01-01T00:00:00.000Z")], // RFC 3339 §5.6: t and z may be lower case
    ["1970-01-01T00:00:00Z", 0],
    ["1969-12-31T23:59:59.999Z", -1],
    ["9999-12-31T23:59:59.999Z", utc("9999-12-31T23:59:59.999Z")],
    ["0000-01-01T00:00:00Z", midnight(0, 1, 1)], // year 0 (1 BC), proleptic Gregorian
    ["0000-02-29T00:00:00Z", midnight(0, 2, 29)], // year 0 is divisible by 400: leap
    ["0099-03-01T00:00:00Z", midnight(99, 3, 1)], // Date.UTC would read 99 as 1999
  ];
  test.each(valid)("%s", (text, expected) => {
    expect(parseTimestamp(text)).toEqual({ ok: true, epochMs: expected });
  });

  test("agrees with Date.parse on every day of a leap and a common year, at several offsets", () => {
    for (const year of [2028, 2030]) {
      for (let month = 1; month <= 12; month++) {
        for (let day = 1; day <= daysInMonth(year, month); day++) {
          const date = `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
          for (const time of ["T00:00:00Z", "T12:34:56.789+05:45", "T23:59:59-11:00"]) {
            expect(parseTimestamp(date + time)).toEqual({ ok: true, epochMs: Date.parse(date + time) });
          }
        }
      }
    }
  });
});

describe("parseTimestamp: refused, with the reason", () => {
  const invalid: [string, string][] = [
    ["2030-02-29T00:00:00Z", "February 2030 has 28 days"],
    ["2030-02-30T00:00:00Z", "February 30, 2030, a day that does not exist"],
    ["2028-02-30T00:00:00Z", "February 2028 has 29 days"],
    ["1900-02-29T00:00:00Z", "February 1900 has 28 days"], // divisible by 100, not by 400: not leap
    ["2030-04-31T00:00:00Z", "April 2030 has 30 days"],
    ["2030-06-31T00:00:00Z", "June 2030 has 30 days"],
    ["2030-09-31T00:00:00Z", "September 2030 has 30 days"],
    ["2030-11-31T00:00:00Z", "November 2030 has 30 days"],
    ["2030-01-32T00:00:00Z", "January 2030 has 31 days"],
    ["2030-01-00T00:00:00Z", "January 0, 2030"],
    ["2030-00-10T00:00:00Z", "month 00"],
    ["2030-13-01T00:00:00Z", "month 13"],
    ["2030-01-01T24:00:00Z", "hour 24"],
    ["2030-01-01T25:00:00Z", "hour 25"],
    ["2030-01-01T23:60:00Z", "minute 60"],
    ["2030-01-01T23:59:60Z", "leap second"],
    ["2016-12-31T23:59:60Z", "use :59"], // a real leap second, still refused
    ["2030-01-01T23:59:61Z", "second 61"],
    ["2030-01-01T00:00:00+24:00", "offset +24:00"],
    ["2030-01-01T00:00:00+01:60", "offset +01:60"],
    ["2030-01-01T00:00:00", "has no time zone"],
    ["2030-01-01T00:00", "has no time zone"],
    ["2030-01-01", "has no time and no time zone"],
    ["2030-01-01T00:00:00+0100", "not a date-time in the form"],
    ["2030-01-01T00:00:00+01", "not a date-time in the form"],
    ["2030-01-01T00:00:00 01:00", "not a date-time in the form"], // a '+' decoded as a space
    ["2030-01-01 00:00:00Z", "not a date-time in the form"],
    ["2030-01-01T00:00:00.Z", "not a date-time in the form"],
    ["2030-01-01T00:00:00.1234567890Z", "not a date-time in the form"],
    ["2030-1-01T00:00:00Z", "not a date-time in the form"],
    ["12030-01-01T00:00:00Z", "not a date-time in the form"],
    ["+002030-01-01T00:00:00Z", "not a date-time in the form"],
    ["-0001-01-01T00:00:00Z", "not a date-time in the form"],
    ["2030-01-01T00:00:00ZZ", "not a date-time in the form"],
    [" 2030-01-01T00:00:00Z", "not a date-time in the form"],
    ["2030-01-01T00:00:00Z\n", "not a date-time in the form"],
    ["２０３０-01-01T00:00:00Z", "not a date-time in the form"], // full-width digits are not \d here
    ["tomorrow", "not a date-time in the form"],
    ["1735689600", "not a date-time in the form"],
    ["", "not a date-time in the form"],
  ];
  test.each(invalid)("%s", (text, reason) => {
    const parsed = parseTimestamp(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toContain(reason);
  });
});

describe("daysInMonth", () => {
  test("month lengths of a common, a leap, a century and a 400th year", () => {
    const lengths = (year: number) => Array.from({ length: 12 }, (_, i) => daysInMonth(year, i + 1));
    expect(lengths(2030)).toEqual([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
    expect(lengths(2028)[1]).toBe(29);
    expect(lengths(2100)[1]).toBe(28);
    expect(lengths(2000)[1]).toBe(29);
  });
});

describe("formatLocal", () => {
  test("UTC has the offset +00:00", () => {
    expect(formatLocal(Date.parse("2026-01-01T12:34:56.789Z"), "UTC")).toBe("2026-01-01T12:34:56+00:00");
  });

  test("Europe/Berlin across both DST changes of 2026: the offset in force at that instant", () => {
    expect(formatLocal(Date.parse("2026-03-29T00:59:59Z"), "Europe/Berlin")).toBe("2026-03-29T01:59:59+01:00");
    expect(formatLocal(Date.parse("2026-03-29T01:00:00Z"), "Europe/Berlin")).toBe("2026-03-29T03:00:00+02:00");
    // 02:30 happens twice on 2026-10-25: first in summer time, then in winter time.
    expect(formatLocal(Date.parse("2026-10-25T00:30:00Z"), "Europe/Berlin")).toBe("2026-10-25T02:30:00+02:00");
    expect(formatLocal(Date.parse("2026-10-25T01:30:00Z"), "Europe/Berlin")).toBe("2026-10-25T02:30:00+01:00");
  });

  test("negative and half-hour offsets, and an instant before 1970", () => {
    expect(formatLocal(Date.parse("2026-07-01T12:00:00Z"), "America/New_York")).toBe("2026-07-01T08:00:00-04:00");
    expect(formatLocal(Date.parse("2026-07-01T12:00:00Z"), "Asia/Kolkata")).toBe("2026-07-01T17:30:00+05:30");
    expect(formatLocal(Date.parse("1969-12-31T23:59:59.500Z"), "UTC")).toBe("1969-12-31T23:59:59+00:00");
  });
});
