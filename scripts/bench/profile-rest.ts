/**
 * Where the REST path's time goes (issue 18): runs `baton serve` from source with the
 * single-task `noop` job, drives it with `load.ts` like `rest-reference`, then prints where the
 * server's main thread spent its CPU profile's samples (by part, and the functions with most
 * self time) and, from a second run with `statement-timing.ts` preloaded, the time of every
 * SQL statement. The server's CPU time per execution (all threads, from /proc) comes with each.
 *
 *   bun scripts/bench/profile-rest.ts [LIMIT=10] [CONNECTIONS=16] [EXECUTIONS=30000]
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, cpuMs, freePort, ONE_TASK, ROOT, tempDir, waitUntil } from "./common.ts";

const [limit = 10, connections = 16, n = 30_000] = process.argv.slice(2).map(Number);
if (![limit, connections, n].every((v) => Number.isInteger(v) && v > 0)) {
  process.stderr.write("usage: bun scripts/bench/profile-rest.ts [LIMIT] [CONNECTIONS] [EXECUTIONS] (positive integers)\n");
  process.exit(2);
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

async function serveAndLoad(bunFlags: string[]): Promise<{ stderr: string; cpuUsPerExecution: number }> {
  const jobs = tempDir();
  writeFileSync(join(jobs, "one.json"), JSON.stringify(ONE_TASK));
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const argv = [BUN, ...bunFlags, join(ROOT, "src/cli/main.ts"), "serve", "--host", "127.0.0.1", "--port", String(port)];
  argv.push("--db", join(tempDir(), "baton.db"), "--jobs", jobs, "--max-concurrent-jobs", String(limit), "--log-level", "error");
  const server = Bun.spawn(argv, { stdout: "ignore", stderr: "pipe" });
  await waitUntil("the server to listen", async () => (await fetch(`${url}/healthz`).catch(() => null))?.ok === true, 30_000, 50);
  const cpu0 = cpuMs(server.pid);
  const load = Bun.spawn([BUN, join(ROOT, "scripts/bench/load.ts"), `${url}/jobs/one/execute`, String(n), String(connections)]);
  await load.exited;
  const executed = async () => ((await (await fetch(`${url}/system/state`)).json()) as { executedJobs: number }).executedJobs;
  await waitUntil("every execution to complete", async () => (await executed()) >= n, 600_000, 20);
  const cpuUsPerExecution = ((cpuMs(server.pid) - cpu0) * 1000) / n;
  server.kill("SIGTERM");
  const stderr = await new Response(server.stderr).text();
  await server.exited;
  return { stderr, cpuUsPerExecution };
}

/** The part of the server a sample's function belongs to. */
function partOf(url: string, name: string): string {
  if (url === "")
    return name === "run" || name === "get" || name === "all" ? "SQLite (bun:sqlite statements)" : `native: ${name || "(anonymous)"}`;
  if (url.includes("node_modules/")) return `package ${url.split("node_modules/")[1]!.split("/")[0]}`;
  if (url.startsWith("bun:")) return url;
  const src = url.indexOf("/src/");
  return src >= 0 ? url.slice(src + 1, url.lastIndexOf("/") + 1) : url;
}

function summarize(profile: CpuProfile): string {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parts = new Map<string, number>();
  const functions = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const { functionName, url, lineNumber } = nodes.get(id)!.callFrame;
    total += dt;
    const part = partOf(url, functionName);
    parts.set(part, (parts.get(part) ?? 0) + dt);
    const fn = `${functionName || "(anonymous)"} ${url ? `${url.slice(url.lastIndexOf("/") + 1)}:${lineNumber + 1}` : "(native)"}`;
    functions.set(fn, (functions.get(fn) ?? 0) + dt);
  });
  const top = (m: Map<string, number>, k: number) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, us]) => `${((us / total) * 100).toFixed(1).padStart(6)}%  ${name}`)
      .join("\n");
  return `main thread samples by part:\n${top(parts, 16)}\n\nfunctions with most self time:\n${top(functions, 20)}`;
}

const profileDir = tempDir();
const profiled = await serveAndLoad(["--cpu-prof", "--cpu-prof-interval=100", `--cpu-prof-dir=${profileDir}`]);
const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
if (!file) throw new Error(`no CPU profile was written in ${profileDir}`);
console.log(`limit ${limit}, ${connections} connections, ${n} executions of a single-task noop`);
console.log(`CPU profile (server CPU ${profiled.cpuUsPerExecution.toFixed(0)} us per execution, profiler included):\n`);
console.log(summarize(JSON.parse(readFileSync(join(profileDir, file), "utf8")) as CpuProfile));
const timedRun = await serveAndLoad(["--preload", join(ROOT, "scripts/bench/statement-timing.ts")]);
console.log(`\nstatement timing (server CPU ${timedRun.cpuUsPerExecution.toFixed(0)} us per execution, timing included):`);
console.log(timedRun.stderr.trim());
