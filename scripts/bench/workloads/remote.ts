/**
 * remote-1task: single-task executions whose task runs in worker processes over HTTP. Eight
 * copies of examples/workers/worker.mjs (run by Bun, each polling with max 16) do the work on
 * loopback; the same run measures rest-1task's local-function path first, so the ratio of the
 * two compares like with like on a machine whose speed varies. Target: the remote path
 * completes at least half as many executions per second.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, ONE_TASK, ROOT, startServer, tempDir, waitUntil } from "../common.ts";
import { executedJobs, load } from "./rest.ts";
import type { Sizes, Sync, Variant } from "./types.ts";

const WORKERS = 8;
const MAX_PER_POLL = 16;
const REMOTE_ONE = { id: "remote-one", tasks: [{ id: "a", functionName: "echo", remote: true }] };

/** Submits `n` executions of `definitionId` and waits until every accepted one completed; executions per second. */
async function completedPerSec(url: string, definitionId: string, n: number, connections: number): Promise<number> {
  const before = await executedJobs(url);
  const t0 = performance.now();
  const r = await load(`${url}/jobs/${definitionId}/execute`, n, connections);
  await waitUntil("every execution to complete", async () => (await executedJobs(url)) - before >= r.accepted, 600_000, 10);
  return r.accepted / ((performance.now() - t0) / 1000);
}

async function measure(sync: Sync, n: number, connections: number): Promise<{ rest: number; remote: number }> {
  const jobs = tempDir();
  writeFileSync(join(jobs, "one.json"), JSON.stringify(ONE_TASK));
  writeFileSync(join(jobs, "remote-one.json"), JSON.stringify(REMOTE_ONE));
  const server = await startServer({ db: join(tempDir(), "baton.db"), jobs, sync, limit: 100 });
  const workers = Array.from({ length: WORKERS }, (_, i) =>
    Bun.spawn([BUN, join(ROOT, "examples", "workers", "worker.mjs")], {
      env: { BATON_URL: server.url, WORKER_ID: `bench-${i}`, WORKER_MAX: String(MAX_PER_POLL) },
      stdout: "ignore",
      stderr: "inherit",
    }),
  );
  try {
    const rest = await completedPerSec(server.url, "one", n, connections);
    const remote = await completedPerSec(server.url, "remote-one", n, connections);
    return { rest, remote };
  } finally {
    for (const w of workers) w.kill("SIGKILL");
    await server.stop();
  }
}

export function remote1Task(sizes: Sizes): Variant {
  const n = sizes.quick ? 2_000 : 20_000;
  const connections = 32;
  return {
    workload: "remote-1task",
    params: { limit: 100, executions: n, connections, workers: WORKERS, maxPerPoll: MAX_PER_POLL },
    async run(sync) {
      const { rest, remote } = await measure(sync, n, connections);
      return { restCompletedPerSec: rest, remoteCompletedPerSec: remote, remoteToRest: remote / rest };
    },
    targets: () => [{ metric: "remoteToRest", min: 0.5 }],
  };
}
