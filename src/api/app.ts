/**
 * The REST API, assembled in one place and in this order: the problem+json mapping of every
 * error, the 1 MiB body limit, then the routes of the table (`routes.ts`) with their 405s.
 * Reads go through the read port, changes through the engine's commands.
 */
import { Hono } from "hono";
import { type Logger, silentLogger } from "../domain/log.ts";
import type { ReadPort } from "../domain/store.ts";
import { limitBody } from "./body.ts";
import type { ApiPorts, EngineCommands } from "./ports.ts";
import { installProblemHandlers } from "./problem.ts";
import { allowedMethods, methodNotAllowed, ROUTES, servedPaths } from "./routes.ts";

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
}

/**
 * @example
 * const app = createApp({ engine, reads: store, version: "1.0.0", startedAt: Date.now() });
 * const res = await app.request("/healthz");
 */
export function createApp(options: ApiOptions): Hono {
  const { engine, reads, version, startedAt, logger = silentLogger, now = Date.now } = options;
  const ports: ApiPorts = { engine, reads, version, startedAt, now };
  const app = new Hono();
  installProblemHandlers(app, logger, servedPaths(ROUTES));
  app.use("*", limitBody);
  for (const { method, path, handler } of ROUTES) app.on(method, path, (c) => handler(c, ports));
  // After the real methods of a path: whatever else reaches it is a 405.
  for (const [path, allow] of allowedMethods(ROUTES)) app.all(path, methodNotAllowed(allow));
  return app;
}
