/** `/ui/executions`: every execution, newest first, filtered by the URL's query and paged by cursor; with checkboxes and bulk buttons (`bulk.tsx`) for roles that may use them. */
import type { Context } from "hono";
import type { Execution } from "../domain/model.ts";
import { EXECUTION_STATUSES } from "../domain/states.ts";
import { BulkForm, canBulk } from "./bulk.tsx";
import { type ListQuery, listQuery, queryString, readFilter } from "./filters.ts";
import { BASE, Page } from "./layout.tsx";
import type { DashboardPorts } from "./ports.ts";
import { executionRow } from "./rows.ts";
import { searchSummary } from "./search.ts";

export async function executionsPage(c: Context, ports: DashboardPorts): Promise<Response> {
  const q = listQuery((k) => c.req.query(k));
  const { filter, problems } = readFilter(q);
  const definitions = (await ports.reads.listDefinitions()).map((d) => d.id);
  const page = problems.length === 0 ? await ports.reads.listExecutions(filter) : null;
  const now = ports.now();
  return c.html(
    <Page title="Executions" current="executions" version={ports.version} live={`${BASE}/events?page=executions`}>
      <h1>Executions</h1>
      <Filters q={q} definitions={definitions} />
      {page?.scanned !== undefined && (
        <p class="muted" role="status">
          {searchSummary(page, q.text, q.definition)}
        </p>
      )}
      {problems.length > 0 ? (
        <section role="alert">
          <h2>These filters cannot be used</h2>
          <ul>
            {problems.map((p) => (
              <li>{p}</li>
            ))}
          </ul>
        </section>
      ) : (
        <div id="live-executions" data-live>
          {page!.executions.length === 0 ? (
            <p>{q.cursor === "" ? "No execution matches these filters." : "No older execution matches these filters."}</p>
          ) : (
            <ExecutionTable executions={page!.executions} now={now} select={canBulk(c, ports)} />
          )}
        </div>
      )}
      {problems.length === 0 && <BulkForm c={c} ports={ports} q={q} rows={page!.executions.length} />}
      <nav class="pager" aria-label="Pages">
        {q.cursor !== "" && <a href={`${BASE}/executions${queryString(q, { cursor: "" })}`}>Newest</a>}
        {page?.nextCursor && <a href={`${BASE}/executions${queryString(q, { cursor: page.nextCursor })}`}>Older</a>}
      </nav>
    </Page>,
    problems.length > 0 ? 400 : 200,
  );
}

function Filters({ q, definitions }: { q: ListQuery; definitions: string[] }) {
  const known = q.definition === "" || definitions.includes(q.definition) ? definitions : [q.definition, ...definitions];
  return (
    <form class="filters" method="get" action={`${BASE}/executions`}>
      <label>
        Status
        <select name="status">
          <option value="">any</option>
          {EXECUTION_STATUSES.map((s) => (
            <option value={s} selected={q.status === s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Definition
        <select name="definition">
          <option value="">any</option>
          {known.map((d) => (
            <option value={d} selected={q.definition === d}>
              {d}
            </option>
          ))}
        </select>
      </label>
      <label>
        Created from (UTC)
        <input type="datetime-local" name="from" value={q.from} step="1" />
      </label>
      <label>
        Created before (UTC)
        <input type="datetime-local" name="to" value={q.to} step="1" />
      </label>
      <label>
        Error name (failed ones)
        <input type="text" name="error" value={q.error} placeholder="e.g. States.Timeout" />
      </label>
      <label>
        Input or output contains
        <input type="search" name="text" value={q.text} placeholder="e.g. acme-west" />
      </label>
      <button type="submit">Filter</button>
      <a href={`${BASE}/executions`}>Clear</a>
    </form>
  );
}

/** With `select`, a first column of checkboxes that belong to the bulk form (`form="bulk"`), and a select-all box the script shows. */
export function ExecutionTable({ executions, now, select = false }: { executions: Execution[]; now: number; select?: boolean }) {
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            {select && (
              <th scope="col">
                <input type="checkbox" form="bulk" data-select-all aria-label="Select every execution on this page" hidden />
              </th>
            )}
            <th scope="col">Execution</th>
            <th scope="col">Definition</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col" class="num">
              Duration
            </th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>{executions.map((e, i) => executionRow(e, now, select ? i : undefined))}</tbody>
      </table>
    </div>
  );
}
