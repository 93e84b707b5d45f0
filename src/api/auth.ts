/**
 * Authentication and permissions of the API: the paths that stay open, the permission each
 * route of the table needs, the bearer-token middleware for `createApp({ before })`, and the
 * count of failed authentications per address that answers 429 before any token is hashed.
 * Under the dashboard's prefix it also takes the login session's cookie (`sessions.ts`).
 */
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { type Permission, type Principal, ROLES, type TokenVerifier } from "../domain/auth.ts";
import { ForbiddenError, TooManyRequestsError, UnauthorizedError } from "../domain/errors.ts";
import type { Logger } from "../domain/log.ts";
import { PRINCIPAL } from "./caller.ts";
import { ROUTES, type Route } from "./routes.ts";
import { SESSION, SESSION_COOKIE, type Sessions } from "./sessions.ts";

/**
 * Paths answered without a token, whatever tokens are configured: supervisors and load
 * balancers call the probes, and the API's description is public. Extend it here.
 */
export const OPEN_PATHS: readonly string[] = ["/healthz", "/livez", "/openapi.json", "/schemas/job-definition.json", "/reference"];

/** Open too unless `--metrics-auth`: a Prometheus server scrapes it, and it names no execution. */
export const METRICS_PATH = "/metrics";

/**
 * The permission of every route that is not a plain read. A GET needs `read` unless listed;
 * any other route missing here stops `createApp` (and so every API test) with an error.
 */
const NEEDS: Readonly<Record<string, Permission>> = {
  "POST /job-definitions": "definitions.register",
  "POST /jobs/:definitionId/execute": "executions.execute",
  "POST /jobs/:executionId/cancel": "executions.cancel",
  "POST /jobs/:executionId/redrive": "executions.redrive",
  "POST /jobs/:executionId/rerun": "executions.rerun",
  "POST /schedules/:definitionId/:scheduleId/pause": "schedules.pause",
  "POST /schedules/:definitionId/:scheduleId/resume": "schedules.resume",
  "POST /schedules/:definitionId/:scheduleId/trigger": "schedules.trigger",
  "POST /workers/poll": "workers",
  "POST /workers/leases/:leaseId/heartbeat": "workers",
  "POST /workers/leases/:leaseId/complete": "workers",
  "POST /workers/leases/:leaseId/fail": "workers",
  "POST /workers/leases/report": "workers",
  "POST /system/backup": "backup",
};

/**
 * What a request that matches no route needs (a mount such as the dashboard under `/ui`, an
 * unknown path, a method a path does not answer): a valid token whose role can read.
 */
export const UNROUTED_PERMISSION: Permission = "read";

/** The permission a route of the table needs. */
export function permissionOf(route: Pick<Route, "method" | "path">): Permission {
  const needed = NEEDS[`${route.method} ${route.path}`] ?? (route.method === "GET" ? "read" : undefined);
  if (needed === undefined) throw new Error(`route ${route.method} ${route.path} has no permission: add it to NEEDS in src/api/auth.ts`);
  return needed;
}

/** The peer address the platform layer passes as the request's env (`{ remoteAddress }`). */
export function remoteAddressOf(c: Context): string {
  const address = (c.env as { remoteAddress?: unknown } | undefined)?.remoteAddress;
  return typeof address === "string" && address !== "" ? address : "unknown";
}

/** Addresses tracked at once; past it, expired windows are dropped, then the oldest. */
const MAX_ADDRESSES = 10_000;

/**
 * Failed authentications per address in a fixed window that opens at the first failure.
 * From `limit` failures on, the address is refused until its window ends.
 */
export class AuthFailures {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `address` may try again, or null when it may now. */
  blockedFor(address: string): number | null {
    const w = this.windows.get(address);
    if (!w) return null;
    const left = w.start + this.windowMs - this.now();
    if (left <= 0) {
      this.windows.delete(address);
      return null;
    }
    return w.failures >= this.limit ? Math.ceil(left / 1000) : null;
  }

  /** Counts a failure; true when it is the one that reaches the limit. */
  fail(address: string): boolean {
    const now = this.now();
    let w = this.windows.get(address);
    if (!w || now >= w.start + this.windowMs) {
      this.windows.delete(address);
      if (this.windows.size >= MAX_ADDRESSES) this.evict(now);
      w = { start: now, failures: 0 };
      this.windows.set(address, w);
    }
    w.failures += 1;
    return w.failures === this.limit;
  }

  private evict(now: number): void {
    for (const [address, w] of this.windows) if (now >= w.start + this.windowMs) this.windows.delete(address);
    while (this.windows.size >= MAX_ADDRESSES) this.windows.delete(this.windows.keys().next().value!);
  }
}

export interface AuthOptions {
  verify: TokenVerifier;
  failures: AuthFailures;
  logger: Logger;
  /** `--metrics-auth`: `/metrics` needs a token with `read` like any other read. @default false (open) */
  metricsAuth?: boolean;
  /** @default ROUTES */
  routes?: readonly Route[];
  /** The dashboard's login sessions; without it, the dashboard takes bearer tokens only. */
  dashboard?: DashboardAccess;
}

/**
 * Where the session cookie counts: only under `prefix` (the dashboard), never on the API's
 * routes, so a forged cross-site request can never reach the API with it. Paths in `open` pass
 * without credentials (exact, or every path under one that ends with "/"); any other request
 * there without a token or a live session is redirected to `login`, a page, not a JSON 401.
 */
export interface DashboardAccess {
  prefix: string;
  sessions: Sessions;
  open: readonly string[];
  login: string;
}

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const HOW =
  "send it as 'Authorization: Bearer TOKEN'; an operator creates one with 'baton token create --name NAME --role ROLE' and adds its line to the token file";

/**
 * The middleware: open paths pass; a refused address gets 429 before anything else; no token
 * or an unknown one is a 401 (counted against the address); a token whose role lacks the
 * route's permission is a 403 naming it. Logs name the address, method and path, never a token.
 */
export function authenticate({
  verify,
  failures,
  logger,
  metricsAuth = false,
  routes = ROUTES,
  dashboard,
}: AuthOptions): MiddlewareHandler {
  const open = new Set(metricsAuth ? OPEN_PATHS : [...OPEN_PATHS, METRICS_PATH]);
  const table = routes.map((r) => ({
    method: r.method,
    pattern: new RegExp(`^${r.path.replace(/:\w+/g, "[^/]+")}$`),
    permission: permissionOf(r),
  }));
  const needed = (method: string, path: string): Permission => {
    const m = method === "HEAD" ? "GET" : method;
    return table.find((r) => r.method === m && r.pattern.test(path))?.permission ?? UNROUTED_PERMISSION;
  };
  const inDashboard = (path: string) => dashboard !== undefined && (path === dashboard.prefix || path.startsWith(`${dashboard.prefix}/`));
  const openInDashboard = (path: string) => dashboard!.open.some((p) => (p.endsWith("/") ? path.startsWith(p) : path === p));
  const permit = (c: Context, principal: Principal, address: string) => {
    const { method, path } = c.req;
    const permission = needed(method, path);
    if (!ROLES[principal.role].has(permission)) {
      logger.warn("permission denied", { token: principal.name, role: principal.role, address, method, path, permission });
      throw new ForbiddenError(
        `the token "${principal.name}" has the role ${principal.role}, which lacks the permission ${permission} that ${method} ${path} needs; use a token whose role has it`,
        permission,
      );
    }
    c.set(PRINCIPAL, principal);
  };
  return async (c, next) => {
    const { method, path } = c.req;
    if (open.has(path)) return next();
    const ui = inDashboard(path);
    if (ui && openInDashboard(path)) return next();
    const address = remoteAddressOf(c);
    const wait = failures.blockedFor(address);
    if (wait !== null) {
      throw new TooManyRequestsError(
        `too many failed authentications from ${address}; requests from it are refused for ${wait} more second(s). Check the token the client sends`,
        wait,
      );
    }
    const header = c.req.header("Authorization");
    if (ui && header === undefined) {
      const id = getCookie(c, SESSION_COOKIE);
      const session = id === undefined ? null : dashboard!.sessions.find(id);
      if (session === null) {
        if (id !== undefined)
          logger.info("dashboard session ended (logout, expiry or token removed): asking to log in again", { address, method, path });
        const read = method === "GET" || method === "HEAD";
        const back = read ? `?next=${encodeURIComponent(path + new URL(c.req.url).search)}` : "";
        return c.redirect(`${dashboard!.login}${back}`, read ? 302 : 303);
      }
      permit(c, session.principal, address);
      c.set(SESSION, session);
      return next();
    }
    const token = header === undefined ? undefined : BEARER.exec(header)?.[1];
    const principal = token === undefined ? null : verify(token);
    if (principal === null) {
      const reason = header === undefined ? "no token" : token === undefined ? "not a Bearer token" : "unknown token";
      logger.warn("authentication failed", { address, method, path, reason });
      if (failures.fail(address)) {
        logger.warn("too many failed authentications: refusing the address for the rest of its window", {
          address,
          failures: failures.limit,
          windowSeconds: failures.windowMs / 1000,
        });
      }
      throw new UnauthorizedError(
        header === undefined
          ? `${method} ${path} needs a token: ${HOW}`
          : token === undefined
            ? `the Authorization header is not 'Bearer TOKEN': ${HOW}`
            : `the bearer token is not one this server knows (mistyped, or removed from the token file); ${HOW}`,
      );
    }
    permit(c, principal, address);
    return next();
  };
}
