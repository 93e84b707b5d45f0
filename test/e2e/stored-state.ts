/**
 * What Baton has stored, read back through the REST API only: a snapshot to compare before and
 * after something that must change nothing, the intervals during which each execution held a
 * slot, and the sweep line that checks no more than the limit ever held one at once.
 *
 * Nothing here starts a process, so pure unit tests can import it without the compiled binary.
 */

/** The part of a client this module needs; the harness's `Baton` is one. */
export interface Api {
  json<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
}

/** An entry of `GET /jobs`. */
export interface ExecutionSummary {
  id: string;
  definitionId: string;
  status: string;
  startedAt: string | null;
  endTime: string | null;
  [key: string]: unknown;
}

/** An entry of `GET /jobs/{id}/events`. */
export interface ExecutionEvent {
  seq: number;
  timestamp: string;
  type: string;
  taskId?: string;
  attempt?: number;
  [key: string]: unknown;
}

async function ok<T>(api: Api, path: string): Promise<T> {
  const { status, body } = await api.json<T>("GET", path);
  if (status !== 200) throw new Error(`GET ${path} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Runs `fn` over `items`, at most `width` at a time, keeping the order. */
async function inBatches<T, R>(items: readonly T[], width: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.all(items.slice(i, i + width).map(fn))));
  return out;
}

/**
 * Every execution `GET /jobs` lists, newest first, following `nextCursor` to the last page.
 * @param query extra filters, e.g. `status=FAILED&definitionId=x` (no leading `?` or `&`)
 * @example const failed = await listAllExecutions(baton, "status=FAILED");
 */
export async function listAllExecutions(api: Api, query = "", pageSize = 200): Promise<ExecutionSummary[]> {
  const all: ExecutionSummary[] = [];
  let cursor: string | null = null;
  // Bounded: a cursor that never reaches null is a bug, not a reason to spin.
  for (let page = 0; page < 10_000; page++) {
    const params = [`limit=${pageSize}`, query, cursor === null ? "" : `cursor=${cursor}`].filter(Boolean).join("&");
    const body: { jobs: ExecutionSummary[]; nextCursor: string | null } = await ok(api, `/jobs?${params}`);
    all.push(...body.jobs);
    cursor = body.nextCursor;
    if (cursor === null) return all;
  }
  throw new Error("GET /jobs kept returning a nextCursor after 10,000 pages");
}

export async function eventsOf(api: Api, executionId: string): Promise<ExecutionEvent[]> {
  return (await ok<{ events: ExecutionEvent[] }>(api, `/jobs/${encodeURIComponent(executionId)}/events`)).events;
}

/** Polls `/system/state` until nothing is RUNNING or waiting for a slot (delayed executions count as waiting). */
export async function waitForIdle(api: Api, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const system = await ok<{ activeJobs: unknown[]; queuedCount: number }>(api, "/system/state");
    if (system.activeJobs.length === 0 && system.queuedCount === 0) return;
    if (Date.now() > deadline)
      throw new Error(`still busy after ${ms} ms: ${system.activeJobs.length} running, ${system.queuedCount} queued`);
    await Bun.sleep(25);
  }
}

/** Everything the API shows of the stored state, in a form `toEqual` can compare. */
export interface StoredSnapshot {
  /** `GET /job-definitions`: the latest version of each. */
  definitions: unknown[];
  /** Each version of each definition, `GET /job-definitions/{id}?version=n`, by id. */
  definitionVersions: Record<string, unknown[]>;
  /** In `GET /jobs` order (newest first): the list entry, `/state` and `/events` of each. */
  executions: { id: string; summary: ExecutionSummary; state: any; events: ExecutionEvent[] }[];
  /** `/system/state` without `uptimeSeconds`, which moves on its own; RUNNING ids sorted. */
  system: {
    activeJobs: string[];
    queuedJobs: string[];
    queuedCount: number;
    executedJobs: number;
    maxConcurrentJobs: number;
    version: string;
  };
}

/**
 * Reads the whole stored state through the API. Take it while nothing runs (see `waitForIdle`),
 * or executions will move between the reads.
 * @example
 * const before = await snapshotStoredState(baton);
 * // … requests that must change nothing …
 * expect(await snapshotStoredState(baton)).toEqual(before);
 */
export async function snapshotStoredState(api: Api, options: { pageSize?: number; parallel?: number } = {}): Promise<StoredSnapshot> {
  const parallel = options.parallel ?? 16;
  const definitions = await ok<{ id: string }[]>(api, "/job-definitions");
  const definitionVersions: Record<string, unknown[]> = {};
  for (const { id } of definitions) {
    const latest = await ok<{ versions: number[] }>(api, `/job-definitions/${encodeURIComponent(id)}`);
    definitionVersions[id] = await inBatches(latest.versions, parallel, (n) =>
      ok(api, `/job-definitions/${encodeURIComponent(id)}?version=${n}`),
    );
  }
  const summaries = await listAllExecutions(api, "", options.pageSize);
  const executions = await inBatches(summaries, parallel, async (summary) => ({
    id: summary.id,
    summary,
    state: await ok<any>(api, `/jobs/${encodeURIComponent(summary.id)}/state`),
    events: await eventsOf(api, summary.id),
  }));
  const s = await ok<{
    activeJobs: { id: string }[];
    queuedJobs: string[];
    queuedCount: number;
    executedJobs: number;
    maxConcurrentJobs: number;
    version: string;
  }>(api, "/system/state");
  const system = {
    activeJobs: s.activeJobs.map((j) => j.id).sort(),
    queuedJobs: s.queuedJobs,
    queuedCount: s.queuedCount,
    executedJobs: s.executedJobs,
    maxConcurrentJobs: s.maxConcurrentJobs,
    version: s.version,
  };
  return { definitions, definitionVersions, executions, system };
}

/** A half-open period [start, end) in epoch ms; `end` is Infinity while it has not ended. */
export interface Interval {
  id: string;
  start: number;
  end: number;
}

/**
 * The most intervals that cover one instant, by a sweep line over their ends. Intervals are
 * half-open: one that ends at t and one that starts at t do not overlap (Baton frees a slot
 * before the next admission reads the clock, and both happen within the same millisecond
 * often). An empty interval [t, t) covers no instant and never counts.
 * @returns the maximum, the first instant it is reached (null when there is no interval), and
 *   the ids of the intervals covering that instant.
 * @example maxOverlap([{ id: "a", start: 0, end: 10 }, { id: "b", start: 5, end: 20 }]) // max 2 at 5
 */
export function maxOverlap(intervals: readonly Interval[]): { max: number; at: number | null; ids: string[] } {
  const points: { t: number; delta: 1 | -1; id: string }[] = [];
  for (const { id, start, end } of intervals) {
    if (!Number.isFinite(start) || Number.isNaN(end) || end < start) throw new Error(`interval ${id} is not a period: [${start}, ${end})`);
    if (end === start) continue;
    points.push({ t: start, delta: 1, id }, { t: end, delta: -1, id });
  }
  // At equal times ends go first: half-open intervals.
  points.sort((a, b) => a.t - b.t || a.delta - b.delta);
  const open = new Map<string, number>();
  let size = 0;
  let best = { max: 0, at: null as number | null, ids: [] as string[] };
  for (const p of points) {
    size += p.delta;
    const n = (open.get(p.id) ?? 0) + p.delta;
    if (n === 0) open.delete(p.id);
    else open.set(p.id, n);
    if (size > best.max) best = { max: size, at: p.t, ids: [...open.keys()].sort() };
  }
  return best;
}

const ENDS = new Set(["ExecutionCompleted", "ExecutionFailed", "ExecutionCancelled"]);

/**
 * When one execution held a slot, from its stored `/state`: [startedAt, endTime). The store keeps
 * `startedAt` from the first admission (a later admission does not overwrite it), so where the
 * history shows the slot given back and taken again — a recovery that requeued it beyond the
 * limit, or a redrive after an end — the period is cut there: given back at the requeue (or the
 * earlier end), taken again at the next `ExecutionStarted`. A RUNNING execution's period has no end.
 */
export function slotIntervals(
  state: { id: string; startedAt: string | null; endTime: string | null },
  events: readonly ExecutionEvent[],
): Interval[] {
  if (state.startedAt === null) return [];
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const lastStart = Math.max(-1, ...sorted.filter((e) => e.type === "ExecutionStarted").map((e) => e.seq));
  const out: Interval[] = [];
  let open: number | null = null;
  let admissions = 0;
  for (const e of sorted) {
    if (e.type === "ExecutionStarted" && open === null) open = admissions++ === 0 ? Date.parse(state.startedAt) : Date.parse(e.timestamp);
    const gaveBack = e.type === "ExecutionRequeued" || ENDS.has(e.type);
    if (gaveBack && open !== null) {
      // The final end is the stored endTime; the ones before it exist only in the history.
      const final = ENDS.has(e.type) && e.seq > lastStart && state.endTime !== null;
      out.push({ id: state.id, start: open, end: final ? Date.parse(state.endTime!) : Date.parse(e.timestamp) });
      open = null;
    }
  }
  if (open !== null) out.push({ id: state.id, start: open, end: Infinity });
  // Admitted by the stored time yet no admission in the history: count it rather than miss it.
  if (admissions === 0)
    out.push({ id: state.id, start: Date.parse(state.startedAt), end: state.endTime === null ? Infinity : Date.parse(state.endTime) });
  return out;
}
