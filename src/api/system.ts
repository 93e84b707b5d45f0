/** `/system/state` and `/healthz`: what the orchestrator is doing, and whether it can answer. */
import { Hono } from "hono";
import { UnavailableError } from "../domain/errors.ts";
import type { Engine } from "../engine/engine.ts";
import { allowOnly } from "./problem.ts";
import { activeJobView, systemStateView } from "./views.ts";

/** How many queued ids `/system/state` lists; `queuedCount` is always exact. */
export const QUEUED_IDS_SHOWN = 100;

export interface SystemApiOptions {
  engine: Engine;
  version: string;
  /** Epoch ms when the process started. */
  startedAt: number;
  /** @default Date.now */
  now?: () => number;
}

export function systemApi({ engine, version, startedAt, now = Date.now }: SystemApiOptions): Hono {
  const app = new Hono();

  app.get("/system/state", async (c) => {
    const counts = await engine.store.systemCounts(QUEUED_IDS_SHOWN);
    // As in the original, each active job is an object with its tasks; bounded by the limit.
    const loaded = await Promise.all(counts.running.map((id) => engine.store.loadExecution(id)));
    const active = loaded.filter((e) => e !== null && e.status === "RUNNING").map((e) => activeJobView(e!));
    const uptimeSeconds = Math.max(0, Math.floor((now() - startedAt) / 1000));
    return c.json(systemStateView(counts, active, { maxConcurrentJobs: engine.maxConcurrentJobs, version, uptimeSeconds }));
  });

  app.get("/healthz", (c) => {
    // A load balancer should stop sending work as soon as a shutdown begins.
    if (engine.isStopping) throw new UnavailableError("Baton is shutting down; send work to another instance or retry after the restart");
    if (!engine.store.ping()) {
      throw new UnavailableError("the database does not answer; check the disk and the server log, and restart Baton if it persists");
    }
    return c.json({ status: "ok", version });
  });

  app.all("/system/state", allowOnly("GET", "HEAD"));
  app.all("/healthz", allowOnly("GET", "HEAD"));
  return app;
}
