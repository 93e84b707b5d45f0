/**
 * Cron schedules of a definition, as pure rules: the spec with its defaults, the check of an
 * expression and a timezone (so a 400 names the field and croner's reason), the next nominal
 * fires after a time, the overlap decision, and how the fires that came due while Baton was
 * not watching the clock split into started and missed. No I/O: the scheduler service
 * (`engine/services/scheduler.ts`) and the store apply these.
 *
 * Time zones and DST follow croner: a local time that does not exist (02:30 on the day clocks
 * go forward) fires at the next valid time (03:00); a local time that occurs twice (02:30 on
 * the day clocks go back) fires once, at its first occurrence.
 */
import { Cron } from "croner";
import type { FieldIssue } from "./errors.ts";

export type OverlapPolicy = "skip" | "bufferOne" | "allow";
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ["skip", "bufferOne", "allow"];

/** One schedule of a definition, every default resolved. */
export interface ScheduleSpec {
  id: string;
  /** Five fields, or six with seconds first; croner's nicknames (`@hourly`, `@daily`) work too. */
  cron: string;
  /** IANA name. @default "UTC" */
  timezone: string;
  /** The input of every execution it starts. @default {} */
  input: Record<string, unknown>;
  /** What a fire does while an earlier execution of this schedule is unfinished. @default "skip" */
  overlap: OverlapPolicy;
  /** After downtime, fires at most this old are started; older ones are recorded as missed. @default 0 */
  catchupWindowSeconds: number;
  /** The state the schedule starts in when its version is registered. @default false */
  paused: boolean;
}

export const SCHEDULE_DEFAULTS = { timezone: "UTC", overlap: "skip", catchupWindowSeconds: 0, paused: false } as const;

/**
 * At most this many fires of one schedule are started in one round after downtime: the newest
 * ones within the catch-up window, started oldest first. Older ones in the window are missed.
 */
export const MAX_CATCHUP_FIRES = 100;

/**
 * At most this many missed fires of one schedule are counted one by one in a round (croner
 * computes about 30,000 fires a second here); beyond it the count is a lower bound and the
 * Missed event says so (`countCapped`).
 */
export const MAX_MISSED_COUNTED = 10_000;

/** Why a timezone name is not one this runtime knows, or null. */
export function timezoneProblem(timezone: string): string | null {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: timezone });
    return null;
  } catch {
    return `unknown timezone "${timezone}": use an IANA name such as "UTC", "Europe/Berlin" or "America/New_York"`;
  }
}

/** Why an expression is not a cron expression Baton accepts, or null (croner's reason included). */
export function cronProblem(cron: string): string | null {
  const fields = cron.trim().split(/\s+/);
  if (!cron.trim().startsWith("@") && fields.length !== 5 && fields.length !== 6) {
    return `"${cron}" has ${fields.length} fields: use five (minute hour day-of-month month day-of-week) or six (seconds first)`;
  }
  try {
    new Cron(cron, { paused: true });
    return null;
  } catch (err) {
    return `"${cron}" is not a valid cron expression: ${(err as Error).message}`;
  }
}

/** The checks of one schedule a schema cannot make; paths relative to the schedule (`.cron`). */
export function checkSchedule(cron: string, timezone: string): FieldIssue[] {
  const issues: FieldIssue[] = [];
  const c = cronProblem(cron);
  if (c) issues.push({ path: ".cron", message: c });
  const t = timezoneProblem(timezone);
  if (t) issues.push({ path: ".timezone", message: t });
  return issues;
}

const crons = new Map<string, Cron>();

/** One parsed expression per (cron, timezone), kept: parsing is the expensive part. */
function cronOf(spec: Pick<ScheduleSpec, "cron" | "timezone">): Cron {
  const key = `${spec.timezone} ${spec.cron}`;
  let c = crons.get(key);
  if (!c) {
    c = new Cron(spec.cron, { timezone: spec.timezone, paused: true });
    crons.set(key, c);
  }
  return c;
}

/** The last answer of `nextFires` per expression: the same until `after` reaches its first fire. */
const upcoming = new Map<string, { after: number; fires: number[] }>();

/**
 * The first `n` nominal fires strictly after `after` (epoch ms). Kept per expression while
 * `after` stays before the first of them, so listing 1,000 schedules again and again costs
 * nothing between their fires (croner needs tens of microseconds per fire).
 */
export function nextFires(spec: Pick<ScheduleSpec, "cron" | "timezone">, after: number, n: number): number[] {
  const key = `${spec.timezone} ${spec.cron}`;
  const known = upcoming.get(key);
  if (known && after >= known.after && (known.fires.length === 0 || after < known.fires[0]!) && known.fires.length >= n)
    return known.fires.slice(0, n);
  const fires = cronOf(spec)
    .nextRuns(n, new Date(after))
    .map((d) => d.getTime());
  upcoming.set(key, { after, fires });
  return fires;
}

/** The first nominal fire strictly after `after`, or null when the expression has none left. */
export function nextFire(spec: Pick<ScheduleSpec, "cron" | "timezone">, after: number): number | null {
  return cronOf(spec).nextRun(new Date(after))?.getTime() ?? null;
}

export type OverlapDecision = "start" | "buffer" | "skip";

/**
 * What a fire does. `unfinished`: an execution of an earlier fire of this schedule is QUEUED
 * or RUNNING. `buffered`: a fire already waits for it to end.
 */
export function decideOverlap(policy: OverlapPolicy, unfinished: boolean, buffered: boolean): OverlapDecision {
  if (policy === "allow" || !unfinished) return "start";
  if (policy === "bufferOne" && !buffered) return "buffer";
  return "skip";
}

/** The fires due in one round of one schedule, split. */
export interface DueFires {
  /** Started (subject to overlap), oldest first. */
  start: number[];
  /** Recorded as missed: how many, and the first and last nominal time. */
  missed: { count: number; first: number; last: number; countCapped: boolean } | null;
  /** Every nominal time at or before this is settled after the round. */
  progress: number;
}

/**
 * The fires of a schedule after `progress` and at or before `now`. `watched`: Baton was
 * watching the clock the whole time (a timer a little late), so every due fire starts. Else
 * (after downtime, a sleep or a forward clock jump) only those within `catchupWindowSeconds`
 * of now start, the newest `MAX_CATCHUP_FIRES` of them; the rest are missed.
 */
export function dueFires(
  spec: Pick<ScheduleSpec, "cron" | "timezone" | "catchupWindowSeconds">,
  progress: number,
  now: number,
  watched: boolean,
): DueFires {
  const windowStart = watched ? Number.NEGATIVE_INFINITY : now - spec.catchupWindowSeconds * 1000;
  let count = 0;
  let first = 0;
  let last = 0;
  let at = progress;
  // Missed fires: those before the window, counted up to the cap, then skipped over.
  if (!watched) {
    for (let t = nextFire(spec, at); t !== null && t < windowStart && t <= now; t = nextFire(spec, t)) {
      if (count === 0) first = t;
      last = t;
      at = t;
      if (++count >= MAX_MISSED_COUNTED) break;
    }
  }
  let countCapped = false;
  if (count >= MAX_MISSED_COUNTED) {
    const resume = Math.min(windowStart, now + 1) - 1;
    const more = nextFire(spec, at);
    countCapped = more !== null && more <= resume;
    if (countCapped) at = Math.max(at, resume);
  }
  const inWindow: number[] = [];
  for (let t = nextFire(spec, at); t !== null && t <= now; t = nextFire(spec, t)) inWindow.push(t);
  const dropped = inWindow.length > MAX_CATCHUP_FIRES ? inWindow.splice(0, inWindow.length - MAX_CATCHUP_FIRES) : [];
  for (const t of dropped) {
    if (count === 0) first = t;
    last = t;
    count++;
  }
  const settled = Math.max(progress, at, last, inWindow.at(-1) ?? progress);
  return { start: inWindow, missed: count > 0 ? { count, first, last, countCapped } : null, progress: settled };
}

/** The 404 detail for a schedule that does not exist, naming those that do. */
export function scheduleNotFound(
  definitionId: string,
  scheduleId: string,
  definitionExists: boolean,
  all: readonly { definitionId: string; spec: { id: string } }[],
): string {
  if (!definitionExists) {
    const ids = [...new Set(all.map((s) => s.definitionId))];
    const known = ids.length > 0 ? `definitions with schedules: ${ids.join(", ")}` : "no definition has schedules";
    return `no job definition with id "${definitionId}" (${known}); GET /schedules lists every schedule`;
  }
  const own = all.filter((s) => s.definitionId === definitionId).map((s) => s.spec.id);
  const known = own.length > 0 ? `its schedules: ${own.join(", ")}` : "its latest version declares no schedules";
  return `definition "${definitionId}" has no schedule "${scheduleId}" (${known})`;
}

/** The fires strictly after `after` and strictly before `before`, counted up to `MAX_MISSED_COUNTED`; null when none. */
export function firesBetween(
  spec: Pick<ScheduleSpec, "cron" | "timezone">,
  after: number,
  before: number,
): { count: number; first: number; last: number; countCapped: boolean } | null {
  let count = 0;
  let first = 0;
  let last = 0;
  for (let t = nextFire(spec, after); t !== null && t < before; t = nextFire(spec, t)) {
    if (count === MAX_MISSED_COUNTED) return { count, first, last, countCapped: true };
    if (count === 0) first = t;
    last = t;
    count++;
  }
  return count === 0 ? null : { count, first, last, countCapped: false };
}
