/**
 * Test setup for the API suites: a fresh in-memory database, a started engine with the
 * built-in functions, and the app, called with `app.request()` (no server).
 */
import type { Hono } from "hono";
import { createApp } from "../../src/api/app.ts";
import { AuthFailures, authenticate } from "../../src/api/auth.ts";
import { watchGauges } from "../../src/cli/gauges.ts";
import type { TokenEntry } from "../../src/domain/auth.ts";
import type { FunctionRegistry } from "../../src/domain/function.ts";
import { type Logger, silentLogger } from "../../src/domain/log.ts";
import { Engine } from "../../src/engine/engine.ts";
import { PrometheusMetrics } from "../../src/platform/metrics.ts";
import { tokenVerifier } from "../../src/platform/tokens.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { builtinFunctions } from "../../src/tasks/registry.ts";

export const TEST_VERSION = "0.0.0-test";

export interface Answer {
  status: number;
  headers: Headers;
  /** Parsed JSON, the text of a body that is not JSON (the reference page), or null for an empty body. */
  body: any;
}

export interface Setup {
  store: SqliteStore;
  engine: Engine;
  app: Hono;
  /** A JSON request; `body` is sent as is when it is a string or a stream, as JSON otherwise. */
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** Registers a definition (expects 200 or 201). */
  define(def: Record<string, unknown>): Promise<void>;
  /** Starts an execution (expects 202) and returns its id. */
  execute(definitionId: string, input?: Record<string, unknown>): Promise<string>;
  /** Everything a read can see: the job list and every version of every definition. */
  snapshot(): Promise<unknown>;
  close(): Promise<void>;
}

export async function setup(
  options: {
    maxConcurrentJobs?: number;
    startedAt?: number;
    store?: SqliteStore;
    functions?: FunctionRegistry;
    allowShellApi?: boolean;
    /** Requests need one of these tokens (the middleware of `baton serve --tokens`). */
    tokens?: TokenEntry[];
    /** Failed authentications allowed per address and minute. @default 1000 */
    authFailures?: AuthFailures;
    /** The peer address the requests come from, as the server would pass it. @default "192.0.2.1" */
    peer?: string;
    logger?: Logger;
    /** Installs the access log (`--access-log`) writing here. */
    accessLogger?: Logger;
    /** `--backup-dir`: where POST /system/backup writes (needs a store on a file). @default off */
    backupDir?: string;
    /** `--metrics-auth`: with tokens, /metrics needs `read`. @default false */
    metricsAuth?: boolean;
  } = {},
): Promise<Setup> {
  const store = options.store ?? SqliteStore.open({ path: ":memory:" });
  const functions = options.functions ?? builtinFunctions();
  const metrics = new PrometheusMetrics();
  const engine = new Engine({ store, functions, maxConcurrentJobs: options.maxConcurrentJobs ?? 10, metrics });
  watchGauges(metrics, engine, store, null, { version: TEST_VERSION, runtime: "bun test" });
  await engine.start();
  const app = createApp({
    engine,
    reads: store,
    version: TEST_VERSION,
    startedAt: options.startedAt ?? Date.now(),
    allowShellApi: options.allowShellApi ?? false,
    backups: options.backupDir === undefined ? null : { store, dir: options.backupDir },
    metrics,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.accessLogger ? { accessLogger: options.accessLogger } : {}),
    before: options.tokens
      ? [
          authenticate({
            verify: tokenVerifier(options.tokens),
            failures: options.authFailures ?? new AuthFailures(1000, 60_000),
            logger: options.logger ?? silentLogger,
            metricsAuth: options.metricsAuth ?? false,
          }),
        ]
      : [],
  });

  const call: Setup["call"] = async (method, path, body, headers = {}) => {
    const init: RequestInit & { duplex?: "half" } = { method, headers };
    if (body !== undefined) {
      init.body = typeof body === "string" || body instanceof ReadableStream ? body : JSON.stringify(body);
      if (body instanceof ReadableStream) init.duplex = "half";
    }
    const res = await app.request(path, init, { remoteAddress: options.peer ?? "192.0.2.1" });
    const text = await res.text();
    const json = text !== "" && /json/.test(res.headers.get("content-type") ?? "json");
    return { status: res.status, headers: res.headers, body: json ? JSON.parse(text) : text === "" ? null : text };
  };

  return {
    store,
    engine,
    app,
    call,
    async define(def) {
      const res = await call("POST", "/job-definitions", def);
      if (res.status !== 200 && res.status !== 201) throw new Error(`define failed: ${res.status} ${JSON.stringify(res.body)}`);
    },
    async execute(definitionId, input = {}) {
      const res = await call("POST", `/jobs/${definitionId}/execute`, input);
      if (res.status !== 202) throw new Error(`execute failed: ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.executionID as string;
    },
    async snapshot() {
      const jobs = await call("GET", `/jobs?limit=500`);
      const defs = await call("GET", "/job-definitions");
      const versions = [];
      for (const d of defs.body as { id: string }[]) {
        const one = await call("GET", `/job-definitions/${d.id}`);
        for (const v of one.body.versions as number[]) versions.push((await call("GET", `/job-definitions/${d.id}?version=${v}`)).body);
      }
      return { jobs: jobs.body, defs: defs.body, versions };
    },
    async close() {
      await engine.stop(1000);
      store.close();
    },
  };
}

/** A definition of one or more tasks, each running `functionName` (default noop). */
export function definition(
  id: string,
  tasks: Record<string, unknown>[] = [{ id: "only", functionName: "noop" }],
  extra: Record<string, unknown> = {},
) {
  return { id, name: `Test ${id}`, tasks, ...extra };
}

/** A body of `bytes` bytes sent in chunks, without a Content-Length. */
export function chunkedBody(bytes: number, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const n = Math.min(chunk, bytes - sent);
      controller.enqueue(new Uint8Array(n).fill(0x20));
      sent += n;
    },
  });
}
