/**
 * The bulk operations' pages: `/ui/operations` (the newest first) and `/ui/operations/:id` (what it
 * acts on, its progress, who asked, when). Everything comes from the store, so a reload or a
 * restart shows where it is; while it is queued or running the page asks the browser to load it
 * again every 2 seconds (a `Refresh` header: no script, nothing the CSP forbids). A role that may
 * redrive (or cancel) can stop such an operation of its kind, behind a confirmation.
 */
import type { Context } from "hono";
import { actorOf } from "../api/caller.ts";
import type { Operation, OperationStatus } from "../domain/store.ts";
import { can } from "./access.tsx";
import { admit, Csrf, confirmPage } from "./actions.tsx";
import { filterHref, filterInWords, operationHref, PERMISSION } from "./bulk.tsx";
import { BASE, ExecutionLink, Page, Time } from "./layout.tsx";
import { messagePage } from "./message.tsx";
import { notFoundPage } from "./not-found.tsx";
import type { DashboardPorts } from "./ports.ts";
import type { Family } from "./style.ts";

/** Operations the list shows. */
export const OPERATIONS_LISTED = 50;
/** Seconds between two loads of an unfinished operation's page. */
export const OPERATION_REFRESH_SECONDS = 2;
/** Ids of a selection its page lists. */
const IDS_SHOWN = 100;

const FAMILY: Record<OperationStatus, Family> = { QUEUED: "wait", RUNNING: "run", COMPLETED: "ok", FAILED: "bad", INTERRUPTED: "off" };
const OpStatus = ({ status }: { status: OperationStatus }) => <span class={`status s-${FAMILY[status]}`}>{status}</span>;
const unfinished = (op: Operation) => op.status === "QUEUED" || op.status === "RUNNING";

/** "Redrive of the executions matching status FAILED" / "Cancel of 3 selected executions". */
export function operationTitle(op: Operation): string {
  const verb = op.kind === "redrive" ? "Redrive" : "Cancel";
  return "ids" in op.scope
    ? `${verb} of ${op.scope.ids.length} selected executions`
    : `${verb} of the executions matching ${filterInWords(op.scope.filter)}`;
}

/** `processed of total`, the total said as unknown when it was not counted. */
const progressText = (op: Operation) =>
  op.total === null || op.processed > op.total ? `${op.processed} visited` : `${op.processed} of ${op.total} visited`;

export async function operationsPage(c: Context, ports: DashboardPorts): Promise<Response> {
  if (!ports.bulk) return notFoundPage(c, ports, "This dashboard has no bulk operations.");
  const ops = await ports.bulk.reads.listOperations(OPERATIONS_LISTED);
  return c.html(
    <Page title="Operations" current="operations" version={ports.version}>
      <h1>Bulk operations</h1>
      <p class="muted">
        The newest {OPERATIONS_LISTED}. Start one from the <a href={`${BASE}/executions`}>executions list</a>: tick executions, or filter
        and act on all that match.
      </p>
      {ops.length === 0 ? (
        <p>No bulk operation yet.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Operation</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col" class="num">
                  Changed
                </th>
                <th scope="col" class="num">
                  Skipped
                </th>
                <th scope="col" class="num">
                  Failed
                </th>
                <th scope="col">Asked by</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {ops.map((op) => (
                <tr>
                  <td>
                    <a href={operationHref(op.id)}>{operationTitle(op)}</a>
                  </td>
                  <td>
                    <OpStatus status={op.status} />
                  </td>
                  <td>{progressText(op)}</td>
                  <td class="num">{op.changed}</td>
                  <td class="num">{op.skipped}</td>
                  <td class="num">{op.failed}</td>
                  <td>{op.actor ?? <span class="muted">—</span>}</td>
                  <td>
                    <Time at={op.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Page>,
  );
}

export async function operationPage(c: Context, ports: DashboardPorts): Promise<Response> {
  if (!ports.bulk) return notFoundPage(c, ports, "This dashboard has no bulk operations.");
  const id = c.req.param("id")!;
  const op = await ports.bulk.reads.getOperation(id);
  if (op === null) return notFoundPage(c, ports, `No bulk operation has the id "${id}".`);
  if (unfinished(op)) c.header("refresh", String(OPERATION_REFRESH_SECONDS));
  const verbed = op.kind === "redrive" ? "Redriven" : "Cancelled (or cancel requested)";
  return c.html(
    <Page title={operationTitle(op)} current="operations" version={ports.version}>
      <h1>{operationTitle(op)}</h1>
      <p role="status">
        <OpStatus status={op.status} /> {progressText(op)}
        {op.total !== null && op.total > 0 && (
          <>
            {" "}
            <progress max={op.total} value={Math.min(op.processed, op.total)}>
              {Math.round((100 * Math.min(op.processed, op.total)) / op.total)}%
            </progress>
          </>
        )}
        {op.status === "QUEUED" && " · waiting for the operation before it to finish (one runs at a time)"}
        {unfinished(op) && ` · this page reloads every ${OPERATION_REFRESH_SECONDS} seconds`}
      </p>
      <dl class="facts">
        <dt>{verbed}</dt>
        <dd>{op.changed}</dd>
        <dt>Skipped</dt>
        <dd>
          {op.skipped}{" "}
          <span class="muted">
            {op.kind === "redrive" ? "(not FAILED or CANCELLED any more, or deleted)" : "(already finished, or deleted)"}
          </span>
        </dd>
        <dt>Failed</dt>
        <dd>{op.failed}</dd>
        {op.lastError !== null && (
          <>
            <dt>Last error</dt>
            <dd>
              <code>{op.lastError}</code>
            </dd>
          </>
        )}
        <dt>Acts on</dt>
        <dd>
          {"ids" in op.scope ? (
            <>{op.scope.ids.length} executions ticked on the list</>
          ) : (
            <>
              the executions that matched <a href={filterHref(op.scope.filter)}>{filterInWords(op.scope.filter)}</a> when it was confirmed
            </>
          )}
        </dd>
        <dt>Asked by</dt>
        <dd>{op.actor ?? <span class="muted">— (no tokens)</span>}</dd>
        <dt>Created</dt>
        <dd>
          <Time at={op.createdAt} />
        </dd>
        <dt>Started</dt>
        <dd>
          <Time at={op.startedAt} />
        </dd>
        <dt>Ended</dt>
        <dd>
          <Time at={op.endedAt} />
        </dd>
      </dl>
      {unfinished(op) && ports.commands && can(c, PERMISSION[op.kind]) && (
        <form method="post" action={`${operationHref(op.id)}/stop`} class="actions">
          <Csrf c={c} />
          <button type="submit">Stop…</button>
        </form>
      )}
      {"ids" in op.scope && (
        <details>
          <summary>The executions ticked</summary>
          <ul>
            {op.scope.ids.slice(0, IDS_SHOWN).map((x) => (
              <li>
                <ExecutionLink id={x} />
              </li>
            ))}
          </ul>
          {op.scope.ids.length > IDS_SHOWN && <p class="muted">and {op.scope.ids.length - IDS_SHOWN} more.</p>}
        </details>
      )}
      <p>
        <a href={`${BASE}/operations`}>All bulk operations</a>
      </p>
    </Page>,
  );
}

/** `POST /ui/operations/:id/stop`: the confirmation, then the operation INTERRUPTED and back to its page. */
export async function stopAction(c: Context, ports: DashboardPorts): Promise<Response> {
  if (!ports.bulk) return notFoundPage(c, ports, "This dashboard has no bulk operations.");
  const id = c.req.param("id")!;
  const op = await ports.bulk.reads.getOperation(id);
  if (op === null) return notFoundPage(c, ports, `No bulk operation has the id "${id}".`);
  const admitted = await admit(c, ports, PERMISSION[op.kind]);
  if (admitted instanceof Response) return admitted;
  const back = operationHref(id);
  if (!unfinished(op))
    return messagePage(c, ports, {
      status: 409,
      title: "Already ended",
      text: `Nothing was changed: this operation is already ${op.status}.`,
      back,
    });
  if (admitted.form.confirm !== "yes") {
    return confirmPage(c, ports, {
      title: "Stop this operation?",
      action: `${back}/stop`,
      fields: {},
      button: "Stop the operation",
      back,
      children: (
        <p>
          {operationTitle(op)}: {progressText(op)} so far. Stopping it runs no further batch: what it has done stays done ({op.changed}{" "}
          {op.kind === "redrive" ? "redriven" : "cancelled"}), and the executions it has not reached are left as they are. A stopped
          operation cannot be resumed; start a new one to go on.
        </p>
      ),
    });
  }
  await ports.bulk.interrupt(id, actorOf(c));
  return c.redirect(back, 303);
}
