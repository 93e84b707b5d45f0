/**
 * `/ui/workers`: the remote workers seen in the last 10 minutes, the functions they poll for,
 * when each was last seen and how many leases each holds now; then the leases held now, by
 * worker, each with its execution, task, attempt, function and expiry (the soonest to expire
 * first when there are more than the page lists).
 */
import type { Context } from "hono";
import type { LiveLease } from "../domain/store.ts";
import { BASE, ExecutionLink, Page, Time } from "./layout.tsx";
import type { DashboardPorts } from "./ports.ts";

/** Most leases the page lists: those that expire soonest; the others are counted. */
export const LEASES_SHOWN = 200;

export async function workersPage(c: Context, ports: DashboardPorts): Promise<Response> {
  const [workers, held] = await Promise.all([ports.workers(), ports.reads.liveLeases(ports.now(), LEASES_SHOWN)]);
  const total = held.leases.length + held.more;
  const leases = held.leases.toSorted((a, b) => (a.workerId < b.workerId ? -1 : a.workerId > b.workerId ? 1 : a.expiresAt - b.expiresAt));
  return c.html(
    <Page title="Workers" current="workers" version={ports.version}>
      <h1>Workers</h1>
      <p>
        Workers run the tasks marked <code>"remote": true</code>: they poll for attempts of their functions and hold a lease on each one
        they run. {workers.length} seen in the last 10 minutes; {total} {total === 1 ? "lease" : "leases"} held now.
      </p>
      {workers.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Worker</th>
                <th scope="col">Functions</th>
                <th scope="col">Last seen</th>
                <th scope="col" class="num">
                  Leases held
                </th>
              </tr>
            </thead>
            <tbody>
              {workers.map((w) => (
                <tr>
                  <td>
                    <code>{w.workerId}</code>
                  </td>
                  <td>
                    {w.functions.map((f, i) => (
                      <>
                        {i > 0 && ", "}
                        <code>{f}</code>
                      </>
                    ))}
                  </td>
                  <td>
                    <Time at={w.lastSeenAt} />
                  </td>
                  <td class="num">{w.leases === 0 ? <span class="muted">none</span> : w.leases}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Leases held now</h2>
      {total === 0 ? (
        <p>No worker holds a lease now.</p>
      ) : (
        <>
          <p>
            A worker keeps its lease by heartbeating; a lease not extended before it expires is lost, and its attempt ends with{" "}
            <code>States.HeartbeatTimeout</code>, retried as its task says.
          </p>
          <LeaseTable leases={leases} />
          {held.more > 0 && (
            <p>
              And {held.more} more, expiring later: the page lists the {LEASES_SHOWN} that expire soonest.
            </p>
          )}
        </>
      )}
    </Page>,
  );
}

function LeaseTable({ leases }: { leases: LiveLease[] }) {
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Worker</th>
            <th scope="col">Execution</th>
            <th scope="col">Task</th>
            <th scope="col" class="num">
              Attempt
            </th>
            <th scope="col">Function</th>
            <th scope="col">Granted</th>
            <th scope="col">Expires</th>
          </tr>
        </thead>
        <tbody>
          {leases.map((l) => (
            <tr>
              <td>
                <code>{l.workerId}</code>
              </td>
              <td>
                <ExecutionLink id={l.executionId} />
              </td>
              <td>
                <a href={`${BASE}/executions/${encodeURIComponent(l.executionId)}#task-${encodeURIComponent(l.taskId)}`}>
                  <code>{l.taskId}</code>
                </a>
              </td>
              <td class="num">{l.attempt}</td>
              <td>{l.functionName === null ? <span class="muted">—</span> : <code>{l.functionName}</code>}</td>
              <td>
                <Time at={l.grantedAt} />
              </td>
              <td>
                <Time at={l.expiresAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
