/**
 * The REST API: one sub-app per resource, the 1 MiB body limit in front of all of them, and
 * one error-to-problem+json mapping behind them. Reads go to the store, writes through the engine.
 */
import { Hono } from "hono";
import { type Logger, silentLogger } from "../domain/log.ts";
import type { Engine } from "../engine/engine.ts";
import { limitBody } from "./body.ts";
import { definitionsApi } from "./definitions.ts";
import { jobsApi } from "./jobs.ts";
import { installProblemHandlers } from "./problem.ts";
import { systemApi } from "./system.ts";

export interface ApiOptions {
  engine: Engine;
  /** Reported by `/healthz` and `/system/state`. */
  version: string;
  /** When the process started, epoch ms: the origin of `uptimeSeconds`. */
  startedAt: number;
  /** Where unexpected errors (500s) are logged. @default silentLogger */
  logger?: Logger;
}

/**
 * @example
 * const app = createApp({ engine, version: "1.0.0", startedAt: Date.now() });
 * const res = await app.request("/healthz");
 */
export function createApp({ engine, version, startedAt, logger = silentLogger }: ApiOptions): Hono {
  const app = new Hono();
  installProblemHandlers(app, logger);
  app.use("*", limitBody);
  app.route("/job-definitions", definitionsApi(engine));
  app.route("/jobs", jobsApi(engine));
  app.route("/", systemApi({ engine, version, startedAt }));
  return app;
}
