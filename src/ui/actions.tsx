/**
 * The dashboard's actions on one execution or definition: execute with a JSON input, cancel,
 * redrive (rerun from a task with an edited input is `rerun.tsx`, with the helpers shared here). Each is a POST that first answers a page
 * saying what will happen (the confirmation, no script needed), then, confirmed, calls the
 * engine's command as the API's handler does (the same validation and errors, `api/jobs.ts`)
 * and redirects to the execution's page with a notice (POST/redirect/GET). Each checks the
 * role's permission and the CSRF token on the server, whatever buttons the page showed.
 */
import type { Context } from "hono";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { readFormBody } from "../api/body.ts";
import { actorOf } from "../api/caller.ts";
import { cancelExecution, Input, redriveExecution } from "../api/jobs.ts";
import { problemOf } from "../api/problem.ts";
import { parseBody } from "../api/validate.ts";
import type { Permission } from "../domain/auth.ts";
import { BatonError, ValidationError } from "../domain/errors.ts";
import type { ExecutionWithTasks } from "../domain/model.ts";
import { CSRF_FIELD, can, csrfToken, forgeryPage, forgeryReason, roleRefusedPage } from "./access.tsx";
import { BASE, Page } from "./layout.tsx";
import { messagePage } from "./message.tsx";
import { notFoundPage } from "./not-found.tsx";
import type { DashboardPorts } from "./ports.ts";

/** What the execution's page says after an action; `?notice=` picks one, so no text of the URL is ever shown. */
export const NOTICES = {
  executed: "Execution started from the dashboard.",
  cancelled: "Cancelled: it had not started running.",
  "cancel-requested": "Cancel requested: its running tasks are being stopped; it ends CANCELLED once they have.",
  redriven: "Redriven: its failed and cancelled tasks, and the tasks after them, are queued to run again.",
  rerun: "Rerun started: this new execution carries over the outputs of the tasks before the one chosen.",
} as const;

export const executionHref = (id: string) => `${BASE}/executions/${encodeURIComponent(id)}`;
const executeHref = (definitionId: string) => `${BASE}/definitions/${encodeURIComponent(definitionId)}/execute`;

/** The notice of `?notice=`, if it names one. */
export function Notice({ c }: { c: Context }) {
  const key = c.req.query("notice");
  const text = key !== undefined && Object.hasOwn(NOTICES, key) ? NOTICES[key as keyof typeof NOTICES] : null;
  return text === null ? null : (
    <p class="notice" role="status">
      {text}
    </p>
  );
}

export const Csrf = ({ c }: { c: Context }) => <input type="hidden" name={CSRF_FIELD} value={csrfToken(c)} />;

/** The buttons an execution's page shows: only those its status allows and the caller's role has. */
export function ExecutionActions({ c, ports, execution }: { c: Context; ports: DashboardPorts; execution: ExecutionWithTasks }) {
  if (!ports.commands) return null;
  const href = executionHref(execution.id);
  const live = execution.status === "QUEUED" || execution.status === "RUNNING";
  const stopped = execution.status === "FAILED" || execution.status === "CANCELLED";
  const buttons: Child[] = [];
  if (live && can(c, "executions.cancel"))
    buttons.push(
      <form method="post" action={`${href}/cancel`}>
        <Csrf c={c} />
        <button type="submit">Cancel…</button>
      </form>,
    );
  if (stopped && can(c, "executions.redrive"))
    buttons.push(
      <form method="post" action={`${href}/redrive`}>
        <Csrf c={c} />
        <button type="submit">Redrive…</button>
      </form>,
    );
  if (can(c, "executions.rerun")) buttons.push(<a href={`${href}/rerun`}>Rerun from a task…</a>);
  return buttons.length === 0 ? null : (
    <section class="actions" aria-label="Actions">
      {buttons}
    </section>
  );
}

/** The "Execute…" link of a definition's page, for a role that may execute. */
export function ExecuteLink({ c, ports, definitionId }: { c: Context; ports: DashboardPorts; definitionId: string }) {
  if (!ports.commands || !can(c, "executions.execute")) return null;
  return (
    <p class="actions">
      <a href={executeHref(definitionId)}>Execute with an input…</a>
    </p>
  );
}

/** The permission, the CSRF token and the commands every action needs; a Response when one is missing. */
export async function admit(c: Context, ports: DashboardPorts, permission: Permission) {
  if (!ports.commands) return notFoundPage(c, ports, "This dashboard is read-only: it has no actions.");
  if (!can(c, permission)) return roleRefusedPage(c, ports, permission);
  if (c.req.method !== "POST") return { commands: ports.commands, form: {} as Record<string, unknown> };
  const form = await readFormBody(c);
  const reason = forgeryReason(c, form);
  if (reason !== null) return forgeryPage(c, ports, reason);
  return { commands: ports.commands, form };
}

/** A command's error as a page, with the status and words the API gives it (`problemOf`). */
export function failurePage(c: Context, ports: DashboardPorts, err: unknown, back: string) {
  if (!(err instanceof BatonError)) throw err;
  const { problem } = problemOf(err);
  return messagePage(c, ports, { status: problem.status as ContentfulStatusCode, title: problem.title, text: problem.detail, back });
}

/** The confirmation: what will happen, and one button that posts the same fields again with `confirm=yes`. */
export function confirmPage(
  c: Context,
  ports: DashboardPorts,
  p: { title: string; action: string; fields: Record<string, string>; button: string; back: string; children: Child },
) {
  return c.html(
    <Page title={p.title} current="executions" version={ports.version}>
      <h1>{p.title}</h1>
      {p.children}
      <form method="post" action={p.action} class="confirm">
        <Csrf c={c} />
        {Object.entries(p.fields).map(([name, value]) => (
          <input type="hidden" name={name} value={value} />
        ))}
        <input type="hidden" name="confirm" value="yes" />
        <button type="submit">{p.button}</button> <a href={p.back}>Go back without changing anything</a>
      </form>
    </Page>,
  );
}

/** A JSON object typed into a field, or the problem to show next to it (syntax, then the API's rule). */
export function parseInput(text: unknown): { value: Record<string, unknown> } | { error: string } {
  const source = typeof text === "string" && text.trim() !== "" ? text : "{}";
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    return { error: `This is not JSON: ${(err as Error).message}.` };
  }
  try {
    return { value: parseBody(Input, value) };
  } catch (err) {
    if (err instanceof ValidationError) return { error: `The input ${err.issues[0]?.message ?? "is not valid"}.` };
    throw err;
  }
}

export function InputField({ value, error }: { value: string; error?: string }) {
  return (
    <>
      <label for="input">Input (a JSON object)</label>
      <textarea
        id="input"
        name="input"
        rows={12}
        class="mono"
        aria-describedby={error ? "input-error" : undefined}
        aria-invalid={error ? "true" : undefined}
      >
        {value}
      </textarea>
      {error && (
        <p id="input-error" class="field-error" role="alert">
          {error}
        </p>
      )}
    </>
  );
}

/** `GET` and `POST /ui/definitions/:id/execute`: the input form, its confirmation, then a new execution of the latest version. */
export async function executeAction(c: Context, ports: DashboardPorts): Promise<Response> {
  const id = c.req.param("id")!;
  const admitted = await admit(c, ports, "executions.execute");
  if (admitted instanceof Response) return admitted;
  const definition = await ports.reads.getDefinition(id);
  if (definition === null) return notFoundPage(c, ports, `No definition has the id "${id}".`);
  const { form, commands } = admitted;
  const text = typeof form.input === "string" ? form.input : "{}";
  const parsed = parseInput(text);
  const formPage = (error?: string, status: ContentfulStatusCode = 200) =>
    c.html(
      <Page title={`Execute ${id}`} current="definitions" version={ports.version}>
        <h1>
          Execute <span class="mono">{id}</span> <span class="muted">version {definition.version}</span>
        </h1>
        <form method="post" action={executeHref(id)} class="action-form">
          <Csrf c={c} />
          <InputField value={text} error={error} />
          <button type="submit">Review…</button>
        </form>
      </Page>,
      status,
    );
  if (c.req.method !== "POST") return formPage();
  if ("error" in parsed) return formPage(parsed.error, 400);
  const input = JSON.stringify(parsed.value, null, 2);
  if (form.confirm !== "yes") {
    return confirmPage(c, ports, {
      title: `Execute ${id}?`,
      action: executeHref(id),
      fields: { input },
      button: "Execute",
      back: executeHref(id),
      children: (
        <div>
          <p>
            This starts a new execution of <span class="mono">{id}</span>, version {definition.version} (the latest), with this input:
          </p>
          <pre class="json">{input}</pre>
        </div>
      ),
    });
  }
  try {
    const { execution } = await commands.submitWith(id, parsed.value, { actor: actorOf(c) });
    return c.redirect(`${executionHref(execution.id)}?notice=executed`, 303);
  } catch (err) {
    return failurePage(c, ports, err, executeHref(id));
  }
}

/** `POST /ui/executions/:id/cancel` and `/redrive`: confirm, then the command, then back to the execution. */
function stateAction(kind: "cancel" | "redrive") {
  return async (c: Context, ports: DashboardPorts): Promise<Response> => {
    const id = c.req.param("id")!;
    const admitted = await admit(c, ports, kind === "cancel" ? "executions.cancel" : "executions.redrive");
    if (admitted instanceof Response) return admitted;
    const execution = await ports.reads.loadExecution(id);
    if (execution === null) return notFoundPage(c, ports, `No execution has the id "${id}".`);
    const back = executionHref(id);
    if (admitted.form.confirm !== "yes") {
      return confirmPage(c, ports, {
        title: kind === "cancel" ? `Cancel ${id}?` : `Redrive ${id}?`,
        action: `${back}/${kind}`,
        fields: {},
        button: kind === "cancel" ? "Cancel the execution" : "Redrive",
        back,
        children:
          kind === "cancel" ? (
            <p>
              Execution <span class="mono">{id}</span> is {execution.status}. Cancelling stops its running tasks and starts no more; it ends
              CANCELLED, and can be redriven later.
            </p>
          ) : (
            <p>
              Execution <span class="mono">{id}</span> is {execution.status}. Redriving queues it again: its failed and cancelled tasks, and
              the tasks after them, run again; completed tasks keep their outputs.
            </p>
          ),
      });
    }
    try {
      if (kind === "cancel") {
        const result = await cancelExecution(admitted.commands, id, actorOf(c));
        return c.redirect(`${back}?notice=${result.outcome === "cancelled" ? "cancelled" : "cancel-requested"}`, 303);
      }
      await redriveExecution(admitted.commands, id, actorOf(c));
      return c.redirect(`${back}?notice=redriven`, 303);
    } catch (err) {
      return failurePage(c, ports, err, back);
    }
  };
}

export const cancelAction = stateAction("cancel");
export const redriveAction = stateAction("redrive");
