/**
 * The REST API: one sub-app per resource, the 1 MiB body limit in front of all of them, and
 * one error-to-problem+json mapping behind them. Reads go through the read port, changes
 * through the engine's commands.
 */
import { Hono } from "hono";
import { type Logger, silentLogger } from "../domain/log.ts";
import type { ReadPort } from "../domain/store.ts";
import { limitBody } from "./body.ts";
import { definitionsApi } from "./definitions.ts";
import { jobsApi } from "./jobs.ts";
import type { EngineCommands } from "./ports.ts";
import { installProblemHandlers } from "./problem.ts";
import { systemApi } from "./system.ts";

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
export function createApp({ engine, reads, version, startedAt, logger = silentLogger, now = Date.now }: ApiOptions): Hono {
  const app = new Hono();
  installProblemHandlers(app, logger);
  app.use("*", limitBody);
  app.route("/job-definitions", definitionsApi({ engine, reads }));
  app.route("/jobs", jobsApi({ engine, reads }));
  app.route("/", systemApi({ engine, reads, version, startedAt, now }));
  return app;
}
