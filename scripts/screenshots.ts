/**
 * `bun scripts/screenshots.ts`: the dashboard's screenshots in docs/images/. Starts dist/baton
 * (built when older than the sources) on 127.0.0.1 in a temporary folder, makes the browser
 * tests' world through the API (test/e2e/browser/world.ts) plus a few dozen more executions so
 * the lists look like a working day, and saves PNGs of the overview, the executions list and a
 * failed execution's page, light and dark at 1280×800, and the execution's page at a phone's
 * 390×844. Each is the viewport only, not the full page, so the files stay small. Chromium is
 * Debian's (/usr/bin/chromium), kept off every network but the server's (browser.ts); the
 * script fails if any page logs an error or asks for anything elsewhere.
 */
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { launchChromium, Session } from "../test/e2e/browser/browser.ts";
import { makeWorld } from "../test/e2e/browser/world.ts";
import { ensureBinary, log, ROOT, startServer, tempDir } from "./bench/common.ts";

const OUT = join(ROOT, "docs", "images");
mkdirSync(OUT, { recursive: true });
await ensureBinary();
const server = await startServer({ db: join(tempDir(), "baton.db"), sync: "normal", limit: 10, extra: ["--allow-shell-api"] });
const request = (method: string, path: string, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
const browser = await launchChromium();
try {
  const world = await makeWorld(request);
  // A working day's worth on top: reports by region, imports, a few more failed syncs.
  const more: string[] = [];
  for (let i = 0; i < 36; i++) {
    const [definition, input] =
      i % 9 === 4
        ? ["sync-inventory", { warehouse: ["north", "south", "east"][i % 3] }]
        : i % 3 === 0
          ? ["import-orders", { batch: 18 + i }]
          : ["nightly-report", { day: `2026-11-${String(28 - (i % 20)).padStart(2, "0")}`, region: ["eu", "us", "apac"][i % 3] }];
    const res = await request("POST", `/jobs/${definition}/execute`, input);
    more.push(((await res.json()) as { executionID: string }).executionID);
  }
  for (const id of more)
    for (;;) {
      const { status } = (await (await request("GET", `/jobs/${id}/state`)).json()) as { status: string };
      if (status !== "QUEUED" && status !== "RUNNING") break;
      await Bun.sleep(20);
    }
  const shots: [string, string, "light" | "dark", { width: number; height: number }][] = [];
  for (const scheme of ["light", "dark"] as const) {
    shots.push(["overview", "/ui/", scheme, { width: 1280, height: 800 }]);
    // The list is dense text: at 800 px high its PNG is over 200 KB, at 560 about 150.
    shots.push(["executions", "/ui/executions", scheme, { width: 1280, height: 560 }]);
    shots.push(["execution", `/ui/executions/${world.failed}`, scheme, { width: 1280, height: 800 }]);
  }
  shots.push(["execution-phone", `/ui/executions/${world.failed}`, "light", { width: 390, height: 844 }]);
  for (const [name, path, scheme, viewport] of shots) {
    const session = await Session.open(browser, server.url, { colorScheme: scheme, viewport });
    const page = await session.newPage();
    await session.visit(page, path);
    const file = join(OUT, `dashboard-${name}${name.endsWith("phone") ? "" : `-${scheme}`}.png`);
    await page.screenshot({ path: file, animations: "disabled" });
    const problems = session.problems();
    await session.close();
    if (problems.length > 0) throw new Error(`${path} (${scheme}): ${problems.join("; ")}`);
    log(`${file.slice(ROOT.length + 1)}: ${Math.round(statSync(file).size / 1024)} KiB`);
  }
} finally {
  await browser.close();
  await server.stop();
}
