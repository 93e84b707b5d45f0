/**
 * The realistic example of examples/README.md, run as a user would: the compiled binary with
 * `--functions examples/functions --jobs examples/jobs`, the example JavaScript worker, and a
 * local shop API on 127.0.0.1 that fails its first answer. One execution fetches with `http`
 * (retried after the 503), loads rates and converts with the function module (the rates file
 * lands late, so `loadRates` retries too), archives with `shell`, and hands `notify` to the
 * remote worker.
 */
import { afterEach, expect, test } from "bun:test";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type Baton, execute, ROOT, startBaton, tempDir, waitForStatus } from "./harness.ts";

const EXAMPLES = join(ROOT, "examples");
const NODE = Bun.which("node") ?? process.execPath;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

const ORDERS = {
  orders: [
    { sku: "A-1", quantity: 2, unitPrice: 10.8, currency: "USD" },
    { sku: "B-7", quantity: 1, unitPrice: 10, currency: "EUR" },
  ],
};

/** The shop's API: 503 on its first request, then the orders of the day asked for. */
function shop(): { url: string; days: string[] } {
  const days: string[] = [];
  let calls = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req) {
      calls++;
      if (calls === 1) return new Response("warming up", { status: 503 });
      days.push(new URL(req.url).searchParams.get("day") ?? "");
      return Response.json(ORDERS);
    },
  });
  cleanups.push(() => server.stop(true));
  return { url: `http://127.0.0.1:${server.port}/orders`, days };
}

function worker(baton: Baton): { out(): string } {
  const proc: Subprocess<"ignore", "pipe", "pipe"> = Bun.spawn(["setsid", NODE, join(EXAMPLES, "workers", "worker.mjs")], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BATON_URL: baton.url, WORKER_ID: "finance-bot" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  cleanups.push(() => {
    try {
      process.kill(-proc.pid, "SIGKILL");
    } catch {
      // already gone
    }
  });
  let out = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of proc.stdout) out += decoder.decode(chunk);
  })();
  return { out: () => out };
}

test("the daily order report: http, function module, shell and a remote worker in one DAG", async () => {
  const dir = tempDir();
  const api = shop();
  const baton = await startBaton({ jobs: join(EXAMPLES, "jobs"), args: ["--functions", join(EXAMPLES, "functions")] });
  cleanups.push(() => baton.proc.kill("SIGKILL"));
  const bot = worker(baton);
  const ratesFile = join(dir, "rates.json");
  const id = await execute(baton, "daily-order-report", {
    ordersUrl: api.url,
    day: "2026-11-28",
    ratesFile,
    reportDir: dir,
    channel: "#finance",
  });
  // The rates land after the first attempt of loadRates found nothing.
  await Bun.sleep(300);
  writeFileSync(ratesFile, JSON.stringify({ base: "EUR", rates: { USD: 1.08 } }));

  const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"], 60_000);
  expect(done.status).toBe("COMPLETED");
  const task = (taskId: string) => done.tasks.find((t: { id: string }) => t.id === taskId);
  expect(task("fetch").attempts).toBe(2); // the 503, then the orders
  expect(api.days).toEqual(["2026-11-28"]);
  expect(task("convert").output).toEqual({ currency: "EUR", lines: 2, total: 30, bySku: { "A-1": 20, "B-7": 10 } });
  const report = join(dir, "orders-2026-11-28.json");
  expect(existsSync(report)).toBe(true);
  expect(JSON.parse(readFileSync(report, "utf8"))).toEqual(task("convert").output);
  expect(task("archive").output.json.total).toBe(30);
  expect(task("notify").output).toEqual({ delivered: true, channel: "#finance" });
  expect(bot.out()).toContain("[#finance] Orders of 2026-11-28: 2 lines, 30 EUR");
}, 90_000);
