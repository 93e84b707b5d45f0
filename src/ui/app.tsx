/**
 * The dashboard: a Hono sub-app the API mounts under `/ui` (`createApp({ mounts })`), rendered
 * on the server with hono/jsx. Its assets (stylesheet, favicon, one small progressive script)
 * are strings compiled into the binary. It reads through the same read port as the API and acts
 * through the engine's commands (`actions.tsx`), behind login and CSRF checks (`access.tsx`).
 * Unknown paths under `/ui` get an HTML 404 page.
 */
import { Hono } from "hono";
import { systemClock } from "../domain/clock.ts";
import { accountPage, login, loginPage, logout } from "./access.tsx";
import { cancelAction, executeAction, redriveAction } from "./actions.tsx";
import { bulkAction } from "./bulk.tsx";
import { definitionDiffPage } from "./definition-diff.tsx";
import { definitionPage, definitionsPage } from "./definitions.tsx";
import { executionPage } from "./execution.tsx";
import { executionsPage } from "./executions.tsx";
import { eventsResponse, LiveFeed } from "./live.ts";
import { notFoundPage } from "./not-found.tsx";
import { operationPage, operationsPage, stopAction } from "./operations.tsx";
import { overviewPage } from "./overview.tsx";
import type { DashboardPorts } from "./ports.ts";
import { rerunAction } from "./rerun.tsx";
import { SCRIPT } from "./script.ts";
import { FAVICON, STYLESHEET } from "./style.ts";
import { workersPage } from "./workers.tsx";

/** Served under `/ui/assets/`; the build commit is not in the name, so they are revalidated after an hour. */
const ASSETS: Record<string, { type: string; body: string }> = {
  "style.css": { type: "text/css; charset=utf-8", body: STYLESHEET },
  "favicon.svg": { type: "image/svg+xml", body: FAVICON },
  "app.js": { type: "text/javascript; charset=utf-8", body: SCRIPT },
};

/**
 * On every answer of the dashboard. The policy lets a page load only what this origin serves and
 * no inline script, so a value that escaped escaping could still not run, and nothing could be
 * fetched from elsewhere (the script's live updates connect to this origin only); inline SVG needs nothing more. Pages are not framed by other sites.
 * The referrer policy is same-origin, not no-referrer: under no-referrer a browser sends
 * `Origin: null` with every form POST (the Fetch standard), and the CSRF check refuses that.
 */
const HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "same-origin",
};

export function createDashboard(ports: DashboardPorts): Hono {
  const ui = new Hono();
  ui.use("*", async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(HEADERS)) c.res.headers.set(name, value);
  });
  // Mounted, "/" matches only "/ui"; the empty parameter after a slash matches "/ui/", where `/` redirects.
  for (const home of ["/", "/:home{.{0}}"]) ui.get(home, (c) => overviewPage(c, ports));
  ui.get("/executions", (c) => executionsPage(c, ports));
  ui.get("/executions/:id", (c) => executionPage(c, ports));
  ui.get("/definitions", (c) => definitionsPage(c, ports));
  ui.get("/definitions/:id", (c) => definitionPage(c, ports));
  ui.get("/definitions/:id/diff", (c) => definitionDiffPage(c, ports));
  ui.get("/workers", (c) => workersPage(c, ports));
  ui.get("/login", (c) => loginPage(c, ports));
  ui.post("/login", (c) => login(c, ports));
  ui.post("/logout", (c) => logout(c, ports));
  ui.get("/account", (c) => accountPage(c, ports));
  ui.on(["GET", "POST"], "/definitions/:id/execute", (c) => executeAction(c, ports));
  ui.post("/executions/:id/cancel", (c) => cancelAction(c, ports));
  ui.post("/executions/:id/redrive", (c) => redriveAction(c, ports));
  ui.on(["GET", "POST"], "/executions/:id/rerun", (c) => rerunAction(c, ports));
  const live = ports.live ?? new LiveFeed({ reads: ports.reads, clock: systemClock });
  ui.get("/events", (c) => eventsResponse((name) => c.req.query(name), live));
  ui.get("/operations", (c) => operationsPage(c, ports));
  ui.get("/operations/:id", (c) => operationPage(c, ports));
  ui.post("/operations/:kind", (c) => bulkAction(c, ports));
  ui.post("/operations/:id/stop", (c) => stopAction(c, ports));
  ui.get("/assets/:name", (c) => {
    const asset = ASSETS[c.req.param("name")];
    if (!asset) return notFoundPage(c, ports, `The dashboard has no asset "${c.req.param("name")}".`);
    return c.body(asset.body, 200, { "content-type": asset.type, "cache-control": "public, max-age=3600" });
  });
  ui.all("*", (c) => notFoundPage(c, ports, `The dashboard has no page at ${c.req.path}.`));
  return ui;
}
