/**
 * The executions page's filters as they travel in the URL (`?status=FAILED&definition=etl&from=…&to=…&error=…&cursor=…&text=…`):
 * read into a store `ListFilter` with every problem said in words, and written back into links
 * (the next page keeps the filters).
 */
import type { ListFilter } from "../domain/model.ts";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../domain/states.ts";
import { readSearch } from "./search.ts";

export const PAGE_SIZE = 50;

export interface ListQuery {
  status: string;
  definition: string;
  from: string;
  to: string;
  /** An error name: failed executions only. */
  error: string;
  cursor: string;
  /** Text to find inside input and output (`search.ts`): needs a definition and a "from" time. */
  text: string;
}

export const QUERY_KEYS = ["status", "definition", "from", "to", "error", "cursor", "text"] as const;

/** The query of the list from wherever its keys are read (the URL, a form), trimmed; a missing key is "". */
export function listQuery(read: (key: keyof ListQuery) => unknown): ListQuery {
  const value = (key: keyof ListQuery) => {
    const v = read(key);
    return typeof v === "string" ? v.trim() : "";
  };
  return Object.fromEntries(QUERY_KEYS.map((k) => [k, value(k)])) as Record<keyof ListQuery, string>;
}

/**
 * A time as the form sends it: `2026-11-30T01:30` (a `datetime-local` field, read as UTC),
 * with seconds, or with a zone (`Z`, `+02:00`). Null when it is none of these.
 */
export function parseTime(value: string): number | null {
  const m = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (!m) return null;
  const ms = Date.parse(m[1] === undefined ? `${value}T00:00Z` : m[4] === undefined ? `${value}Z` : value);
  return Number.isNaN(ms) ? null : ms;
}

/** The store filter of a query, or the problems that make it unusable (one sentence each). */
export function readFilter(q: ListQuery): { filter: ListFilter; problems: string[] } {
  const problems: string[] = [];
  const filter: ListFilter = { limit: PAGE_SIZE };
  if (q.status !== "") {
    if ((EXECUTION_STATUSES as readonly string[]).includes(q.status)) filter.status = q.status as ExecutionStatus;
    else problems.push(`status "${q.status}" is not one of ${EXECUTION_STATUSES.join(", ")}`);
  }
  if (q.definition !== "") filter.definitionId = q.definition;
  if (q.error !== "") {
    if (filter.status !== undefined && filter.status !== "FAILED")
      problems.push(`only FAILED executions have an error name to filter by, not ${filter.status} ones`);
    filter.errorName = q.error;
  }
  for (const key of ["from", "to"] as const) {
    if (q[key] === "") continue;
    const at = parseTime(q[key]);
    if (at === null) problems.push(`${key} "${q[key]}" is not a time such as 2026-11-30T01:30 (UTC) or 2026-11-30T01:30:00+02:00`);
    else filter[key === "from" ? "createdFrom" : "createdTo"] = at;
  }
  if (q.cursor !== "") {
    if (/^[1-9][0-9]{0,15}$/.test(q.cursor)) filter.cursor = q.cursor;
    else problems.push(`cursor "${q.cursor}" is not one this page made: follow the "Older" link, or start from the newest`);
  }
  const search = readSearch(q);
  if (search.search) filter.search = search.search;
  problems.push(...search.problems);
  return { filter, problems };
}

/** `?status=…&…` with the non-empty values of `q`, changed by `change` (an empty value drops the key). */
export function queryString(q: ListQuery, change: Partial<ListQuery> = {}): string {
  const params = new URLSearchParams();
  const merged = { ...q, ...change };
  for (const key of QUERY_KEYS) if (merged[key] !== "") params.set(key, merged[key]);
  const text = params.toString();
  return text === "" ? "" : `?${text}`;
}
