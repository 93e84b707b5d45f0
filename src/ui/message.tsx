/** A page that answers a refused or failed request in words (403 CSRF, 403 role, 409, 429…), with a way back. */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { BASE, Page } from "./layout.tsx";
import type { DashboardPorts } from "./ports.ts";

export function messagePage(
  c: Context,
  ports: DashboardPorts,
  answer: { status: ContentfulStatusCode; title: string; text: string; back?: string },
): Response | Promise<Response> {
  return c.html(
    <Page title={answer.title} current={null} version={ports.version}>
      <h1>{answer.title}</h1>
      <p class="refusal" role="alert">
        {answer.text}
      </p>
      <p>
        {answer.back && (
          <>
            <a href={answer.back}>Back</a> ·{" "}
          </>
        )}
        <a href={`${BASE}/executions`}>All executions</a> · <a href={`${BASE}/`}>Overview</a>
      </p>
    </Page>,
    answer.status,
  );
}
