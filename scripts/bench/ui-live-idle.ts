/**
 * The cost of open, idle dashboards (#17 item 4): the CPU a Baton with nothing to do uses with
 * no live-update stream open, then with N open (`/ui/events`, half following the overview, half
 * one execution's page, the mix a set of open browser tabs makes), over the same length of
 * wall time each. Starts the compiled binary on 127.0.0.1, reads its CPU time (utime + stime of
 * /proc/<pid>/stat) over each window, and prints one JSON line: the two CPU times, and the cost
 * per stream per minute.
 *
 *   bun scripts/bench/ui-live-idle.ts [--streams N] [--seconds S]   (defaults 100 and 30; takes 2·S + a few s)
 *
 * N is at most 100, the server's bound on open streams. Not a workload of `npm run bench`: it
 * measures waiting, not throughput.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { cpuMs, ensureBinary, log, round, startServer, tempDir } from "./common.ts";

const { values } = parseArgs({
  options: { streams: { type: "string", default: "100" }, seconds: { type: "string", default: "30" } },
  strict: true,
});
const streams = Number(values.streams);
const seconds = Number(values.seconds);
if (!Number.isInteger(streams) || streams < 1 || streams > 100 || !Number.isInteger(seconds) || seconds < 5 || seconds > 600) {
  process.stderr.write("ui-live-idle: --streams must be a whole number from 1 to 100, --seconds from 5 to 600\n");
  process.exit(2);
}

async function cpuOver(pid: number, ms: number): Promise<number> {
  const before = cpuMs(pid);
  await Bun.sleep(ms);
  return cpuMs(pid) - before;
}

await ensureBinary();
const server = await startServer({ db: join(tempDir(), "idle.db"), sync: "normal", limit: 10 });
const post = (path: string, body: unknown) =>
  fetch(`${server.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
await post("/job-definitions", { id: "idle", tasks: [{ id: "a", functionName: "noop" }] });
const { executionID } = (await (await post("/jobs/idle/execute", {})).json()) as { executionID: string };
await Bun.sleep(2000); // the execution ends; the server settles

const windowMs = seconds * 1000;
const quiet = await cpuOver(server.proc.pid, windowMs);
log(`no stream: ${quiet} ms of CPU in ${seconds} s; opening ${streams} streams`);
const open: { cancel(): Promise<void> }[] = [];
let bytes = 0;
for (let i = 0; i < streams; i++) {
  const page = i % 2 === 0 ? "page=overview" : `page=execution&id=${executionID}`;
  const res = await fetch(`${server.url}/ui/events?${page}`);
  if (res.status !== 200) throw new Error(`stream ${i}: ${res.status} ${await res.text()}`);
  const reader = res.body!.getReader();
  open.push(reader);
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      bytes += value.length;
    }
  })();
}
await Bun.sleep(2000);
const received = bytes;
const busy = await cpuOver(server.proc.pid, windowMs);
const perStreamPerMinute = ((busy - quiet) / streams) * (60_000 / windowMs);
console.log(
  JSON.stringify({
    streams,
    seconds,
    cpuMsWithout: round(quiet),
    cpuMsWith: round(busy),
    cpuMsPerStreamPerMinute: round(perStreamPerMinute),
    cpuShareWith: `${round((busy / windowMs) * 100)}% of one core`,
    bytesPerStreamPerMinute: round(((bytes - received) / streams) * (60_000 / windowMs)),
  }),
);
for (const r of open) await r.cancel();
await server.stop();
