/**
 * remote-1task: single-task executions whose task runs in worker processes over HTTP. Eight
 * copies of examples/workers/worker.mjs (run by Bun, each polling with max 16) do the work on
 * loopback. Every run is one round comparing the two paths on two fresh `dist/baton`s started
 * side by side: one whose `noop` task runs in process (rest-1task's path) and one whose `echo`
 * task is remote, with the workers polling it. Each side gets its executions in two halves,
 * in the order local, remote, remote, local (the reverse in even rounds), so that a machine
 * whose speed drifts weighs on both sides alike; the ratio is taken per round. Besides the
 * rates, the server's CPU time per execution of each path (and the workers' per remote
 * execution), read from /proc, which moves less with the load of other processes than rates do.
 * Target: the remote path completes at least half as many executions per second.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { BUN, cpuMs, log, ONE_TASK, ROOT, round, type Server, startServer, tempDir } from "../common.ts";
import { loadUntilCompleted } from "./rest.ts";
import type { Sizes, Sync, Variant } from "./types.ts";

const WORKERS = 8;
const MAX_PER_POLL = 16;
const REMOTE_ONE = { id: "remote-one", tasks: [{ id: "a", functionName: "echo", remote: true }] };

/** CPU time (user + system) of a process so far, in µs. */
const cpuUs = (pid: number) => cpuMs(pid) * 1000;

interface Side {
  server: Server;
  definitionId: string;
  workers: Subprocess[];
  executions: number;
  seconds: number;
  serverCpuUs: number;
  workerCpuUs: number;
}

/** Submits `n` executions and waits until every accepted one completed, adding the time and CPU spent to `side`. */
async function half(side: Side, n: number, connections: number): Promise<void> {
  const { url } = side.server;
  const cpu = () => [cpuUs(side.server.proc.pid), side.workers.reduce((sum, w) => sum + cpuUs(w.pid), 0)] as const;
  const [server0, workers0] = cpu();
  const r = await loadUntilCompleted(url, side.definitionId, n, connections);
  side.seconds += r.elapsed;
  const [server1, workers1] = cpu();
  side.executions += r.accepted;
  side.serverCpuUs += server1 - server0;
  side.workerCpuUs += workers1 - workers0;
}

async function startSide(kind: "local" | "remote", sync: Sync): Promise<Side> {
  const jobs = tempDir();
  writeFileSync(join(jobs, "one.json"), JSON.stringify(ONE_TASK));
  writeFileSync(join(jobs, "remote-one.json"), JSON.stringify(REMOTE_ONE));
  const server = await startServer({ db: join(tempDir(), "baton.db"), jobs, sync, limit: 100 });
  const workers =
    kind === "local"
      ? []
      : Array.from({ length: WORKERS }, (_, i) =>
          Bun.spawn([BUN, join(ROOT, "examples", "workers", "worker.mjs")], {
            env: { BATON_URL: server.url, WORKER_ID: `bench-${i}`, WORKER_MAX: String(MAX_PER_POLL) },
            stdout: "ignore",
            stderr: "inherit",
          }),
        );
  const definitionId = kind === "local" ? "one" : "remote-one";
  return { server, definitionId, workers, executions: 0, seconds: 0, serverCpuUs: 0, workerCpuUs: 0 };
}

export function remote1Task(sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  const connections = 32;
  let rounds = 0;
  return {
    workload: "remote-1task",
    params: { limit: 100, executions: n, connections, workers: WORKERS, maxPerPoll: MAX_PER_POLL },
    async run(sync) {
      rounds++;
      const local = await startSide("local", sync);
      const remote = await startSide("remote", sync);
      try {
        const order = rounds % 2 === 1 ? [local, remote, remote, local] : [remote, local, local, remote];
        for (const side of order) await half(side, n / 2, connections);
      } finally {
        for (const w of remote.workers) w.kill("SIGKILL");
        await Promise.all([local.server.stop(), remote.server.stop()]);
      }
      const rate = (s: Side) => s.executions / s.seconds;
      const metrics = {
        restCompletedPerSec: rate(local),
        remoteCompletedPerSec: rate(remote),
        remoteToRest: rate(remote) / rate(local),
        restServerCpuUsPerExecution: local.serverCpuUs / local.executions,
        remoteServerCpuUsPerExecution: remote.serverCpuUs / remote.executions,
        remoteWorkersCpuUsPerExecution: remote.workerCpuUs / remote.executions,
      };
      const shown = Object.entries(metrics).map(([k, v]) => `${k} ${round(v)}`);
      log(`  round ${rounds} (${rounds % 2 === 1 ? "local first" : "remote first"}): ${shown.join(", ")}`);
      return metrics;
    },
    targets: () => [{ metric: "remoteToRest", min: 0.5 }],
  };
}
