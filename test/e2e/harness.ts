/**
 * End-to-end harness: starts the compiled dist/baton on a free 127.0.0.1 port, talks to it
 * over HTTP only, and kills every process it started when the suite ends. With
 * BATON_E2E_RUNTIME=deno (`npm run test:deno`) it starts `npm run start:deno`'s command line
 * instead: the same source under `deno run`, with the same permission flags.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { onTestRunEnd } from "../helpers/global-cleanup.ts";

export const ROOT = join(import.meta.dir, "..", "..");
export const BINARY = join(ROOT, "dist", "baton");
export const JOBS = join(ROOT, "jobs");

/** Which runtime runs the server the tests start: `bun` (dist/baton) or `deno` (`npm run start:deno`). */
export const E2E_RUNTIME: "bun" | "deno" = process.env.BATON_E2E_RUNTIME === "deno" ? "deno" : "bun";

/**
 * `baton` as `npm run start:deno` runs it, without its `serve`: package.json's line with `deno`
 * taken from node_modules/.bin and its files (deno.json, src/cli/main.ts) made absolute, so it
 * runs from any folder. Every subcommand goes after it, as after dist/baton.
 */
function denoCommand(): string[] {
  const line: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts["start:deno"];
  const words = line.trim().split(/\s+/);
  if (words[0] !== "deno" || words.at(-1) !== "serve")
    throw new Error(`package.json's start:deno should be "deno run … serve", is "${line}"`);
  return words
    .slice(0, -1)
    .map((w, i) =>
      i === 0 ? join(ROOT, "node_modules", ".bin", "deno") : !w.startsWith("-") && existsSync(join(ROOT, w)) ? join(ROOT, w) : w,
    );
}

/** The command that starts Baton on `runtime`: dist/baton, or `npm run start:deno`'s line. */
export const batonCommand = (runtime: "bun" | "deno"): string[] => (runtime === "deno" ? denoCommand() : [BINARY]);

/** The command that starts Baton when a test names no binary of its own. */
export const BATON_COMMAND: string[] = batonCommand(E2E_RUNTIME);

if (E2E_RUNTIME === "bun" && !existsSync(BINARY)) throw new Error(`${BINARY} is missing: run 'npm run build' (npm test does it)`);

const started = new Set<Subprocess>();
const dirs: string[] = [];

/** Kills every process started and removes every temporary folder made so far. */
function cleanup(): void {
  for (const proc of started) proc.kill("SIGKILL");
  started.clear();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

// This module is evaluated once for the whole run, so an afterAll here would belong to the
// first test file only: the preloaded global hook runs it after the last file.
onTestRunEnd(cleanup);

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "baton-e2e-"));
  dirs.push(dir);
  return dir;
}

/** A port nothing listens on right now. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

export interface Baton {
  url: string;
  port: number;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  /** Everything the process wrote to stderr so far. */
  logs(): string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  json<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  /** SIGKILL, then wait for the exit. */
  kill9(): Promise<void>;
  /** Sends a signal and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export interface StartOptions {
  db?: string;
  /** The jobs folder; null passes no --jobs flag. @default the repository's jobs/ */
  jobs?: string | null;
  port?: number;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  binary?: string;
  /** The whole command before the subcommand, e.g. `batonCommand("deno")`; wins over `binary`. */
  command?: string[];
}

type SpawnOptions = Pick<StartOptions, "cwd" | "env" | "binary" | "command">;

/** Spawns the binary without waiting for it (for tests of failed starts). */
export function spawnBaton(args: string[], options: SpawnOptions = {}) {
  const proc = Bun.spawn([...(options.command ?? (options.binary === undefined ? BATON_COMMAND : [options.binary])), ...args], {
    cwd: options.cwd ?? tempDir(),
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...options.env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  started.add(proc);
  void proc.exited.then(() => started.delete(proc));
  return proc;
}

/** Runs the binary to completion: exit code, stdout, stderr. */
export async function runBaton(args: string[], options: SpawnOptions = {}) {
  const proc = spawnBaton(args, options);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

/** Starts `baton serve` and resolves once /healthz answers 200. */
export async function startBaton(options: StartOptions = {}): Promise<Baton> {
  const port = options.port ?? freePort();
  const db = options.db ?? join(tempDir(), "baton.db");
  const args = [
    "serve",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--db",
    db,
    ...(options.jobs === null ? [] : ["--jobs", options.jobs ?? JOBS]),
    ...(options.args ?? []),
  ];
  const proc = spawnBaton(args, { cwd: options.cwd, env: options.env, binary: options.binary, command: options.command }) as Subprocess<
    "ignore",
    "pipe",
    "pipe"
  >;
  let stderr = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of proc.stderr) stderr += decoder.decode(chunk);
  })();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`baton exited with ${proc.exitCode} before serving:\n${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`baton did not answer /healthz within 15 s:\n${stderr}`);
    await Bun.sleep(20);
  }
  const request = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method,
      headers: body === undefined ? headers : { "content-type": "application/json", ...headers },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
  return {
    url,
    port,
    proc,
    logs: () => stderr,
    request,
    async json(method, path, body) {
      const res = await request(method, path, body);
      return { status: res.status, body: (await res.json()) as any };
    },
    async kill9() {
      proc.kill("SIGKILL");
      await proc.exited;
    },
    async stop(signal = "SIGTERM") {
      proc.kill(signal);
      return await proc.exited;
    },
  };
}

/** Polls `check` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(25);
  }
}

/** Registers a definition and fails the test unless it was accepted. */
export async function register(baton: Baton, definition: unknown): Promise<void> {
  const res = await baton.request("POST", "/job-definitions", definition);
  if (res.status !== 201 && res.status !== 200) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
}

export async function execute(baton: Baton, definitionId: string, input: unknown = {}): Promise<string> {
  const res = await baton.request("POST", `/jobs/${definitionId}/execute`, input);
  if (res.status !== 202) throw new Error(`execute failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { executionID: string }).executionID;
}

export async function state(baton: Baton, executionId: string): Promise<any> {
  return (await baton.json("GET", `/jobs/${executionId}/state`)).body;
}

export async function waitForStatus(baton: Baton, executionId: string, statuses: string[], ms = 30_000): Promise<any> {
  return waitFor(
    `${executionId} to reach ${statuses.join("|")}`,
    async () => {
      const s = await state(baton, executionId);
      return statuses.includes(s.status) ? s : undefined;
    },
    ms,
  );
}
