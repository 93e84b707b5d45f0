/**
 * Shared pieces of the benchmark: statistics, the compiled binary (built only when missing
 * or older than the sources), starting and always killing it, and seeding databases in bulk.
 */
import { Database } from "bun:sqlite";
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { SqliteStore } from "../../src/store/sqlite/store.ts";

export const ROOT = join(import.meta.dir, "..", "..");
export const BINARY = join(ROOT, "dist", "baton");
const BUN = process.execPath;

// ---- statistics ----

export interface Spread {
  median: number;
  min: number;
  max: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median: round(median), min: round(sorted[0]!), max: round(sorted[sorted.length - 1]!) };
}

export function percentile(sortedAsc: number[], p: number): number {
  if (sortedAsc.length === 0) return Number.NaN;
  return sortedAsc[Math.min(sortedAsc.length - 1, Math.floor((sortedAsc.length * p) / 100))]!;
}

export const round = (n: number) => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100);

export const log = (line: string) => process.stderr.write(`${line}\n`);

// ---- temp folders and processes, always cleaned up ----

const cleanups: (() => void)[] = [];
process.on("exit", () => {
  for (const c of cleanups.splice(0).reverse()) {
    try {
      c();
    } catch {
      // best effort at exit
    }
  }
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(130));

/** Runs `cleanup` when the benchmark exits, however it exits (e.g. to kill a process it started). */
export function atExit(cleanup: () => void): void {
  cleanups.push(cleanup);
}

export function tempDir(prefix = "baton-bench-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Builds dist/baton only when it is missing or older than any source file. */
export async function ensureBinary(): Promise<void> {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs,
      ),
    );
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= Math.max(newest(join(ROOT, "src")), statSync(join(ROOT, "package.json")).mtimeMs))
    return;
  log("building dist/baton (missing or older than src/)…");
  const proc = Bun.spawn([BUN, join(ROOT, "scripts", "build.ts")], { cwd: ROOT, stdout: "ignore", stderr: "inherit" });
  if ((await proc.exited) !== 0) throw new Error("npm run build failed");
}

export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = server.port;
  server.stop(true);
  return port;
}

export interface Server {
  url: string;
  proc: Subprocess;
  /** ms from spawn to the first /healthz 200 */
  startMs: number;
  stop(): Promise<void>;
}

/** Starts `dist/baton serve` on 127.0.0.1 and waits for /healthz; killed at exit whatever happens. */
export async function startServer(args: {
  db: string;
  jobs?: string;
  sync: string;
  limit: number;
  pollMs?: number;
  /** More flags for `baton serve`. */
  extra?: string[];
  /** What runs `serve` instead of `dist/baton serve` (e.g. `deno run … src/cli/main.ts serve`), from the repository. */
  command?: string[];
}): Promise<Server> {
  const port = freePort();
  const argv = [
    ...(args.command ?? [BINARY, "serve"]),
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--db",
    args.db,
    "--sync",
    args.sync,
    "--max-concurrent-jobs",
    String(args.limit),
    "--log-level",
    "error",
  ];
  if (args.jobs) argv.push("--jobs", args.jobs);
  argv.push(...(args.extra ?? []));
  const t0 = performance.now();
  const env = { PATH: process.env.PATH ?? "", ...(args.command ? { HOME: process.env.HOME ?? tmpdir() } : {}) };
  const proc = Bun.spawn(argv, { cwd: args.command ? ROOT : tmpdir(), stdout: "ignore", stderr: "inherit", env });
  cleanups.push(() => proc.kill("SIGKILL"));
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`baton exited with ${proc.exitCode} before serving`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {
      // not listening yet
    }
    if (performance.now() - t0 > 30_000) throw new Error("baton did not serve within 30 s");
    await Bun.sleep(args.pollMs ?? 2);
  }
  const startMs = performance.now() - t0;
  return {
    url,
    proc,
    startMs,
    async stop() {
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
}

/** The kernel's clock ticks a second: the unit of a process's CPU times in `/proc/PID/stat`. */
export const CLK_TCK = Number(new TextDecoder().decode(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout).trim()) || 100;

/** CPU time a process has used, in ms (user + system), at the kernel's tick resolution; Linux only. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start at state, field 3; utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

export function rssMiB(pid: number): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN);
  return round(kb / 1024);
}

export async function waitUntil(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 600_000, everyMs = 5): Promise<void> {
  const t0 = performance.now();
  while (!(await check())) {
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(everyMs);
  }
}

// ---- seeding ----

export const ONE_TASK = { id: "one", tasks: [{ id: "a", functionName: "noop" }] };

/** Creates the schema (through the store's migrations) and registers `definitions` as version 1. */
export function createDatabase(path: string, definitions: Record<string, unknown>[]): Database {
  SqliteStore.open({ path }).close();
  const db = new Database(path, { strict: true });
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF");
  const insert = db.prepare("INSERT INTO job_definitions (id, version, body, canonical, created_at) VALUES (?1, 1, ?2, ?3, ?4)");
  for (const d of definitions) insert.run(String(d.id), JSON.stringify(d), canonical(d), Date.now());
  return db;
}

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(
          Object.keys(v)
            .sort()
            .map((k) => [k, (v as Record<string, unknown>)[k]]),
        )
      : v,
  );

export interface SeedRow {
  status: "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "CANCELLED";
  definitionId: string;
}

/** Inserts executions of one-task definitions (task `a`), with the task's state and their events, 10,000 per transaction. */
export function seedExecutions(db: Database, count: number, row: (i: number) => SeedRow): void {
  const exec = db.prepare(
    `INSERT INTO executions (id, definition_id, definition_version, status, input, output, error, created_at, started_at, end_time, tasks)
     VALUES (?1, ?2, 1, ?3, '{}', ?4, ?5, ?6, ?7, ?8, ?9)`,
  );
  const event = db.prepare("INSERT INTO events (execution_seq, at, type, task_id, attempt, data) VALUES (?1, ?2, ?3, ?4, ?5, NULL)");
  const base = Date.now() - count;
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const { status, definitionId } = row(i);
      const at = base + i;
      const id = `${at.toString(16).padStart(12, "0")}-seed-${i.toString(16).padStart(8, "0")}`;
      const done = status === "COMPLETED" || status === "FAILED" || status === "CANCELLED";
      const started = status !== "QUEUED" && status !== "CANCELLED";
      const error = status === "FAILED" ? JSON.stringify({ taskId: "a", name: "TaskFailed", message: "seeded" }) : null;
      const task = {
        taskId: "a",
        name: "a",
        status: status === "QUEUED" ? "PENDING" : status,
        attempts: started ? 1 : 0,
        startedAt: started ? at : null,
        endTime: done && started ? at : null,
        nextAttemptAt: null,
        error: status === "FAILED" ? { name: "TaskFailed", message: "seeded" } : null,
        attemptBase: 0,
        carriedOver: false,
      };
      const seq = exec.run(
        id,
        definitionId,
        status,
        status === "COMPLETED" ? '{"a":null}' : null,
        error,
        at,
        started ? at : null,
        done ? at : null,
        JSON.stringify([task]),
      ).lastInsertRowid;
      event.run(seq, at, "ExecutionQueued", null, null);
      if (started) {
        event.run(seq, at, "ExecutionStarted", null, null);
        event.run(seq, at, "TaskStarted", "a", 1);
      }
    }
  });
  for (let from = 0; from < count; from += 10_000) batch(from, Math.min(count, from + 10_000));
  db.exec("UPDATE execution_counts SET n = (SELECT COUNT(*) FROM executions WHERE executions.status = execution_counts.status)");
}

export { BUN };

/**
 * A database of `count` executions seeded in bulk (`createDatabase`, `seedExecutions` with
 * `row`), made on the first call only (seeding a million takes a while); `after` sees it
 * before it is closed. Returns the seeded file: measure on a `freshCopy` of it.
 */
export function seededOnce(
  definitions: Record<string, unknown>[],
  count: number,
  row: (i: number) => SeedRow,
  after: (db: Database) => void = () => {},
): () => string {
  let seeded: string | undefined;
  return () => {
    if (seeded) return seeded;
    const path = join(tempDir(), "seeded.db");
    const t = performance.now();
    log(`  seeding ${count.toLocaleString("en")} executions…`);
    const db = createDatabase(path, definitions);
    seedExecutions(db, count, row);
    after(db);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    db.close();
    log(`  seeded in ${Math.round((performance.now() - t) / 1000)} s`);
    seeded = path;
    return path;
  };
}

/**
 * `seeded` copied to `name` in a new folder and flushed to disk: a fresh copy is page cache not
 * yet written, which the first measured checkpoint's fsync would otherwise flush and stall on.
 */
export function freshCopy(seeded: string, name = "baton.db", dir = tempDir()): string {
  const path = join(dir, name);
  copyFileSync(seeded, path);
  syncFile(path);
  return path;
}

export function syncFile(path: string): void {
  const fd = openSync(path, "r");
  fsyncSync(fd);
  closeSync(fd);
}

/** Three single-task definitions and a history over them, 1 in 20 FAILED and 1 in 20 CANCELLED: `history` and `dashboard`. */
export const HISTORY_DEFINITIONS = ["alpha", "beta", "gamma"].map((id) => ({ ...ONE_TASK, id }));
export const historyRow = (i: number): SeedRow => ({
  status: i % 20 === 0 ? "FAILED" : i % 20 === 1 ? "CANCELLED" : "COMPLETED",
  definitionId: HISTORY_DEFINITIONS[i % 3]!.id,
});
