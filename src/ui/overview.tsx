/**
 * `/ui/`: the state of the whole server at a glance — executions by status, what runs and
 * waits now, workers and the leases they hold, the next schedule fires, and the failures of
 * the last 24 hours grouped by definition and error name, and charts of the executions created
 * over the last hour and day with the share that failed (`activity-svg.tsx`).
 */
import type { Context } from "hono";
import { nextFire } from "../domain/schedule.ts";
import { EXECUTION_STATUSES } from "../domain/states.ts";
import { ActivityChart, WINDOWS, windowFrom } from "./activity-svg.tsx";
import { BASE, ExecutionLink, Page, Status, Time } from "./layout.tsx";
import type { DashboardPorts } from "./ports.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** How many ids of what runs and waits, fires and failure groups the page lists. */
const SHOWN = 10;
const FAILURE_GROUPS = 20;
/** At most this many of the newest failures are counted: the page's cost stays bounded on a bad day. */
const FAILURES_COUNTED = 10_000;

export async function overviewPage(c: Context, ports: DashboardPorts): Promise<Response> {
  const now = ports.now();
  const since = now - DAY_MS;
  const [counts, failures, workers, schedules, ...activity] = await Promise.all([
    ports.reads.systemCounts(SHOWN),
    ports.reads.failuresSince(since, FAILURE_GROUPS, FAILURES_COUNTED),
    ports.workers(),
    ports.reads.listSchedules(),
    ...WINDOWS.map((w) => ports.reads.activity(windowFrom(w, now), w.stepMs, w.buckets, FAILURES_COUNTED)),
  ]);
  const fires = schedules
    .filter((s) => !s.paused)
    .map((s) => ({ s, at: nextFire(s.spec, Math.max(s.progress, now)) }))
    .filter((f): f is typeof f & { at: number } => f.at !== null)
    .sort((a, b) => a.at - b.at)
    .slice(0, SHOWN);
  const sinceParam = new Date(since).toISOString().slice(0, 19);
  return c.html(
    <Page title="Overview" current="overview" version={ports.version} live={`${BASE}/events?page=overview`}>
      <h1>Overview</h1>
      <div class="cards" id="live-overview" data-live>
        <section class="card" aria-labelledby="by-status">
          <h2 id="by-status">Executions by status</h2>
          <table>
            <tbody>
              {EXECUTION_STATUSES.map((s) => (
                <tr>
                  <th scope="row">
                    <a href={`${BASE}/executions?status=${s}`}>
                      <Status status={s} />
                    </a>
                  </th>
                  <td class="num">{counts.byStatus[s]}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section class="card" aria-labelledby="now">
          <h2 id="now">Now</h2>
          <p>
            {counts.running.length} running, {counts.queuedCount} queued
          </p>
          <IdList title="Running" ids={counts.running.slice(0, SHOWN)} more={counts.running.length - SHOWN} />
          <IdList title="Queued first" ids={counts.queued} more={counts.queuedCount - counts.queued.length} />
        </section>
        <section class="card" aria-labelledby="workers">
          <h2 id="workers">
            <a href={`${BASE}/workers`}>Workers</a>
          </h2>
          <p>
            {workers.length} seen lately, holding {workers.reduce((n, w) => n + w.leases, 0)} leases
          </p>
          {workers.length > 0 && (
            <div class="scroll">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Worker</th>
                    <th scope="col">Last seen</th>
                    <th scope="col" class="num">
                      Leases
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {workers.slice(0, SHOWN).map((w) => (
                    <tr>
                      <td>
                        <code>{w.workerId}</code>
                      </td>
                      <td>
                        <Time at={w.lastSeenAt} />
                      </td>
                      <td class="num">{w.leases}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </section>
      </div>
      <section id="live-activity" data-live aria-labelledby="activity">
        <h2 id="activity">Executions created, and the share that failed</h2>
        <div class="charts">
          {WINDOWS.map((w, i) => (
            <ActivityChart window={w} buckets={activity[i] ?? []} />
          ))}
        </div>
      </section>
      <h2 id="fires">Next schedule fires</h2>
      {fires.length === 0 ? (
        <p>No schedule is due to fire{schedules.length > 0 ? " (every schedule is paused)" : ""}.</p>
      ) : (
        <div class="scroll">
          <table aria-labelledby="fires">
            <thead>
              <tr>
                <th scope="col">Definition</th>
                <th scope="col">Schedule</th>
                <th scope="col">Cron</th>
                <th scope="col">Next fire</th>
              </tr>
            </thead>
            <tbody>
              {fires.map(({ s, at }) => (
                <tr>
                  <td>{s.definitionId}</td>
                  <td>
                    <code>{s.spec.id}</code>
                  </td>
                  <td>
                    <code>{s.spec.cron}</code> <span class="muted">{s.spec.timezone}</span>
                  </td>
                  <td>
                    <Time at={at} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2 id="failures">Failures in the last 24 hours</h2>
      {failures.groups.length === 0 ? (
        <p>No execution created in the last 24 hours has failed.</p>
      ) : (
        <div class="scroll">
          <table aria-labelledby="failures">
            <thead>
              <tr>
                <th scope="col">Definition</th>
                <th scope="col">Error</th>
                <th scope="col" class="num">
                  Failed
                </th>
                <th scope="col">Latest</th>
              </tr>
            </thead>
            <tbody>
              {failures.groups.map((f) => (
                <tr>
                  <td>
                    <a href={failuresHref(f.definitionId, f.errorName, sinceParam)}>{f.definitionId}</a>
                  </td>
                  <td>{f.errorName === null ? <span class="muted">no error recorded</span> : <code>{f.errorName}</code>}</td>
                  <td class="num">{f.count}</td>
                  <td>
                    <Time at={f.lastAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted">
        {failures.capped
          ? `More than ${FAILURES_COUNTED.toLocaleString("en")} executions failed: these are the newest ${failures.counted.toLocaleString("en")} of them`
          : `${failures.counted} failed`}{" "}
        among the executions created since {new Date(since).toISOString().slice(0, 16).replace("T", " ")} UTC
        {failures.groups.length === FAILURE_GROUPS ? `; the largest ${FAILURE_GROUPS} groups are shown` : ""}.
      </p>
    </Page>,
  );
}

/** The executions page listing one group's failures: a group without an error name lists the definition's failures. */
const failuresHref = (definitionId: string, errorName: string | null, from: string) =>
  `${BASE}/executions?status=FAILED&definition=${encodeURIComponent(definitionId)}&from=${from}${errorName === null ? "" : `&error=${encodeURIComponent(errorName)}`}`;

function IdList({ title, ids, more }: { title: string; ids: string[]; more: number }) {
  if (ids.length === 0) return null;
  return (
    <>
      <h3>{title}</h3>
      <ul>
        {ids.map((id) => (
          <li>
            <ExecutionLink id={id} />
          </li>
        ))}
        {more > 0 && <li class="muted">and {more} more</li>}
      </ul>
    </>
  );
}
