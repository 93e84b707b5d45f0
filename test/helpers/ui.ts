/**
 * Test setup for the dashboard: the world of `setup.ts` (in-memory SQLite, fake clock, a
 * started engine) with the API app and the dashboard mounted under `/ui` as `baton serve`
 * mounts it, called with `app.request()` (no server). With `tokens`, the API's middleware and
 * the dashboard's login sessions are installed as `baton serve --tokens` installs them, on the
 * fake clock; the token list can be edited in place to revoke one.
 */
import type { Hono } from "hono";
import { createApp } from "../../src/api/app.ts";
import { AuthFailures, authenticate } from "../../src/api/auth.ts";
import { Sessions } from "../../src/api/sessions.ts";
import type { TokenEntry } from "../../src/domain/auth.ts";
import type { TaskFunction } from "../../src/domain/function.ts";
import { BulkOperations } from "../../src/engine/services/bulk.ts";
import { newToken, tokenDigest, tokenVerifier } from "../../src/platform/tokens.ts";
import { DASHBOARD_GATE } from "../../src/ui/access.tsx";
import { createDashboard } from "../../src/ui/app.tsx";
import { LiveFeed } from "../../src/ui/live.ts";
import { recordingLogger, setupStarted, type TestWorld } from "./setup.ts";

export interface UiAnswer {
  status: number;
  type: string;
  html: string;
  location: string | null;
  /** Every Set-Cookie header of the answer. */
  cookies: string[];
}

export interface UiWorld extends TestWorld {
  app: Hono;
  /** The dashboard's live updates, ticking on the fake clock. */
  live: LiveFeed;
  /** GET `path`: the status, the content type and the body as text. */
  page(path: string, headers?: Record<string, string>): Promise<UiAnswer>;
  /** POST a form (urlencoded) to `path`. */
  post(path: string, form: Record<string, string>, headers?: Record<string, string>): Promise<UiAnswer>;
  /** With tokens: the sessions, the token list (edit it to revoke a token), the limiter and what was logged. */
  sessions: Sessions | null;
  tokens: TokenEntry[];
  failures: AuthFailures;
  logs: ReturnType<typeof recordingLogger>;
  /** The bulk operations' service, not started: tests run its batches with `runBatch`. */
  bulk: BulkOperations;
  close(): Promise<void>;
}

/** The peer address the requests come from, as the server would pass it. */
export const PEER = "192.0.2.1";

/** A token and its entry for the token list. */
export function tokenFor(name: string, role: TokenEntry["role"]): { token: string; entry: TokenEntry } {
  const token = newToken();
  return { token, entry: { name, role, sha256: tokenDigest(token) } };
}

export async function uiWorld(functions: Record<string, TaskFunction> = {}, options: { tokens?: TokenEntry[] } = {}): Promise<UiWorld> {
  const w = await setupStarted({ functions });
  const now = () => w.clock.now();
  const live = new LiveFeed({ reads: w.store, clock: w.clock });
  const logs = recordingLogger();
  const tokens = options.tokens ?? [];
  const failures = new AuthFailures(5, 60_000, now);
  const sessions =
    options.tokens === undefined
      ? null
      : new Sessions({ verify: (t) => tokenVerifier(tokens)(t), digest: tokenDigest, entries: () => tokens, newId: newToken, now });
  let operations = 0;
  const bulk = new BulkOperations({
    store: w.store.operations,
    reads: w.store,
    commands: w.engine,
    clock: w.clock,
    logger: logs,
    newId: () => `op-${++operations}`,
  });
  const dashboard = createDashboard({
    reads: w.store,
    workers: () => w.engine.workers(),
    version: "0.0.0-test",
    now,
    commands: w.engine,
    access: sessions === null ? undefined : { sessions, failures, logger: logs },
    live,
    bulk: { create: (op) => bulk.create(op), interrupt: (id, actor) => bulk.interrupt(id, actor), reads: w.store.operations },
  });
  const app = createApp({
    engine: w.engine,
    reads: w.store,
    version: "0.0.0-test",
    startedAt: now(),
    now,
    mounts: [{ path: "/ui", app: dashboard }],
    home: "/ui/",
    before:
      sessions === null
        ? []
        : [
            authenticate({
              verify: (t) => tokenVerifier(tokens)(t),
              failures,
              logger: logs,
              dashboard: { ...DASHBOARD_GATE, sessions },
            }),
          ],
  });
  const answer = async (res: Response): Promise<UiAnswer> => ({
    status: res.status,
    type: res.headers.get("content-type") ?? "",
    html: await res.text(),
    location: res.headers.get("location"),
    cookies: res.headers.getSetCookie(),
  });
  return {
    ...w,
    app,
    live,
    sessions,
    tokens,
    failures,
    logs,
    bulk,
    async page(path, headers = {}) {
      return answer(await app.request(path, { headers }, { remoteAddress: PEER }));
    },
    async post(path, form, headers = {}) {
      const body = new URLSearchParams(form).toString();
      const init = { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded", ...headers } };
      return answer(await app.request(path, init, { remoteAddress: PEER }));
    },
    async close() {
      live.close();
      await w.engine.stop(1000);
      await w.store.close();
    },
  };
}
