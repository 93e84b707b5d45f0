/**
 * Bulk actions from the executions list: redrive or cancel the executions ticked on the page, or
 * every execution the list's filters match. `POST /ui/operations/redrive|cancel` answers a
 * confirmation that says what will happen (the filter in words, how many, what is skipped), then,
 * confirmed, creates a tracked operation (`engine/services/bulk.ts` runs it in the background)
 * and redirects to its page (`operations.tsx`). The permission and CSRF checks are the single
 * actions' (`admit` in `actions.tsx`); the list shows the buttons only to roles that have them.
 */
import type { Context } from "hono";
import { actorOf } from "../api/caller.ts";
import type { Permission } from "../domain/auth.ts";
import type { ListFilter } from "../domain/model.ts";
import type { OperationFilter, OperationKind, ReadPort } from "../domain/store.ts";
import { can } from "./access.tsx";
import { admit, Csrf, confirmPage } from "./actions.tsx";
import { type ListQuery, listQuery, QUERY_KEYS, queryString, readFilter } from "./filters.ts";
import { utc } from "./format.ts";
import { BASE } from "./layout.tsx";
import { messagePage } from "./message.tsx";
import { notFoundPage } from "./not-found.tsx";
import type { DashboardPorts } from "./ports.ts";

/**
 * "All matching" counts up to this many (a page of 1,000 at a time) when the kept counts per status
 * cannot answer; beyond, the confirmation says "more than". A definition's FAILED ones at a million
 * executions: 2,000 counted in 85 ms, 10,000 in 420 ms (`scripts/bench/bulk.ts`).
 */
export const BULK_COUNT_CAP = 2_000;
/** Most executions one selection may name (a page shows 50). */
export const BULK_MAX_SELECTED = 1_000;

export const PERMISSION: Record<OperationKind, Permission> = { redrive: "executions.redrive", cancel: "executions.cancel" };
export const bulkHref = (kind: OperationKind) => `${BASE}/operations/${kind}`;
export const operationHref = (id: string) => `${BASE}/operations/${encodeURIComponent(id)}`;

/** The list's filters in words: `status FAILED, definition "etl", created from 2026-11-30 01:00:00 UTC`. */
export function filterInWords(f: OperationFilter): string {
  const parts: string[] = [];
  if (f.status !== undefined) parts.push(`status ${f.status}`);
  if (f.definitionId !== undefined) parts.push(`definition "${f.definitionId}"`);
  if (f.createdFrom !== undefined) parts.push(`created from ${utc(f.createdFrom)}`);
  if (f.createdTo !== undefined) parts.push(`created before ${utc(f.createdTo)}`);
  if (f.errorName !== undefined) parts.push(`error name "${f.errorName}"`);
  return parts.length === 0 ? "every execution (no filter)" : parts.join(", ");
}

/** The list's URL for a filter, to see what an operation matched. */
export function filterHref(f: OperationFilter): string {
  const iso = (ms: number | undefined) => (ms === undefined ? "" : new Date(ms).toISOString());
  const q = {
    status: f.status ?? "",
    definition: f.definitionId ?? "",
    from: iso(f.createdFrom),
    to: iso(f.createdTo),
    error: f.errorName ?? "",
  };
  return `${BASE}/executions${queryString({ ...q, text: "", cursor: "" })}`;
}

/** How many executions match, exactly from the kept counts when only the status filters, else counted a page at a time up to the cap. */
export async function countMatching(reads: ReadPort, filter: OperationFilter): Promise<{ count: number; capped: boolean }> {
  const { status, ...rest } = filter;
  if (Object.values(rest).every((v) => v === undefined)) {
    const { byStatus } = await reads.systemCounts(0);
    return { count: status === undefined ? Object.values(byStatus).reduce((a, b) => a + b, 0) : byStatus[status], capped: false };
  }
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await reads.listExecutions({ ...filter, cursor, limit: Math.min(1_000, BULK_COUNT_CAP - count) });
    count += page.executions.length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined && count < BULK_COUNT_CAP);
  return { count, capped: cursor !== undefined };
}

/** The filter the form carries (the list's query keys), with paging dropped. */
function formFilter(form: Record<string, unknown>): { q: ListQuery; filter: OperationFilter; problems: string[] } {
  const q = listQuery((k) => (k === "cursor" ? "" : form[k]));
  const { filter, problems } = readFilter(q);
  // A search inside input and output reads one page of a bounded scan at a time; an operation
  // pages the plain filters, so "all matching" with a search would reach executions the search skipped.
  const { limit: _limit, cursor: _cursor, search: _search, ...rest } = filter as ListFilter;
  return { q, filter: rest, problems };
}

/** The ids ticked (`id-0`, `id-1`… so that a form body keeps every one), or the `ids` the confirmation carries. */
function selectedIds(form: Record<string, unknown>): string[] {
  const ids = Object.entries(form)
    .filter(([key, value]) => /^id-\d+$/.test(key) && typeof value === "string")
    .map(([, value]) => value as string);
  if (typeof form.ids === "string") ids.push(...form.ids.split(",").filter((id) => id !== ""));
  return [...new Set(ids)];
}

/** `POST /ui/operations/:kind`: the confirmation, then the operation and a redirect to its page. */
export async function bulkAction(c: Context, ports: DashboardPorts): Promise<Response> {
  const kind = c.req.param("kind");
  if (kind !== "redrive" && kind !== "cancel")
    return notFoundPage(c, ports, `The dashboard has no bulk action "${kind}": redrive or cancel.`);
  if (!ports.bulk) return notFoundPage(c, ports, "This dashboard has no bulk actions.");
  const admitted = await admit(c, ports, PERMISSION[kind]);
  if (admitted instanceof Response) return admitted;
  const { form } = admitted;
  const { q, filter, problems } = formFilter(form);
  const back = `${BASE}/executions${queryString(q)}`;
  const verb = kind === "redrive" ? "Redrive" : "Cancel";
  const refuse = (text: string) => messagePage(c, ports, { status: 400, title: `Nothing to ${kind}`, text, back });
  if (problems.length > 0) return refuse(`Nothing was changed: ${problems.join("; ")}.`);
  const matching = form.scope === "matching";
  if (matching && q.text !== "")
    return refuse(
      `Nothing was changed: "${verb} all matching" acts on the list's filters, not on a search inside input and output; tick the executions the search found and use "${verb} selected", or clear the search.`,
    );
  const ids = matching ? [] : selectedIds(form);
  if (!matching && ids.length === 0)
    return refuse(`Nothing was changed: no execution was ticked. Tick the ones to ${kind}, or use "${verb} all matching".`);
  if (ids.length > BULK_MAX_SELECTED)
    return refuse(
      `Nothing was changed: ${ids.length} executions were named, more than the ${BULK_MAX_SELECTED} a selection may hold; use "${verb} all matching" with a filter instead.`,
    );
  const counted = matching ? await countMatching(ports.reads, filter) : { count: ids.length, capped: false };
  if (form.confirm === "yes") {
    const scope = matching ? { filter } : { ids };
    const op = await ports.bulk.create({ kind, scope, total: counted.capped ? null : counted.count, actor: actorOf(c) });
    return c.redirect(operationHref(op.id), 303);
  }
  const how = counted.capped ? `more than ${counted.count.toLocaleString("en")}` : counted.count.toLocaleString("en");
  const which = matching ? (
    <>
      the {how} executions that match <strong>{filterInWords(filter)}</strong> now (executions created after you confirm are left alone)
    </>
  ) : (
    <>the {how} executions ticked</>
  );
  return confirmPage(c, ports, {
    title: `${verb} ${how} executions?`,
    action: bulkHref(kind),
    fields: {
      ...Object.fromEntries(QUERY_KEYS.filter((k) => k !== "cursor").map((k) => [k, q[k]])),
      scope: matching ? "matching" : "selected",
      ids: ids.join(","),
    },
    button: matching ? `${verb} all ${how} matching` : `${verb} ${how} selected`,
    back,
    children: (
      <div>
        {kind === "redrive" ? (
          <p>
            This redrives {which}: each FAILED or CANCELLED one is queued again, its failed and cancelled tasks and the tasks after them run
            again, and its completed tasks keep their outputs. Those QUEUED, RUNNING or COMPLETED when their turn comes are skipped.
          </p>
        ) : (
          <p>
            This cancels {which}: each QUEUED one ends CANCELLED at once, each RUNNING one has its running tasks stopped and ends CANCELLED
            once they have. Those already finished when their turn comes are skipped.
          </p>
        )}
        <p>
          It runs on the server in batches of 100, as a tracked operation: its page shows the progress, and it goes on if you leave the page
          or the server restarts.
        </p>
      </div>
    ),
  });
}

/** The bulk form under the executions list: its buttons for the roles that may use them; the list's checkboxes belong to it (`form="bulk"`). */
export function BulkForm({ c, ports, q, rows }: { c: Context; ports: DashboardPorts; q: ListQuery; rows: number }) {
  if (!ports.bulk || !ports.commands) return null;
  const kinds = (["redrive", "cancel"] as const).filter((k) => can(c, PERMISSION[k]));
  if (kinds.length === 0) return null;
  return (
    <form id="bulk" method="post" action={bulkHref(kinds[0]!)} class="actions bulk">
      <Csrf c={c} />
      {QUERY_KEYS.filter((k) => k !== "cursor").map((k) => (
        <input type="hidden" name={k} value={q[k]} />
      ))}
      {kinds.map((k) => (
        <>
          {rows > 0 && (
            <button type="submit" formaction={bulkHref(k)} name="scope" value="selected">
              {k === "redrive" ? "Redrive selected…" : "Cancel selected…"}
            </button>
          )}
          <button type="submit" formaction={bulkHref(k)} name="scope" value="matching">
            {k === "redrive" ? "Redrive all matching…" : "Cancel all matching…"}
          </button>
        </>
      ))}
    </form>
  );
}

/** Whether the list shows checkboxes: the bulk form exists for this caller. */
export const canBulk = (c: Context, ports: DashboardPorts) =>
  ports.bulk !== undefined && ports.commands !== undefined && (can(c, "executions.redrive") || can(c, "executions.cancel"));
