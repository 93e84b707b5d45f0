/**
 * The same work under Bun and under Deno, side by side in one run (issue 19; no target, the
 * ratio is reported). `deno-rest-1task`: `dist/baton` and the server `npm run start:deno`
 * starts (its `deno run` line from package.json), both at limit 100 on fresh databases, each
 * getting 20,000 single-task `noop` executions over 32 connections in two halves, in the order
 * Bun, Deno, Deno, Bun (reversed in even rounds): completed/s of each and `denoToBun`.
 * `deno-engine-1task`: `engine-runtime.ts` (20,000 executions submitted at once in process,
 * limit 10) run by `bun` and by `deno run`, the order alternating by round.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, ROOT, type Server, startServer, tempDir } from "../common.ts";
import { jobsDir, loadUntilCompleted } from "./rest.ts";
import type { Sizes, Variant } from "./types.ts";

const DENO = join(ROOT, "node_modules", ".bin", "deno");

/** `npm run start:deno`'s command, with `deno` from node_modules: what a user runs. */
function startDeno(): string[] {
  const scripts = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
  const line = scripts["start:deno"];
  if (!line?.startsWith("deno run ")) throw new Error('package.json has no "start:deno" script starting with "deno run"');
  const [, ...rest] = line.split(/\s+/);
  return [DENO, ...rest];
}

async function pass(server: Server, n: number, connections: number): Promise<{ done: number; seconds: number }> {
  const r = await loadUntilCompleted(server.url, "one", n, connections);
  if (r.failed > 0) throw new Error(`${r.failed} of ${n} requests failed`);
  return { done: r.accepted, seconds: r.elapsed };
}

export function denoRest1Task(sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  const connections = 32;
  let rounds = 0;
  return {
    workload: "deno-rest-1task",
    params: { limit: 100, executions: n, connections },
    async run(sync) {
      rounds++;
      const bun = await startServer({ db: join(tempDir(), "bun.db"), jobs: jobsDir(), sync, limit: 100 });
      const deno = await startServer({ db: join(tempDir(), "deno.db"), jobs: jobsDir(), sync, limit: 100, command: startDeno() });
      try {
        const totals = new Map([bun, deno].map((s) => [s, { done: 0, seconds: 0 }]));
        const order = rounds % 2 === 1 ? [bun, deno, deno, bun] : [deno, bun, bun, deno];
        for (const server of order) {
          const r = await pass(server, n / 2, connections);
          const t = totals.get(server)!;
          t.done += r.done;
          t.seconds += r.seconds;
        }
        const rate = (s: Server) => totals.get(s)!.done / totals.get(s)!.seconds;
        return { bunCompletedPerSec: rate(bun), denoCompletedPerSec: rate(deno), denoToBun: rate(deno) / rate(bun) };
      } finally {
        await Promise.all([bun.stop(), deno.stop()]);
      }
    },
    targets: () => [],
    perRun: ["denoToBun"],
  };
}

async function engineOn(argv: string[], limit: number, n: number, sync: string): Promise<number> {
  const proc = Bun.spawn([...argv, join(ROOT, "scripts", "bench", "engine-runtime.ts"), String(limit), String(n), sync], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "inherit",
  });
  const [text, code] = await Promise.all([new Response(proc.stdout).text(), proc.exited]);
  if (code !== 0) throw new Error(`${argv[0]} engine-runtime.ts exited with ${code}`);
  return (JSON.parse(text) as { executionsPerSec: number }).executionsPerSec;
}

export function denoEngine1Task(sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  const limit = 10;
  const denoRun = [DENO, "run", "--config", "deno.json", "--allow-read", "--allow-write", "--allow-env", "--allow-sys=uid,statfs"];
  let rounds = 0;
  return {
    workload: "deno-engine-1task",
    params: { limit, executions: n },
    async run(sync) {
      rounds++;
      const bunFirst = rounds % 2 === 1;
      const first = await engineOn(bunFirst ? [BUN] : denoRun, limit, n, sync);
      const second = await engineOn(bunFirst ? denoRun : [BUN], limit, n, sync);
      const [bunRate, denoRate] = bunFirst ? [first, second] : [second, first];
      return { bunExecutionsPerSec: bunRate, denoExecutionsPerSec: denoRate, denoToBun: denoRate / bunRate };
    },
    targets: () => [],
    perRun: ["denoToBun"],
  };
}
