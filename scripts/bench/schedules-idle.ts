/**
 * Idle cost of schedules (#14): does a Baton with 1,000 schedules firing every minute use more
 * CPU between fires than one with none? Starts the compiled binary three times at once on
 * 127.0.0.1: no schedules (`plain`); 1,000 `* * * * *` schedules over 10 definitions
 * (`scheduled`, 1,000 executions a minute); and 1,000 schedules that never fire in the run
 * (`0 0 1 1 *`, `dormant`: the scheduler's own cost, without the executions' aftermath). It
 * lets the first minute's fires pass, then reads each process's CPU time (utime + stime of
 * /proc/<pid>/stat) over the same quiet window of each minute (seconds 20 to 55, after that
 * minute's 1,000 fires have run) and prints one JSON line per window and a summary with the ratios.
 *
 *   bun scripts/bench/schedules-idle.ts [--minutes N]      (default 3; takes N + 1 to N + 2 minutes)
 *
 * Not a workload of `npm run bench`: a window is 35 s of wall time, the sync level changes
 * nothing between fires (there are no writes), and repeating it per sync and run would add ten
 * minutes to a benchmark whose workloads measure throughput.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CLK_TCK, cpuMs, ensureBinary, log, round, rssMiB, type Server, startServer, tempDir } from "./common.ts";

const SCHEDULES = 1000;
const PER_DEFINITION = 100;
const WINDOW = { from: 20, to: 55 };

const { values } = parseArgs({ options: { minutes: { type: "string", default: "3" } }, strict: true });
const minutes = Number(values.minutes);
if (!Number.isInteger(minutes) || minutes < 1 || minutes > 30) {
  process.stderr.write("schedules-idle: --minutes must be a whole number from 1 to 30\n");
  process.exit(2);
}

/** Sleeps until the wall clock's second within the minute is `second` (the next such moment). */
async function untilSecond(second: number): Promise<void> {
  const now = Date.now();
  const minute = Math.floor(now / 60_000) * 60_000;
  let at = minute + second * 1000;
  if (at <= now) at += 60_000;
  await Bun.sleep(at - now);
}

await ensureBinary();
const dir = tempDir();
const jobs = join(dir, "jobs");
mkdirSync(jobs);
const [plain, scheduled, dormant] = (await Promise.all(
  ["plain", "scheduled", "dormant"].map((name) => startServer({ db: join(dir, `${name}.db`), jobs, sync: "normal", limit: 100 })),
)) as [Server, Server, Server];

/** Registers 1,000 schedules of `cron` over 10 definitions. */
async function schedule(server: Server, cron: string): Promise<void> {
  for (let d = 0; d < SCHEDULES / PER_DEFINITION; d++) {
    const schedules = Array.from({ length: PER_DEFINITION }, (_, i) => ({ id: `s${i}`, cron, overlap: "allow" }));
    const res = await fetch(`${server.url}/job-definitions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: `idle-${d}`, tasks: [{ id: "a", functionName: "noop" }], schedules }),
    });
    if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
  }
  const listed = (await (await fetch(`${server.url}/schedules`)).json()) as { schedules: unknown[] };
  if (listed.schedules.length !== SCHEDULES) throw new Error(`${listed.schedules.length} schedules listed, not ${SCHEDULES}`);
}
await schedule(scheduled, "* * * * *");
await schedule(dormant, "0 0 1 1 *");
log(`${SCHEDULES} schedules registered twice; waiting for the first minute's fires to pass`);

const windows: { plainCpuMs: number; scheduledCpuMs: number; dormantCpuMs: number; firedSoFar: number }[] = [];
await untilSecond(0);
for (let m = 0; m < minutes; m++) {
  await untilSecond(WINDOW.from);
  const [p0, s0, d0] = [plain, scheduled, dormant].map((s) => cpuMs(s.proc.pid)) as [number, number, number];
  await untilSecond(WINDOW.to);
  const window = {
    plainCpuMs: round(cpuMs(plain.proc.pid) - p0),
    scheduledCpuMs: round(cpuMs(scheduled.proc.pid) - s0),
    dormantCpuMs: round(cpuMs(dormant.proc.pid) - d0),
    firedSoFar: 0,
  };
  const counts = (await (await fetch(`${scheduled.url}/system/state`)).json()) as { executedJobs?: number };
  window.firedSoFar = counts.executedJobs ?? Number.NaN;
  windows.push(window);
  process.stdout.write(`${JSON.stringify({ window: `${WINDOW.from}s-${WINDOW.to}s of minute ${m + 1}`, ...window })}\n`);
}

const sum = (k: "plainCpuMs" | "scheduledCpuMs" | "dormantCpuMs") => windows.reduce((n, w) => n + w[k], 0);
const summary = {
  schedules: SCHEDULES,
  windows: windows.length,
  windowSeconds: WINDOW.to - WINDOW.from,
  tickMs: 1000 / CLK_TCK,
  plainCpuMs: round(sum("plainCpuMs")),
  scheduledCpuMs: round(sum("scheduledCpuMs")),
  dormantCpuMs: round(sum("dormantCpuMs")),
  scheduledRatio: sum("plainCpuMs") === 0 ? null : round(sum("scheduledCpuMs") / sum("plainCpuMs")),
  dormantRatio: sum("plainCpuMs") === 0 ? null : round(sum("dormantCpuMs") / sum("plainCpuMs")),
  plainRssMiB: rssMiB(plain.proc.pid),
  scheduledRssMiB: rssMiB(scheduled.proc.pid),
  dormantRssMiB: rssMiB(dormant.proc.pid),
};
process.stdout.write(`${JSON.stringify({ summary })}\n`);
await Promise.all([plain.stop(), scheduled.stop(), dormant.stop()]);
