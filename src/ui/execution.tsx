/**
 * `/ui/executions/:id`: one execution — its facts, the task graph coloured by status, the
 * Gantt timeline of its attempts with retry waits, each task's attempts with errors, output and
 * captured stdout/stderr (the tail first, all of it on demand), its input and output, the
 * reruns around it, and its full history. A missing id is a 404 page.
 */
import type { Context } from "hono";
import type { ExecutionEventRecord, ExecutionWithTasks, TaskRun } from "../domain/model.ts";
import type { TaskStatus } from "../domain/states.ts";
import { ExecutionActions, Notice } from "./actions.tsx";
import { definitionHref } from "./definitions.tsx";
import { duration, json, tail } from "./format.ts";
import { GanttSvg } from "./gantt-svg.tsx";
import { GraphSvg, graphTasks } from "./graph-svg.tsx";
import { BASE, ExecutionLink, Page, Status, Time } from "./layout.tsx";
import { notFoundPage } from "./not-found.tsx";
import type { DashboardPorts } from "./ports.ts";
import { type AttemptRow, attemptRows } from "./timeline.ts";

/** How much of a captured stream shows before "all of it" is opened. */
const TAIL_CHARS = 4000;

export async function executionPage(c: Context, ports: DashboardPorts): Promise<Response> {
  const id = c.req.param("id")!;
  const [execution, events] = await Promise.all([ports.reads.loadExecution(id), ports.reads.events(id)]);
  if (execution === null || events === null) return notFoundPage(c, ports, `No execution has the id "${id}".`);
  const [definition, reruns] = await Promise.all([
    ports.reads.getDefinition(execution.definitionId, execution.definitionVersion),
    ports.reads.rerunsOf(id),
  ]);
  const now = ports.now();
  const rows = attemptRows(events, now);
  const status = new Map<string, TaskStatus>(execution.tasks.map((t) => [t.taskId, t.status]));
  const graph = definition ? graphTasks(definition.body) : null;
  return c.html(
    <Page
      title={`Execution ${id}`}
      current="executions"
      version={ports.version}
      live={`${BASE}/events?page=execution&id=${encodeURIComponent(id)}`}
    >
      <div id="live-execution" data-live>
        <h1>
          Execution <span class="mono">{id}</span> <Status status={execution.status} />
        </h1>
        <Notice c={c} />
        <ExecutionActions c={c} ports={ports} execution={execution} />
        <Facts e={execution} reruns={reruns} now={now} />
        <h2>Task graph</h2>
        {graph ? (
          <div class="scroll">
            <GraphSvg tasks={graph} status={status} />
          </div>
        ) : (
          <p>The definition version this execution ran cannot be read, so its graph cannot be drawn.</p>
        )}
        <h2>Timeline</h2>
        {rows.length === 0 ? (
          <p>No attempt has started yet.</p>
        ) : (
          <div class="scroll">
            <GanttSvg rows={rows} origin={execution.startedAt ?? execution.createdAt} />
          </div>
        )}
      </div>
      <h2>Tasks</h2>
      {execution.tasks.map((t) => (
        <TaskSection task={t} attempts={rows.filter((r) => r.taskId === t.taskId)} />
      ))}
      <h2>Input and output</h2>
      <JsonDetails summary="Input" value={execution.input} open />
      <JsonDetails summary="Output" value={execution.output} />
      {execution.error && (
        <p>
          Failed with <code>{execution.error.name}</code>
          {execution.error.taskId && (
            <>
              {" "}
              in task <code>{execution.error.taskId}</code>
            </>
          )}
          : {execution.error.message}
        </p>
      )}
      <h2>History</h2>
      <EventTable events={events} />
    </Page>,
  );
}

function Facts({ e, reruns, now }: { e: ExecutionWithTasks; reruns: string[]; now: number }) {
  return (
    <dl class="facts">
      <dt>Definition</dt>
      <dd>
        <a href={definitionHref(e.definitionId, e.definitionVersion)}>
          {e.definitionId} version {e.definitionVersion}
        </a>
      </dd>
      <dt>Created</dt>
      <dd>
        <Time at={e.createdAt} />
      </dd>
      {e.runAt !== null && (
        <>
          <dt>Not before</dt>
          <dd>
            <Time at={e.runAt} />
          </dd>
        </>
      )}
      <dt>Started</dt>
      <dd>
        <Time at={e.startedAt} />
      </dd>
      <dt>Ended</dt>
      <dd>
        <Time at={e.endTime} />
        {e.startedAt !== null && (
          <span class="muted">
            {" "}
            ({duration((e.endTime ?? now) - e.startedAt)}
            {e.endTime === null ? " so far" : ""})
          </span>
        )}
      </dd>
      {e.cancelRequestedAt !== null && (
        <>
          <dt>Cancel asked</dt>
          <dd>
            <Time at={e.cancelRequestedAt} />
          </dd>
        </>
      )}
      {e.scheduleId !== null && (
        <>
          <dt>Schedule</dt>
          <dd>
            <code>{e.scheduleId}</code> for <Time at={e.scheduledFor} />
          </dd>
        </>
      )}
      <dt>Priority</dt>
      <dd>{e.priority}</dd>
      {e.concurrencyKey !== null && (
        <>
          <dt>Concurrency key</dt>
          <dd>
            <code>{e.concurrencyKey}</code>
          </dd>
        </>
      )}
      <dt>Rerun of</dt>
      <dd>{e.rerunOf === null ? <span class="muted">—</span> : <ExecutionLink id={e.rerunOf} />}</dd>
      <dt>Reruns</dt>
      <dd>
        {reruns.length === 0 ? (
          <span class="muted">none</span>
        ) : (
          reruns.map((r, i) => (
            <>
              {i > 0 && ", "}
              <ExecutionLink id={r} />
            </>
          ))
        )}
      </dd>
    </dl>
  );
}

function TaskSection({ task, attempts }: { task: TaskRun; attempts: AttemptRow[] }) {
  const captured = capturedStreams(task.output);
  return (
    <section id={`task-${task.taskId}`}>
      <h3>
        <code>{task.taskId}</code> <Status status={task.status} /> <span class="muted">{task.name}</span>
      </h3>
      {task.carriedOver && <p class="muted">Carried over from the execution this one reruns: it did not run here.</p>}
      {attempts.length > 0 && (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Attempt</th>
                <th scope="col">Outcome</th>
                <th scope="col">Started</th>
                <th scope="col" class="num">
                  Took
                </th>
                <th scope="col">Error</th>
              </tr>
            </thead>
            <tbody>
              {attempts.map((a) => (
                <tr>
                  <td>{a.attempt}</td>
                  <td>{a.outcome}</td>
                  <td>
                    <Time at={a.start} />
                  </td>
                  <td class="num">{duration(a.end - a.start)}</td>
                  <td>
                    {a.error ? (
                      <>
                        <code>{a.error.name}</code>: {a.error.message}
                      </>
                    ) : (
                      ""
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {task.status === "COMPLETED" && <JsonDetails summary={`Output of ${task.taskId}`} value={task.output} />}
      {captured.map(([name, text]) => (
        <Captured name={name} text={text} />
      ))}
    </section>
  );
}

/** The stdout and stderr a task kept in its output (the `shell` function's `{stdout, stderr}`). */
function capturedStreams(output: unknown): [string, string][] {
  if (output === null || typeof output !== "object") return [];
  const o = output as Record<string, unknown>;
  return (["stdout", "stderr"] as const).filter((k) => typeof o[k] === "string" && o[k] !== "").map((k) => [k, o[k] as string]);
}

function Captured({ name, text }: { name: string; text: string }) {
  const end = tail(text, TAIL_CHARS);
  return (
    <div>
      <p class="muted">
        {name}
        {end.cut > 0 ? `: the last ${TAIL_CHARS} characters of ${text.length}` : ""}
      </p>
      <pre>{end.text}</pre>
      {end.cut > 0 && (
        <details>
          <summary>All of {name}</summary>
          <pre>{text}</pre>
        </details>
      )}
    </div>
  );
}

function JsonDetails({ summary, value, open }: { summary: string; value: unknown; open?: boolean }) {
  return (
    <details open={open}>
      <summary>{summary}</summary>
      <pre>{value === null || value === undefined ? "null" : json(value)}</pre>
    </details>
  );
}

function EventTable({ events }: { events: ExecutionEventRecord[] }) {
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">At</th>
            <th scope="col">Event</th>
            <th scope="col">Task</th>
            <th scope="col">Attempt</th>
            <th scope="col">Data</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr>
              <td>
                <Time at={e.at} />
              </td>
              <td>{e.type}</td>
              <td>{e.taskId ?? ""}</td>
              <td>{e.attempt ?? ""}</td>
              <td>{e.data ? <code>{JSON.stringify(e.data)}</code> : ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
