/** The dashboard's 404 page: an HTML answer a person can act on, with a way back. */
import type { Context } from "hono";
import { BASE, Page } from "./layout.tsx";
import type { DashboardPorts } from "./ports.ts";

export function notFoundPage(c: Context, ports: DashboardPorts, what: string): Response | Promise<Response> {
  return c.html(
    <Page title="Not found" current={null} version={ports.version}>
      <h1>Not found</h1>
      <p>{what}</p>
      <p>
        <a href={`${BASE}/executions`}>All executions</a> · <a href={`${BASE}/`}>Overview</a>
      </p>
    </Page>,
    404,
  );
}
