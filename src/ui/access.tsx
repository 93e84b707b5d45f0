/**
 * Who may do what on the dashboard: the login and logout pages (a token exchanged for a session
 * cookie, `api/sessions.ts`), the CSRF check every changing form passes (a synchronizer token
 * and the browser's Origin / Sec-Fetch-Site), and `can`, the role's permissions that decide
 * which buttons exist and that each action checks again on the server.
 */
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { remoteAddressOf } from "../api/auth.ts";
import { readFormBody } from "../api/body.ts";
import { principalOf } from "../api/caller.ts";
import { SESSION_COOKIE, sessionOf } from "../api/sessions.ts";
import { type Permission, ROLES } from "../domain/auth.ts";
import { BASE, Page, Time } from "./layout.tsx";
import { messagePage } from "./message.tsx";
import type { DashboardPorts } from "./ports.ts";

/** Without tokens there is no session: forms then carry this cookie's value (double submit). */
export const CSRF_COOKIE = "baton_csrf";
/** The hidden field of every changing form. */
export const CSRF_FIELD = "csrf";

/** Where the session cookie counts, what stays open without one (the login page and the assets it uses), where the rest is sent. */
export const DASHBOARD_GATE = { prefix: BASE, open: [`${BASE}/login`, `${BASE}/assets/`], login: `${BASE}/login` } as const;

/** Whether the caller may do this: its role's permissions, or everything without tokens (as the API is open then). */
export function can(c: Context, permission: Permission): boolean {
  const principal = principalOf(c);
  return principal === null || ROLES[principal.role].has(permission);
}

/** The request came over https: directly, or through a proxy that says so (`X-Forwarded-Proto`). */
function overHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === "https:" || c.req.header("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase() === "https";
}

const cookieOptions = (c: Context, maxAgeSeconds?: number) => ({
  path: BASE,
  httpOnly: true,
  sameSite: "Strict" as const,
  secure: overHttps(c),
  ...(maxAgeSeconds === undefined ? {} : { maxAge: maxAgeSeconds }),
});

/** The token this page's forms carry: the session's, or (without tokens) the CSRF cookie's, set now if the browser has none. */
export function csrfToken(c: Context): string {
  const session = sessionOf(c);
  if (session !== null) return session.csrf;
  const present = getCookie(c, CSRF_COOKIE);
  if (present !== undefined && /^[A-Za-z0-9_-]{43}$/.test(present)) return present;
  const fresh = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  setCookie(c, CSRF_COOKIE, fresh, cookieOptions(c));
  return fresh;
}

/** Compares in a time that depends only on the lengths. */
function same(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Why a changing request must be refused as a cross-site forgery, or null when it may go on:
 * the browser says it came from another site (Sec-Fetch-Site, Origin), or the form's token is
 * not this session's (or, without tokens, not the CSRF cookie's).
 */
export function forgeryReason(c: Context, form: Record<string, unknown>): string | null {
  const foreign = foreignReason(c);
  if (foreign !== null) return foreign;
  const sent = form[CSRF_FIELD];
  const session = sessionOf(c);
  const expected = session !== null ? session.csrf : getCookie(c, CSRF_COOKIE);
  if (typeof sent !== "string" || sent === "") return "the form carries no CSRF token";
  if (expected === undefined || !same(sent, expected))
    return "the form's CSRF token is not this session's (the page is older than the session, or it came from elsewhere)";
  return null;
}

/** Why the browser's own headers say a POST came from another site, or null (also when it sent neither, as curl does). */
function foreignReason(c: Context): string | null {
  const site = c.req.header("sec-fetch-site");
  if (site !== undefined && site !== "same-origin" && site !== "none")
    return `the browser says the form came from another site (Sec-Fetch-Site: ${site})`;
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    const hosts = [c.req.header("host"), c.req.header("x-forwarded-host")?.split(",")[0]?.trim()].filter((h) => h !== undefined);
    let host: string | null = null;
    try {
      host = new URL(origin).host;
    } catch {
      host = null;
    }
    if (host === null || !hosts.includes(host)) return `the form was sent from ${origin}, not from this dashboard's own address`;
  }
  return null;
}

/** The HTML 403 of a refused forgery; the log line names the path and the reason, never a token. */
export function forgeryPage(c: Context, ports: DashboardPorts, reason: string): Response | Promise<Response> {
  ports.access?.logger.warn("dashboard form refused as a possible cross-site request forgery", {
    address: remoteAddressOf(c),
    method: c.req.method,
    path: c.req.path,
    reason,
  });
  return messagePage(c, ports, {
    status: 403,
    title: "Refused: the form could not be verified",
    text: `Nothing was changed: ${reason}. Reload the page you came from and submit its form again.`,
  });
}

/** The HTML 403 of an action the caller's role lacks. */
export function roleRefusedPage(c: Context, ports: DashboardPorts, permission: Permission): Response | Promise<Response> {
  const principal = principalOf(c)!;
  ports.access?.logger.warn("permission denied", {
    token: principal.name,
    role: principal.role,
    address: remoteAddressOf(c),
    method: c.req.method,
    path: c.req.path,
    permission,
  });
  return messagePage(c, ports, {
    status: 403,
    title: "Not allowed",
    text: `Nothing was changed: you are logged in as "${principal.name}" with the role ${principal.role}, which lacks the permission ${permission}. Log in with a token whose role has it.`,
  });
}

/** Where to go after login: a dashboard path only, never another site. */
function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/ui(\/|$|\?)/.test(next) && !/\\|\.\./.test(next) ? next : `${BASE}/`;
}

function LoginForm({ next, error }: { next: string; error?: string }) {
  return (
    <form method="post" action={`${BASE}/login`} class="login">
      <input type="hidden" name="next" value={next} />
      <label for="token">API token</label>
      <input id="token" name="token" type="password" autocomplete="off" required aria-describedby={error ? "token-error" : undefined} />
      {error && (
        <p id="token-error" class="field-error" role="alert">
          {error}
        </p>
      )}
      <button type="submit">Log in</button>
    </form>
  );
}

/** `GET /ui/login`: the form; without tokens there is nothing to log in to, so it leads to the overview. */
export function loginPage(c: Context, ports: DashboardPorts): Response | Promise<Response> {
  if (!ports.access) return c.redirect(`${BASE}/`, 302);
  const ended = c.req.query("out") === "1";
  return c.html(
    <Page title="Log in" current={null} version={ports.version}>
      <h1>Log in</h1>
      {ended && <p class="notice">You are logged out.</p>}
      <p>
        Paste an API token (from <code>baton token create</code>). It is exchanged for a session cookie and not kept by the browser. A
        session ends at logout, after 30 minutes without a request, 12 hours after login, and when the server restarts.
      </p>
      <LoginForm next={safeNext(c.req.query("next"))} />
    </Page>,
  );
}

/** `POST /ui/login`: a good token opens a session (cookie, then back where the user was going); a bad one counts as a failed authentication. */
export async function login(c: Context, ports: DashboardPorts): Promise<Response> {
  const access = ports.access;
  if (!access) return c.redirect(`${BASE}/`, 303);
  const form = await readFormBody(c);
  const next = safeNext(form.next);
  const address = remoteAddressOf(c);
  const wait = access.failures.blockedFor(address);
  if (wait !== null) {
    return messagePage(c, ports, {
      status: 429,
      title: "Too many failed logins",
      text: `Too many failed authentications came from ${address}: try again in ${wait} second(s), with the right token.`,
    });
  }
  // No session yet, so no synchronizer token: the browser's headers keep other sites from logging a user in.
  const foreign = foreignReason(c);
  if (foreign !== null) return forgeryPage(c, ports, foreign);
  const token = typeof form.token === "string" ? form.token.trim() : "";
  const opened = access.sessions.open(token);
  if (typeof opened === "string") {
    access.logger.warn("dashboard login failed", { address, reason: token === "" ? "no token" : opened });
    if (access.failures.fail(address)) {
      access.logger.warn("too many failed authentications: refusing the address for the rest of its window", {
        address,
        failures: access.failures.limit,
        windowSeconds: access.failures.windowMs / 1000,
      });
    }
    const error =
      opened === "cannot read"
        ? "That token's role cannot read the dashboard (a worker token): use a read, operate or admin token."
        : "That token is not one this server knows (mistyped, or removed from the token file).";
    return c.html(
      <Page title="Log in" current={null} version={ports.version}>
        <h1>Log in</h1>
        <LoginForm next={next} error={error} />
      </Page>,
      opened === "cannot read" ? 403 : 401,
    );
  }
  access.logger.info("dashboard login", { token: opened.principal.name, role: opened.principal.role, address });
  setCookie(c, SESSION_COOKIE, opened.id, cookieOptions(c, Math.floor(access.sessions.absoluteMs / 1000)));
  return c.redirect(next, 303);
}

/** `POST /ui/logout`: ends the session (with its CSRF token checked, so another site cannot log a user out). */
export async function logout(c: Context, ports: DashboardPorts): Promise<Response> {
  const session = sessionOf(c);
  const reason = forgeryReason(c, await readFormBody(c));
  if (reason !== null) return forgeryPage(c, ports, reason);
  if (session !== null && ports.access) {
    ports.access.sessions.end(session.id);
    ports.access.logger.info("dashboard logout", { token: session.principal.name, address: remoteAddressOf(c) });
  }
  deleteCookie(c, SESSION_COOKIE, cookieOptions(c));
  return c.redirect(`${BASE}/login?out=1`, 303);
}

/** `GET /ui/account`: who is logged in, what the role may do, when the session ends, and the logout button. */
export function accountPage(c: Context, ports: DashboardPorts): Response | Promise<Response> {
  const session = sessionOf(c);
  const principal = principalOf(c);
  const sessions = ports.access?.sessions;
  return c.html(
    <Page title="Account" current="account" version={ports.version}>
      <h1>Account</h1>
      {principal === null ? (
        <p>No tokens are configured: the dashboard is open to whoever reaches this address, with every action, as the API is.</p>
      ) : (
        <dl class="facts">
          <dt>Token</dt>
          <dd>{principal.name}</dd>
          <dt>Role</dt>
          <dd>
            {principal.role}: {[...ROLES[principal.role]].join(", ")}
          </dd>
          {session !== null && sessions && (
            <>
              <dt>Session ends</dt>
              <dd>
                <Time at={Math.min(session.lastSeenAt + sessions.idleMs, session.createdAt + sessions.absoluteMs)} /> at the latest (
                {sessions.idleMs / 60_000} minutes without a request, {sessions.absoluteMs / 3_600_000} hours after login), or at logout or
                a restart
              </dd>
            </>
          )}
        </dl>
      )}
      {session !== null && (
        <form method="post" action={`${BASE}/logout`}>
          <input type="hidden" name={CSRF_FIELD} value={session.csrf} />
          <button type="submit">Log out</button>
        </form>
      )}
    </Page>,
  );
}
