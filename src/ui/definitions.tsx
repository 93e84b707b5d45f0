/**
 * `/ui/definitions`: every definition, latest version first in view; and `/ui/definitions/:id`
 * (`?version=N` for an older one): its versions, its task graph as SVG, its tasks, and its
 * schedules with their next fires. A missing definition or version is a 404 page.
 */
import type { Context } from "hono";
import { nextFires } from "../domain/schedule.ts";
import type { ScheduleRecord } from "../domain/store.ts";
import { ExecuteLink } from "./actions.tsx";
import { json } from "./format.ts";
import { GraphSvg, graphTasks } from "./graph-svg.tsx";
import { BASE, Page, Time } from "./layout.tsx";
import { notFoundPage } from "./not-found.tsx";
import type { DashboardPorts } from "./ports.ts";

/** How many next fires a schedule shows. */
const FIRES_SHOWN = 5;

export const definitionHref = (id: string, version?: number) =>
  `${BASE}/definitions/${encodeURIComponent(id)}${version === undefined ? "" : `?version=${version}`}`;

export async function definitionsPage(c: Context, ports: DashboardPorts): Promise<Response> {
  const [definitions, schedules] = await Promise.all([ports.reads.listDefinitions(), ports.reads.listSchedules()]);
  const scheduleCount = (id: string) => schedules.filter((s) => s.definitionId === id).length;
  return c.html(
    <Page title="Definitions" current="definitions" version={ports.version}>
      <h1>Definitions</h1>
      {definitions.length === 0 ? (
        <p>No definition is registered yet.</p>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Definition</th>
                <th scope="col">Name</th>
                <th scope="col" class="num">
                  Latest version
                </th>
                <th scope="col">Registered</th>
                <th scope="col" class="num">
                  Tasks
                </th>
                <th scope="col" class="num">
                  Schedules
                </th>
                <th scope="col">Executions</th>
              </tr>
            </thead>
            <tbody>
              {definitions.map((d) => (
                <tr>
                  <td>
                    <a href={definitionHref(d.id)}>{d.id}</a>
                  </td>
                  <td>{typeof d.body.name === "string" ? d.body.name : ""}</td>
                  <td class="num">{d.version}</td>
                  <td>
                    <Time at={d.createdAt} />
                    {d.registeredBy !== null && <span class="muted"> by {d.registeredBy}</span>}
                  </td>
                  <td class="num">{Array.isArray(d.body.tasks) ? d.body.tasks.length : 0}</td>
                  <td class="num">{scheduleCount(d.id)}</td>
                  <td>
                    <a href={`${BASE}/executions?definition=${encodeURIComponent(d.id)}`}>list</a>
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

export async function definitionPage(c: Context, ports: DashboardPorts): Promise<Response> {
  const id = c.req.param("id")!;
  const asked = c.req.query("version");
  const version = asked === undefined || asked === "" ? undefined : /^[1-9][0-9]{0,8}$/.test(asked) ? Number(asked) : Number.NaN;
  if (Number.isNaN(version)) return notFoundPage(c, ports, `"${asked}" is not a version number: versions are 1, 2, 3…`);
  const [definition, versions, schedules] = await Promise.all([
    ports.reads.getDefinition(id, version),
    ports.reads.definitionVersions(id),
    ports.reads.listSchedules(),
  ]);
  if (definition === null) {
    const what = versions.length === 0 ? `No definition has the id "${id}".` : `The definition "${id}" has no version ${asked}.`;
    return notFoundPage(c, ports, what);
  }
  const latest = versions.at(-1)!;
  const previous = versions.filter((v) => v < definition.version).at(-1);
  const graph = graphTasks(definition.body);
  const own = schedules.filter((s) => s.definitionId === id);
  const now = ports.now();
  const body = definition.body as { name?: unknown; description?: unknown; tasks?: { id?: unknown; functionName?: unknown }[] };
  return c.html(
    <Page title={`Definition ${id}`} current="definitions" version={ports.version}>
      <h1>
        Definition <span class="mono">{id}</span> <span class="muted">version {definition.version}</span>
      </h1>
      {typeof body.name === "string" && <p>{body.name}</p>}
      {typeof body.description === "string" && <p class="muted">{body.description}</p>}
      <ExecuteLink c={c} ports={ports} definitionId={id} />
      <dl class="facts">
        <dt>Registered</dt>
        <dd>
          <Time at={definition.createdAt} />
          {definition.registeredBy !== null && <span class="muted"> by {definition.registeredBy}</span>}
        </dd>
        <dt>Versions</dt>
        <dd>
          {versions.map((v, i) => (
            <>
              {i > 0 && " "}
              {v === definition.version ? (
                <strong aria-current="page">{v}</strong>
              ) : (
                <a href={definitionHref(id, v === latest ? undefined : v)}>{v}</a>
              )}
            </>
          ))}
          {definition.version !== latest && <span class="muted"> (the latest is {latest}; new executions run it)</span>}
          {previous !== undefined && (
            <>
              {" · "}
              <a href={`${BASE}/definitions/${encodeURIComponent(id)}/diff?from=${previous}&to=${definition.version}`}>
                what changed from version {previous}
              </a>
            </>
          )}
        </dd>
        <dt>Executions</dt>
        <dd>
          <a href={`${BASE}/executions?definition=${encodeURIComponent(id)}`}>all of them</a> ·{" "}
          <a href={`${BASE}/executions?definition=${encodeURIComponent(id)}&status=FAILED`}>failed ones</a>
        </dd>
      </dl>
      <h2>Task graph</h2>
      {graph ? (
        <div class="scroll">
          <GraphSvg tasks={graph} />
        </div>
      ) : (
        <p>This version's body cannot be read as a definition any more, so its graph cannot be drawn.</p>
      )}
      {graph && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Function</th>
                <th scope="col">Depends on</th>
              </tr>
            </thead>
            <tbody>
              {graph.map((t, i) => (
                <tr>
                  <td>
                    <code>{t.id}</code>
                  </td>
                  <td>
                    <code>{String(body.tasks?.[i]?.functionName ?? "")}</code>
                  </td>
                  <td>{t.dependsOn.length === 0 ? <span class="muted">nothing: it starts first</span> : t.dependsOn.join(", ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Schedules</h2>
      {own.length === 0 ? <p>None.</p> : <Schedules schedules={own} now={now} />}
      <h2>Body</h2>
      <details>
        <summary>The JSON of version {definition.version}, as registered</summary>
        <pre>{json(definition.body)}</pre>
      </details>
    </Page>,
  );
}

function Schedules({ schedules, now }: { schedules: ScheduleRecord[]; now: number }) {
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Schedule</th>
            <th scope="col">Cron</th>
            <th scope="col">State</th>
            <th scope="col">Next fires</th>
            <th scope="col">Last fire</th>
            <th scope="col" class="num">
              Missed
            </th>
            <th scope="col" class="num">
              Skipped
            </th>
          </tr>
        </thead>
        <tbody>
          {schedules.map((s) => (
            <tr>
              <td>
                <code>{s.spec.id}</code> <span class="muted">v{s.version}</span>
              </td>
              <td>
                <code>{s.spec.cron}</code> <span class="muted">{s.spec.timezone}</span>
              </td>
              <td>{s.paused ? "paused" : "active"}</td>
              <td>
                {s.paused ? (
                  <span class="muted">none while paused</span>
                ) : (
                  <ul>
                    {nextFires(s.spec, Math.max(s.progress, now), FIRES_SHOWN).map((at) => (
                      <li>
                        <Time at={at} />
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              <td>
                <Time at={s.lastFire} />
              </td>
              <td class="num">{s.missedCount}</td>
              <td class="num">{s.skippedCount}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
