/**
 * `/ui/executions/:id/rerun`: pick the task to rerun from, edit the input (the execution's own
 * first), confirm, then a new execution through the engine's `rerun`, as `POST /jobs/{id}/rerun`
 * makes it (the same body rules, `RerunBody`). Its helpers are the other actions' (`actions.tsx`).
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { actorOf } from "../api/caller.ts";
import { RerunBody } from "../api/jobs.ts";
import { parseBody } from "../api/validate.ts";
import { ValidationError } from "../domain/errors.ts";
import { admit, Csrf, confirmPage, executionHref, failurePage, InputField, parseInput } from "./actions.tsx";
import { Page } from "./layout.tsx";
import { notFoundPage } from "./not-found.tsx";
import type { DashboardPorts } from "./ports.ts";

/** `GET` and `POST /ui/executions/:id/rerun`: pick a task, edit the input, confirm, then a new execution from that task. */
export async function rerunAction(c: Context, ports: DashboardPorts): Promise<Response> {
  const id = c.req.param("id")!;
  const admitted = await admit(c, ports, "executions.rerun");
  if (admitted instanceof Response) return admitted;
  const execution = await ports.reads.loadExecution(id);
  if (execution === null) return notFoundPage(c, ports, `No execution has the id "${id}".`);
  const { form, commands } = admitted;
  const back = executionHref(id);
  const text = typeof form.input === "string" ? form.input : JSON.stringify(execution.input, null, 2);
  // The first task that did not complete is where a rerun usually starts.
  const first = execution.tasks.find((t) => t.status !== "COMPLETED") ?? execution.tasks[0];
  const chosen = typeof form.fromTask === "string" ? form.fromTask : (first?.taskId ?? "");
  const formPage = (errors: { input?: string; fromTask?: string } = {}, status: ContentfulStatusCode = 200) =>
    c.html(
      <Page title={`Rerun ${id}`} current="executions" version={ports.version}>
        <h1>
          Rerun <span class="mono">{id}</span>
        </h1>
        <form method="post" action={`${back}/rerun`} class="action-form">
          <Csrf c={c} />
          <label for="fromTask">From task</label>
          <select id="fromTask" name="fromTask" aria-describedby={errors.fromTask ? "fromTask-error" : undefined}>
            {execution.tasks.map((t) => (
              <option value={t.taskId} selected={t.taskId === chosen}>
                {`${t.taskId} (${t.status})`}
              </option>
            ))}
          </select>
          {errors.fromTask && (
            <p id="fromTask-error" class="field-error" role="alert">
              {errors.fromTask}
            </p>
          )}
          <InputField value={text} error={errors.input} />
          <button type="submit">Review…</button>
        </form>
      </Page>,
      status,
    );
  if (c.req.method !== "POST") return formPage();
  const parsed = parseInput(text);
  if ("error" in parsed) return formPage({ input: parsed.error }, 400);
  let fromTask: string;
  try {
    ({ fromTask } = parseBody(RerunBody, { fromTask: form.fromTask, input: parsed.value }));
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    return formPage({ fromTask: `The task ${err.issues[0]?.message ?? "is not valid"}.` }, 400);
  }
  if (!execution.tasks.some((t) => t.taskId === fromTask)) return formPage({ fromTask: `Execution ${id} has no task "${fromTask}".` }, 400);
  const input = JSON.stringify(parsed.value, null, 2);
  if (form.confirm !== "yes") {
    return confirmPage(c, ports, {
      title: `Rerun ${id} from ${fromTask}?`,
      action: `${back}/rerun`,
      fields: { fromTask, input },
      button: "Rerun",
      back: `${back}/rerun`,
      children: (
        <div>
          <p>
            This starts a new execution of the same definition version. <span class="mono">{fromTask}</span> and every task that depends on
            it run again; the other tasks are not run again, their outputs are carried over from <span class="mono">{id}</span> (they must
            have completed there). The new execution's input:
          </p>
          <pre class="json">{input}</pre>
        </div>
      ),
    });
  }
  try {
    const rerun = await commands.rerun(id, fromTask, parsed.value, actorOf(c));
    return c.redirect(`${executionHref(rerun.id)}?notice=rerun`, 303);
  } catch (err) {
    return failurePage(c, ports, err, `${back}/rerun`);
  }
}
