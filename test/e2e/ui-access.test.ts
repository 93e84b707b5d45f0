/**
 * The dashboard's login and actions on the compiled binary with `--tokens`, as a browser does
 * them (forms, a cookie, redirects): log in, open a failed execution, redrive it through the
 * confirmation, and check through the API that it ran again under the token's name; a read
 * session sees no button and its forged POST is refused; the cookie never opens the API.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Baton, runBaton, startBaton, tempDir, waitFor } from "./harness.ts";

let baton: Baton;
const tokens: Record<string, string> = {};
let failed: string;

beforeAll(async () => {
  const lines: string[] = [];
  for (const [name, role] of [
    ["admin", "admin"],
    ["ops", "operate"],
    ["viewer", "read"],
  ] as const) {
    const made = await runBaton(["token", "create", "--name", name, "--role", role]);
    tokens[name] = made.stdout.split("\n")[0]!;
    lines.push(made.stdout.trimEnd().split("\n").at(-1)!);
  }
  const file = join(tempDir(), "tokens");
  writeFileSync(file, `${lines.join("\n")}\n`);
  chmodSync(file, 0o600);
  baton = await startBaton({ jobs: null, args: ["--tokens", file] });
  const bearer = (name: string) => ({ authorization: `Bearer ${tokens[name]}` });
  const def = { id: "ui-act", tasks: [{ id: "only", functionName: "fail", params: { errorName: "Boom" } }] };
  expect((await baton.request("POST", "/job-definitions", def, bearer("admin"))).status).toBeLessThan(300);
  failed = ((await (await baton.request("POST", "/jobs/ui-act/execute", {}, bearer("ops"))).json()) as any).executionID;
  await waitFor("the execution to fail", async () => (await api(`/jobs/${failed}/state`)).status === "FAILED");
});
afterAll(async () => {
  await baton?.stop();
});

async function api(path: string): Promise<any> {
  return (await baton.request("GET", path, undefined, { authorization: `Bearer ${tokens.admin}` })).json();
}

/** A browser's request: no redirects followed, the session cookie and its own Origin on POSTs. */
function browser(method: string, path: string, cookie?: string, form?: Record<string, string>) {
  const headers: Record<string, string> = cookie ? { cookie: `baton_session=${cookie}` } : {};
  if (form)
    Object.assign(headers, { "content-type": "application/x-www-form-urlencoded", origin: baton.url, "sec-fetch-site": "same-origin" });
  return fetch(`${baton.url}${path}`, { method, headers, redirect: "manual", body: form && new URLSearchParams(form).toString() });
}

async function login(name: string): Promise<string> {
  const res = await browser("POST", "/ui/login", undefined, { token: tokens[name]!, next: `/ui/executions/${failed}` });
  expect([res.status, res.headers.get("location")]).toEqual([303, `/ui/executions/${failed}`]);
  const set = res.headers.getSetCookie().find((c) => c.startsWith("baton_session="))!;
  expect(set).toContain("HttpOnly");
  expect(set).toContain("SameSite=Strict");
  return set.split(";")[0]!.slice("baton_session=".length);
}

const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)![1]!;

describe("the dashboard with --tokens", () => {
  test("login, then redrive a failed execution through its confirmation; the API shows it ran again as ops", async () => {
    const start = await browser("GET", `/ui/executions/${failed}`);
    expect([start.status, start.headers.get("location")]).toEqual([
      302,
      `/ui/login?next=${encodeURIComponent(`/ui/executions/${failed}`)}`,
    ]);
    const cookie = await login("ops");
    const page = await browser("GET", `/ui/executions/${failed}`, cookie);
    const html = await page.text();
    expect(page.status).toBe(200);
    expect(html).toContain("Redrive…");
    const csrf = csrfIn(html);
    const review = await browser("POST", `/ui/executions/${failed}/redrive`, cookie, { csrf });
    expect(review.status).toBe(200);
    expect(await review.text()).toContain("Redriving queues it again");
    const done = await browser("POST", `/ui/executions/${failed}/redrive`, cookie, { csrf, confirm: "yes" });
    expect([done.status, done.headers.get("location")]).toEqual([303, `/ui/executions/${failed}?notice=redriven`]);
    const events = await waitFor("the redriven execution to fail again", async () => {
      const { events } = await api(`/jobs/${failed}/events`);
      return events.filter((e: any) => e.type === "ExecutionFailed").length === 2 ? events : undefined;
    });
    expect(events.find((e: any) => e.type === "ExecutionRedriven").actor).toBe("ops");
    const after = await browser("GET", `/ui/executions/${failed}?notice=redriven`, cookie);
    expect(await after.text()).toContain("Redriven: its failed and cancelled tasks");
  });

  test("a read session has no buttons and its forged POST is a 403 page; the cookie does not open the API; logout ends it", async () => {
    const cookie = await login("viewer");
    const html = await (await browser("GET", `/ui/executions/${failed}`, cookie)).text();
    expect(html).not.toContain("Redrive…");
    const csrf = csrfIn(await (await browser("GET", "/ui/account", cookie)).text());
    const forged = await browser("POST", `/ui/executions/${failed}/redrive`, cookie, { csrf, confirm: "yes" });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain("lacks the permission executions.redrive");
    const apiWithCookie = await fetch(`${baton.url}/jobs`, { headers: { cookie: `baton_session=${cookie}` } });
    expect(apiWithCookie.status).toBe(401);
    const out = await browser("POST", "/ui/logout", cookie, { csrf });
    expect([out.status, out.headers.get("location")]).toEqual([303, "/ui/login?out=1"]);
    expect((await browser("GET", "/ui/", cookie)).status).toBe(302);
    expect(baton.logs()).not.toContain(tokens.viewer!);
    expect(baton.logs()).toContain("dashboard login");
  });
});
