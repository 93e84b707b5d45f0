/**
 * The REST API, assembled in one place and in this order: the problem+json mapping of every
 * error, the access log when asked for, the 1 MiB body limit, the `before` slot (authentication), the routes of the table
 * (`routes.ts`) with their 405s, then `GET /` to the home page when there is one and the mounted sub-apps (the dashboard). Reads go through
 * the read port, changes through the engine's commands.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { type Logger, silentLogger } from "../domain/log.ts";
import type { ReadPort } from "../domain/store.ts";
import { accessLog } from "./access-log.ts";
import { limitBody } from "./body.ts";
import { buildOpenApi } from "./openapi.ts";
import type { ApiPorts, EngineCommands } from "./ports.ts";
import { installProblemHandlers } from "./problem.ts";
import { allowedMethods, methodNotAllowed, ROUTES, routePrefixes, servedPaths } from "./routes.ts";

/** A sub-app served beside the API under its own prefix, e.g. the dashboard under `/ui`. */
export interface Mount {
  /** `/name`: the sub-app answers this path and everything under it. No path of the route table may start with it. */
  path: string;
  /** Its routes are relative to `path`; its errors and unknown paths get the API's problem+json answers unless it sets its own. */
  app: Hono;
}

export interface ApiOptions {
  /** Every change goes through these commands. */
  engine: EngineCommands;
  /** Every read goes through this port: the store the engine writes to. */
  reads: ReadPort;
  /** Reported by `/healthz`, `/livez` and `/system/state`. */
  version: string;
  /** When the process started, epoch ms: the origin of `uptimeSeconds`. */
  startedAt: number;
  /** Where unexpected errors (500s) are logged. @default silentLogger */
  logger?: Logger;
  /** @default Date.now */
  now?: () => number;
  /**
   * The authentication slot: middleware run in this order on every request (routes, mounts and
   * unknown paths alike) after the body limit and before any handler. Each one answers by itself
   * (a 401) or calls `next()`; what it throws is answered as problem+json.
   * It must let `/healthz` and `/livez` through without credentials: load balancers and
   * supervisors call them and cannot authenticate.
   * @default []
   */
  before?: MiddlewareHandler[];
  /** Sub-apps served beside the API, such as the dashboard. @default [] */
  mounts?: Mount[];
  /** Where `GET /` redirects (302), e.g. the dashboard's `/ui/`; it must be under a mount. Without one, `/` is an unknown path. @default none */
  home?: string;
  /** Whether definitions registered through the API may use the `shell` function. @default false */
  allowShellApi?: boolean;
  /** Where the access log goes (`--access-log`); without one, no access-log middleware is installed at all. */
  accessLogger?: Logger;
  /** Where `POST /system/backup` writes, and the store that copies itself; null answers 409. @default null */
  backups?: ApiPorts["backups"];
  /** What `GET /metrics` serves; without it the route answers 404. @default null */
  metrics?: ApiPorts["metrics"];
}

/**
 * @example
 * const app = createApp({ engine, reads: store, version: "1.0.0", startedAt: Date.now() });
 * const res = await app.request("/healthz");
 */
export function createApp(options: ApiOptions): Hono {
  const {
    engine,
    reads,
    version,
    startedAt,
    logger = silentLogger,
    now = Date.now,
    before = [],
    mounts = [],
    home,
    allowShellApi = false,
    accessLogger,
    backups = null,
    metrics = null,
  } = options;
  for (const mount of mounts) checkMount(mount.path);
  if (home !== undefined && !mounts.some((m) => home.startsWith(`${m.path}/`)))
    throw new Error(`home "${home}" must be a path under a mount (${mounts.map((m) => m.path).join(", ") || "none given"})`);
  let spec: Record<string, unknown> | undefined;
  const openapi = () => (spec ??= buildOpenApi(ROUTES, version));
  const ports: ApiPorts = { engine, reads, version, startedAt, now, allowShellApi, openapi, logger, backups, metrics };
  const app = new Hono();
  installProblemHandlers(app, logger, [...servedPaths(ROUTES), ...mounts.map((m) => m.path)]);
  if (accessLogger) app.use("*", accessLog(accessLogger));
  app.use("*", limitBody);
  for (const middleware of before) app.use("*", middleware);
  for (const { method, path, handler } of ROUTES) app.on(method, path, (c) => handler(c, ports));
  // After the real methods of a path: whatever else reaches it is a 405.
  for (const [path, allow] of allowedMethods(ROUTES)) app.all(path, methodNotAllowed(allow));
  if (home !== undefined) app.get("/", (c) => c.redirect(home, 302));
  for (const mount of mounts) app.route(mount.path, mount.app);
  return app;
}

/** A mount takes a prefix of its own: it may not shadow a route of the table, nor be shadowed by one. */
function checkMount(path: string): void {
  if (!/^(\/[\w.~-]+)+$/.test(path)) throw new Error(`mount path "${path}" must look like "/ui": a slash and a name, no trailing slash`);
  const prefix = `/${path.split("/")[1]}`;
  if (routePrefixes(ROUTES).has(prefix)) throw new Error(`mount path "${path}" is under ${prefix}, which the API's routes use`);
}
