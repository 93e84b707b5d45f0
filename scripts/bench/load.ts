/**
 * The load generator of `rest-1task`, run as its own process so it does not share an event
 * loop with the server: POSTs `{}` to URL N times over CONNECTIONS concurrent keep-alive
 * loops, optionally paced at RATE requests/s, and prints one JSON line:
 * {accepted, failed, seconds, acceptedPerSec, p50Ms, p99Ms, ids}.
 *
 *   bun scripts/bench/load.ts URL N CONNECTIONS [RATE]
 */
export {};

const [url, nArg, cArg, rateArg] = process.argv.slice(2);
if (!url || !nArg || !cArg) {
  process.stderr.write("usage: bun scripts/bench/load.ts URL N CONNECTIONS [RATE]\n");
  process.exit(2);
}
const total = Number(nArg);
const connections = Number(cArg);
const rate = rateArg ? Number(rateArg) : 0;

const latencies: number[] = [];
let next = 0;
let accepted = 0;
let failed = 0;
const t0 = performance.now();

async function loop(): Promise<void> {
  for (;;) {
    const i = next++;
    if (i >= total) return;
    if (rate > 0) {
      const due = t0 + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await Bun.sleep(wait);
    }
    const start = performance.now();
    try {
      const res = await fetch(url!, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
      await res.arrayBuffer();
      latencies.push(performance.now() - start);
      if (res.status >= 200 && res.status < 300) accepted++;
      else failed++;
    } catch {
      failed++;
    }
  }
}

await Promise.all(Array.from({ length: connections }, loop));
const seconds = (performance.now() - t0) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((latencies.length * p) / 100))] ?? Number.NaN;
process.stdout.write(
  `${JSON.stringify({ accepted, failed, seconds, acceptedPerSec: accepted / seconds, p50Ms: pct(50), p99Ms: pct(99) })}\n`,
);
