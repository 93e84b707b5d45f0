/**
 * Test setup for the dashboard: the world of `setup.ts` (in-memory SQLite, fake clock, a
 * started engine) with the API app and the dashboard mounted under `/ui` as `baton serve`
 * mounts it, called with `app.request()` (no server).
 */
import type { Hono } from "hono";
import { createApp } from "../../src/api/app.ts";
import type { TaskFunction } from "../../src/domain/function.ts";
import { createDashboard } from "../../src/ui/app.tsx";
import { LiveFeed } from "../../src/ui/live.ts";
import { setupStarted, type TestWorld } from "./setup.ts";

export interface UiWorld extends TestWorld {
  app: Hono;
  /** The dashboard's live updates, ticking on the fake clock. */
  live: LiveFeed;
  /** GET `path`: the status, the content type and the body as text. */
  page(path: string): Promise<{ status: number; type: string; html: string; location: string | null }>;
  close(): Promise<void>;
}

export async function uiWorld(functions: Record<string, TaskFunction> = {}): Promise<UiWorld> {
  const w = await setupStarted({ functions });
  const now = () => w.clock.now();
  const live = new LiveFeed({ reads: w.store, clock: w.clock });
  const dashboard = createDashboard({ reads: w.store, workers: () => w.engine.workers(), version: "0.0.0-test", now, live });
  const app = createApp({
    engine: w.engine,
    reads: w.store,
    version: "0.0.0-test",
    startedAt: now(),
    now,
    mounts: [{ path: "/ui", app: dashboard }],
    home: "/ui/",
  });
  return {
    ...w,
    app,
    live,
    async page(path) {
      const res = await app.request(path);
      return {
        status: res.status,
        type: res.headers.get("content-type") ?? "",
        html: await res.text(),
        location: res.headers.get("location"),
      };
    },
    async close() {
      live.close();
      await w.engine.stop(1000);
      await w.store.close();
    },
  };
}
