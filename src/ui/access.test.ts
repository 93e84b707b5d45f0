/**
 * The dashboard with tokens, without a server: login and logout, the cookie's attributes, the
 * redirect to the login page, expiry and a removed token, the failure limiter, the cookie never
 * counting on the API, CSRF refusals, and the role deciding the buttons with the server refusing
 * again (`access.tsx`, `api/sessions.ts`, the session branch of `api/auth.ts`).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { tokenFor, type UiWorld, uiWorld } from "../../test/helpers/ui.ts";
import { SESSION_IDLE_MS } from "../api/sessions.ts";

const read = tokenFor("viewer", "read");
const ops = tokenFor("ops", "operate");
const worker = tokenFor("w1", "worker");

let w: UiWorld;
let failed: string;
beforeEach(async () => {
  w = await uiWorld({}, { tokens: [read.entry, ops.entry, worker.entry] });
  await w.register({ id: "broken", tasks: [{ id: "only", functionName: "fail", params: { errorName: "Boom" } }] });
  failed = (await w.engine.submit("broken", {})).id;
  await w.drain();
});
afterEach(() => w.close());

const cookieOf = (setCookies: string[], name = "baton_session"): string | null => {
  const line = setCookies.find((c) => c.startsWith(`${name}=`));
  return line === undefined ? null : line.split(";")[0]!.slice(name.length + 1);
};
const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? null;

async function login(token: string, next = "/ui/"): Promise<string> {
  const res = await w.post("/ui/login", { token, next });
  expect([res.status, res.location]).toEqual([303, next]);
  return cookieOf(res.cookies)!;
}
const as = (cookie: string, more: Record<string, string> = {}) => ({ cookie: `baton_session=${cookie}`, ...more });

describe("login", () => {
  test("a page without credentials redirects to the login page, which says what to do; its assets are open", async () => {
    const res = await w.page("/ui/executions?status=FAILED");
    expect([res.status, res.location]).toEqual([302, "/ui/login?next=%2Fui%2Fexecutions%3Fstatus%3DFAILED"]);
    const form = await w.page(res.location!);
    expect(form.status).toBe(200);
    expect(form.type).toStartWith("text/html");
    expect(form.html).toContain('name="token" type="password"');
    expect(form.html).toContain('name="next" value="/ui/executions?status=FAILED"');
    expect((await w.page("/ui/assets/style.css")).status).toBe(200);
    const post = await w.post(`/ui/executions/${failed}/redrive`, {});
    expect([post.status, post.location]).toEqual([303, "/ui/login"]);
  });

  test("a token becomes an HttpOnly, SameSite=Strict cookie on /ui that is not the token; the page then opens", async () => {
    const res = await w.post("/ui/login", { token: read.token, next: "/ui/executions" });
    expect([res.status, res.location]).toEqual([303, "/ui/executions"]);
    const set = res.cookies.find((c) => c.startsWith("baton_session="))!;
    expect(set).toContain("HttpOnly");
    expect(set).toContain("SameSite=Strict");
    expect(set).toContain("Path=/ui");
    expect(set).toContain("Max-Age=43200");
    expect(set).not.toContain("Secure");
    const cookie = cookieOf(res.cookies)!;
    expect(cookie).not.toContain(read.token);
    const page = await w.page("/ui/executions", as(cookie));
    expect(page.status).toBe(200);
    expect(page.html).toContain(failed);
    expect(w.logs.lines).toContainEqual({
      level: "info",
      message: "dashboard login",
      fields: { token: "viewer", role: "read", address: "192.0.2.1" },
    });
    expect(JSON.stringify(w.logs.lines)).not.toContain(read.token);
  });

  test("behind a proxy that says https, the cookie is Secure; a next outside the dashboard goes to the overview", async () => {
    const res = await w.post("/ui/login", { token: read.token, next: "//evil.example/" }, { "x-forwarded-proto": "https" });
    expect([res.status, res.location]).toEqual([303, "/ui/"]);
    expect(res.cookies.find((c) => c.startsWith("baton_session="))).toContain("Secure");
  });

  test("the session cookie never authenticates the API, so no cross-site form can reach it", async () => {
    const cookie = await login(ops.token);
    const res = await w.app.request("/jobs", { headers: as(cookie) }, { remoteAddress: "192.0.2.1" });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const forged = await w.app.request(`/jobs/${failed}/redrive`, { method: "POST", headers: as(cookie) }, { remoteAddress: "192.0.2.1" });
    expect(forged.status).toBe(401);
  });

  test("a wrong token is refused on the page, logged without the token, and counts toward the 429 the API shares", async () => {
    const res = await w.post("/ui/login", { token: "guess-1", next: "/ui/" });
    expect(res.status).toBe(401);
    expect(res.html).toContain("That token is not one this server knows");
    expect(res.cookies).toEqual([]);
    expect(w.logs.lines).toContainEqual({
      level: "warn",
      message: "dashboard login failed",
      fields: { address: "192.0.2.1", reason: "unknown token" },
    });
    expect(JSON.stringify(w.logs.lines)).not.toContain("guess-1");
    for (let i = 2; i <= 5; i++) expect((await w.post("/ui/login", { token: `guess-${i}` })).status).toBe(401);
    const blocked = await w.post("/ui/login", { token: read.token });
    expect(blocked.status).toBe(429);
    expect(blocked.html).toContain("Too many failed authentications came from 192.0.2.1: try again in 60 second(s)");
    expect(
      (await w.app.request("/jobs", { headers: { authorization: `Bearer ${read.token}` } }, { remoteAddress: "192.0.2.1" })).status,
    ).toBe(429);
  });

  test("a login form posted from another site opens nothing; a next that climbs out of /ui goes to the overview", async () => {
    const foreign: Record<string, string>[] = [{ origin: "https://evil.example", host: "localhost" }, { "sec-fetch-site": "cross-site" }];
    for (const headers of foreign) {
      const res = await w.post("/ui/login", { token: ops.token }, headers);
      expect([res.status, res.cookies]).toEqual([403, []]);
      expect(res.html).toContain("Nothing was changed");
    }
    expect((await w.post("/ui/login", { token: ops.token, next: "/ui/../jobs" })).location).toBe("/ui/");
  });

  test("a worker token cannot log in: its role cannot read", async () => {
    const res = await w.post("/ui/login", { token: worker.token });
    expect(res.status).toBe(403);
    expect(res.html).toContain("cannot read the dashboard");
  });

  test("logout ends the session (with its CSRF token); the old cookie then leads to the login page", async () => {
    const cookie = await login(read.token);
    const account = await w.page("/ui/account", as(cookie));
    expect(account.html).toContain("viewer");
    const refused = await w.post("/ui/logout", {}, as(cookie));
    expect(refused.status).toBe(403);
    const out = await w.post("/ui/logout", { csrf: csrfIn(account.html)! }, as(cookie));
    expect([out.status, out.location]).toEqual([303, "/ui/login?out=1"]);
    expect(out.cookies.find((c) => c.startsWith("baton_session="))).toContain("Max-Age=0");
    expect((await w.page("/ui/", as(cookie))).location).toBe("/ui/login?next=%2Fui%2F");
    expect((await w.page("/ui/login?out=1")).html).toContain("You are logged out.");
  });

  test("a session ends after 30 idle minutes, and when its token leaves the token list", async () => {
    const idle = await login(read.token);
    await w.clock.advance(SESSION_IDLE_MS);
    expect((await w.page("/ui/", as(idle))).status).toBe(302);
    const revoked = await login(ops.token);
    expect((await w.page("/ui/", as(revoked))).status).toBe(200);
    w.tokens.splice(
      w.tokens.findIndex((t) => t.name === "ops"),
      1,
    );
    expect((await w.page("/ui/", as(revoked))).location).toBe("/ui/login?next=%2Fui%2F");
    expect((await w.post("/ui/login", { token: ops.token })).status).toBe(401);
  });
});

describe("roles and CSRF", () => {
  test("a read session sees no action, and a forged POST with its own CSRF token is refused with 403", async () => {
    const cookie = await login(read.token);
    const page = await w.page(`/ui/executions/${failed}`, as(cookie));
    expect(page.html).not.toContain("Redrive…");
    expect(page.html).not.toContain("Rerun from a task…");
    expect((await w.page("/ui/definitions/broken", as(cookie))).html).not.toContain("Execute with an input…");
    const csrf = csrfIn((await w.page("/ui/account", as(cookie))).html)!;
    const forged = await w.post(`/ui/executions/${failed}/redrive`, { csrf, confirm: "yes" }, as(cookie));
    expect(forged.status).toBe(403);
    expect(forged.html).toContain("the role read, which lacks the permission executions.redrive");
    expect((await w.store.loadExecution(failed))!.status).toBe("FAILED");
  });

  test("an operate session sees its buttons and redrives; the event names its token", async () => {
    const cookie = await login(ops.token);
    const page = await w.page(`/ui/executions/${failed}`, as(cookie));
    expect(page.html).toContain("Redrive…");
    expect(page.html).toContain("Rerun from a task…");
    expect(page.html).not.toContain("Cancel…");
    const csrf = csrfIn(page.html)!;
    const done = await w.post(`/ui/executions/${failed}/redrive`, { csrf, confirm: "yes" }, as(cookie));
    expect([done.status, done.location]).toEqual([303, `/ui/executions/${failed}?notice=redriven`]);
    const events = (await w.store.events(failed))!;
    expect(events.find((e) => e.type === "ExecutionRedriven")?.data?.actor).toBe("ops");
  });

  test("a form without this session's CSRF token, or sent from another site, changes nothing and answers a 403 page", async () => {
    const cookie = await login(ops.token);
    const csrf = csrfIn((await w.page(`/ui/executions/${failed}`, as(cookie))).html)!;
    const other = csrfIn((await w.page("/ui/account", as(await login(ops.token)))).html)!;
    const path = `/ui/executions/${failed}/redrive`;
    const cases: [Record<string, string>, Record<string, string>, string][] = [
      [{ confirm: "yes" }, {}, "the form carries no CSRF token"],
      [{ confirm: "yes", csrf: other }, {}, "CSRF token is not this session"],
      [{ confirm: "yes", csrf }, { origin: "https://evil.example", host: "localhost" }, "the form was sent from https://evil.example"],
      [{ confirm: "yes", csrf }, { "sec-fetch-site": "cross-site" }, "Sec-Fetch-Site: cross-site"],
    ];
    for (const [form, headers, reason] of cases) {
      const res = await w.post(path, form, as(cookie, headers));
      expect([res.status, res.type]).toEqual([403, "text/html; charset=UTF-8"]);
      expect(res.html).toContain("Nothing was changed");
      expect(res.html).toContain(reason);
    }
    expect((await w.store.loadExecution(failed))!.status).toBe("FAILED");
    expect(w.logs.lines.filter((l) => l.message.includes("cross-site request forgery")).length).toBe(4);
    const same = await w.post(
      path,
      { csrf },
      as(cookie, { origin: "http://localhost", host: "localhost", "sec-fetch-site": "same-origin" }),
    );
    expect(same.status).toBe(200);
    expect(same.html).toContain("Redriving queues it again");
  });
});
