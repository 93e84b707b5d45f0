/**
 * Strict parsing of the date-times clients send (RFC 3339, the profile of ISO 8601 that
 * JSON APIs use). `Date.parse` is not strict: it rolls 2030-02-30 over to March 2 and
 * 2030-04-31 to May 1, so a typo silently becomes another day. Pure, no I/O.
 *
 * Accepted: `YYYY-MM-DDThh:mm[:ss[.fraction]]` followed by `Z` or an offset `±hh:mm`.
 * - A time zone is required: without one the same text means different instants on
 *   different machines.
 * - Seconds may be left out (`2026-11-28T22:00Z`), as Baton accepted from the start.
 * - `t` and `z` may be lower case (RFC 3339 §5.6 allows it); a space instead of `T` is not
 *   accepted (in a URL it arrives as `+` or `%20` and is easily mangled).
 * - 1 to 9 fraction digits; time is kept in whole milliseconds, so extra digits are cut
 *   off, never rounded (23:59:59.9999 stays in the same second, day and year).
 * - `-00:00` (RFC 3339: "offset unknown") is the same instant as `Z`.
 * - Years 0000 to 9999, in the proleptic Gregorian calendar (0000 is a leap year).
 * - Leap seconds (`:60`) are refused: epoch milliseconds, as JavaScript and Baton count
 *   time, have no place for them, and none has been inserted since 2016. The refusal says
 *   to send `:59` instead.
 *
 * And the other way, `formatLocal`: an instant as the wall-clock time of a timezone with the
 * offset in force then (schedules show their next fires this way).
 */

/** What `parseTimestamp` found: the instant in epoch milliseconds, or why there is none. */
export type ParsedTimestamp = { ok: true; epochMs: number } | { ok: false; reason: string };

/** One example of each accepted form, for messages. */
export const TIMESTAMP_EXAMPLE = "2026-11-28T22:00:00Z or 2026-11-28T23:00:00+01:00";

const SHAPE = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|([+-])(\d{2}):(\d{2}))$/;
const WITHOUT_ZONE = /^\d{4}-\d{2}-\d{2}([Tt]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/;

const MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

const isLeapYear = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** Days in `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * Days from 1970-01-01 to a date of the proleptic Gregorian calendar (Howard Hinnant's
 * `days_from_civil`). Not `Date.UTC`: it reads years 0–99 as 1900–1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

const fail = (reason: string): ParsedTimestamp => ({ ok: false, reason });

/**
 * Parses an RFC 3339 date-time strictly: a real calendar day, hours 00–23, minutes and
 * seconds 00–59, offsets up to ±23:59, a time zone required.
 *
 * @example
 * parseTimestamp("2028-02-29T12:00:00+01:00") // { ok: true, epochMs: 1835434800000 }
 * parseTimestamp("2030-02-29T12:00:00Z")      // { ok: false, reason: "names February 29, 2030, a day that does not exist: February 2030 has 28 days" }
 */
export function parseTimestamp(text: string): ParsedTimestamp {
  const m = SHAPE.exec(text);
  if (!m) {
    if (WITHOUT_ZONE.test(text)) {
      return fail(
        text.length === 10 ? "has no time and no time zone" : "has no time zone: end it with Z for UTC or an offset such as +01:00",
      );
    }
    return fail("is not a date-time in the form YYYY-MM-DDThh:mm:ss followed by Z or an offset ±hh:mm");
  }
  const [year, month, day, hour, minute] = [m[1], m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number, number];
  const second = m[6] === undefined ? 0 : Number(m[6]);
  if (month < 1 || month > 12) return fail(`names month ${m[2]}, which does not exist: months are 01 to 12`);
  const days = daysInMonth(year, month);
  if (day < 1 || day > days) {
    const monthName = MONTHS[month - 1]!;
    return fail(`names ${monthName} ${day}, ${m[1]}, a day that does not exist: ${monthName} ${m[1]} has ${days} days`);
  }
  if (hour > 23) return fail(`names hour ${m[4]}, which does not exist: hours are 00 to 23`);
  if (minute > 59) return fail(`names minute ${m[5]}, which does not exist: minutes are 00 to 59`);
  if (second === 60) return fail("names second 60, a leap second, which Baton does not accept: use :59");
  if (second > 59) return fail(`names second ${m[6]}, which does not exist: seconds are 00 to 59`);
  let offsetMinutes = 0;
  if (m[9] !== undefined) {
    const [offsetHour, offsetMinute] = [Number(m[10]), Number(m[11])];
    if (offsetHour > 23 || offsetMinute > 59)
      return fail(`has the time zone offset ${m[8]}, which does not exist: offsets are -23:59 to +23:59`);
    offsetMinutes = (m[9] === "-" ? -1 : 1) * (offsetHour * 60 + offsetMinute);
  }
  const millis = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, "0"));
  const epochMs = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
  return { ok: true, epochMs };
}

const localParts = new Map<string, Intl.DateTimeFormat>();

/**
 * The wall-clock time of an instant in an IANA timezone, as ISO 8601 with that moment's
 * offset, whole seconds (`2026-03-29T03:00:00+02:00`; UTC gives `+00:00`). The offset is the
 * one in force at that instant, so the two 02:30 of a night when clocks go back read
 * `02:30:00+02:00` and `02:30:00+01:00`.
 */
export function formatLocal(epochMs: number, timezone: string): string {
  let fmt = localParts.get(timezone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    localParts.set(timezone, fmt);
  }
  const p = Object.fromEntries(fmt.formatToParts(new Date(epochMs)).map((x) => [x.type, x.value]));
  const [y, mo, d, h, mi, s] = [p.year, p.month, p.day, p.hour, p.minute, p.second].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const wall = daysFromCivil(y, mo, d) * 86_400_000 + ((h * 60 + mi) * 60 + s) * 1000;
  const offsetMinutes = Math.round((wall - (epochMs - (((epochMs % 1000) + 1000) % 1000))) / 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${String(y).padStart(4, "0")}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(s)}${sign}${two(Math.floor(abs / 60))}:${two(abs % 60)}`;
}
