/**
 * The executions table's rows as `html` templates rather than JSX: a page of 50 rows is some
 * 700 elements, and hono/jsx renders them in about 0.27 ms against 0.05 ms for the same markup
 * from a template (`bun scripts/bench.ts --workload dashboard`: the list page cost 2.4× its API
 * read with JSX rows). The markup is that of `Status`, `Time` and `ExecutionLink` in
 * layout.tsx; `rows.test.ts` renders both and compares. `html` escapes every value it is given.
 */
import { html } from "hono/html";
import type { Execution } from "../domain/model.ts";
import { duration, utc } from "./format.ts";
import { BASE } from "./layout.tsx";
import { FAMILY } from "./style.ts";

/**
 * One `<tr>` of the executions table: link, definition and version, status, created, duration,
 * error name; with `select` (its index on the page), first the box that puts it in the bulk form.
 */
export function executionRow(e: Execution, now: number, select?: number) {
  const ran = e.startedAt === null ? "—" : duration((e.endTime ?? now) - e.startedAt);
  const box =
    select === undefined
      ? ""
      : html`<td><input type="checkbox" form="bulk" name="id-${select}" value="${e.id}" aria-label="Select ${e.id}"></td>`;
  return html`<tr>${box}<td><a class="mono" href="${BASE}/executions/${encodeURIComponent(e.id)}">${e.id}</a></td><td>${e.definitionId} <span class="muted">v${e.definitionVersion}</span></td><td><span class="status s-${FAMILY[e.status]}">${e.status}</span></td><td><time datetime="${new Date(e.createdAt).toISOString()}" title="${utc(e.createdAt)}">${utc(e.createdAt)}</time></td><td class="num">${ran}</td><td>${e.error ? html`<code>${e.error.name}</code>` : ""}</td></tr>`;
}
