/**
 * The dashboard in a real browser: Debian's Chromium (headless, through playwright-core) on the
 * compiled binary with real executions (successes, a retry that succeeds, a failure after its
 * retries, a shell task with stdout, a rerun, a scheduled run). Every page reachable from the
 * overview is opened: no console error, no page error, no failed request, no answer of 400 or
 * more, and no request leaving 127.0.0.1 (each is aborted and recorded). Then a failed
 * execution is found through the filter form and its graph and timeline are checked, and no page
 * is wider than a phone's screen. One
 * browser for the file; it and the binary are always stopped.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { type Baton, startBaton } from "../harness.ts";
import { chart, filterExecutions, links, listedExecutions, openExecution, pathOf, Session } from "./browser.ts";
import { launchForTestFile } from "./launch.ts";
import { makeWorld, type World } from "./world.ts";

let baton: Baton;
let browser: Browser | undefined;
let world: World;

beforeAll(async () => {
  baton = await startBaton({ jobs: null, args: ["--allow-shell-api"] });
  [browser, world] = await Promise.all([launchForTestFile(), makeWorld(baton.request)]);
});
afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

describe("the dashboard in Chromium", () => {
  test("every page reachable from the overview loads clean, with nothing leaving 127.0.0.1", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const page = await session.newPage();
      const queue = ["/ui/"];
      const visited = new Set<string>();
      while (queue.length > 0 && visited.size < 120) {
        const path = queue.shift()!;
        if (visited.has(path)) continue;
        visited.add(path);
        await session.visit(page, path);
        // The script ran: every time shows the browser's zone and keeps UTC in its title.
        expect(await page.$$eval("time[datetime]:not([title])", (ts) => ts.length)).toBe(0);
        for (const link of await links(page)) if (link.startsWith("/ui/") && !link.startsWith("/ui/assets/")) queue.push(link);
      }
      expect(queue.filter((p) => !visited.has(p))).toEqual([]); // the cap was not what stopped the walk
      const all = [...visited];
      for (const id of [...world.completed, world.retried, world.failed, world.shell, world.rerun, world.scheduled])
        expect(all).toContain(`/ui/executions/${id}`);
      for (const id of world.definitions) expect(all).toContain(`/ui/definitions/${id}`);
      for (const path of ["/ui/executions", "/ui/definitions", "/ui/workers", "/ui/definitions/nightly-report/diff?from=1&to=2"])
        expect(all).toContain(path);
      expect(session.problems()).toEqual([]);
      expect(session.foreign).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("at a phone's width (360 px) no page is wider than the screen: wide tables and drawings scroll in their own box", async () => {
    const session = await Session.open(browser!, baton.url, { viewport: { width: 360, height: 740 }, colorScheme: "dark" });
    try {
      const page = await session.newPage();
      const paths = [
        "/ui/",
        "/ui/executions",
        `/ui/executions/${world.failed}`,
        `/ui/executions/${world.shell}`,
        "/ui/definitions",
        "/ui/definitions/nightly-report",
        "/ui/definitions/nightly-report/diff?from=1&to=2",
        "/ui/workers",
        "/ui/operations",
      ];
      const wide: string[] = [];
      for (const path of paths) {
        await session.visit(page, path);
        const width = await page.evaluate("document.documentElement.scrollWidth");
        if ((width as number) > 360) wide.push(`${path}: ${width} px`);
      }
      expect(wide).toEqual([]);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("a request to another host is aborted and reported, not sent; the CSP refuses one from the page", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const page = await session.newPage();
      await session.visit(page, "/ui/");
      // The pages cannot do either (their CSP allows nothing elsewhere): the checks must still
      // catch it if a later change does. An image the page adds is refused by the CSP itself…
      const refused = page.waitForEvent("console", { predicate: (m) => m.text().includes("Content Security Policy"), timeout: 5_000 });
      await page.evaluate(`document.body.append(Object.assign(document.createElement("img"), { src: "http://192.0.2.1/pixel.png" }))`);
      await refused;
      // …and a navigation, which no CSP stops, is aborted by the interception before it is sent.
      await page.goto("http://192.0.2.1/elsewhere").catch(() => {});
      expect(session.foreign).toEqual(["http://192.0.2.1/elsewhere"]);
      const problems = session.problems();
      expect(problems.some((p) => p.includes("Content Security Policy") && p.includes("http://192.0.2.1/pixel.png"))).toBe(true);
      expect(problems).toContain(`request leaving ${baton.url}: http://192.0.2.1/elsewhere`);
    } finally {
      await session.close();
    }
  });

  test("the failed execution is found through the filter form; its page shows its graph and timeline", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const page = await session.newPage();
      await session.visit(page, "/ui/executions");
      await filterExecutions(page, { status: "FAILED", definition: "sync-inventory" });
      expect(pathOf(page)).toBe("/ui/executions?status=FAILED&definition=sync-inventory&from=&to=&error=&text=");
      expect(await listedExecutions(page)).toEqual([world.failed]);
      await openExecution(page, world.failed);
      const graph = await chart(page, "Task graph");
      expect(graph).toMatchObject({ visible: true });
      expect(graph.text).toContain("push");
      expect(graph.text).toContain("FAILED");
      const timeline = await chart(page, "Timeline");
      expect(timeline.visible).toBe(true);
      for (const row of ["fetch #1 COMPLETED", "push #1 RETRYING", "push #2 RETRYING", "push #3 FAILED"])
        expect(timeline.text).toContain(row);
      expect(await page.getByText("inventory API answered 503").first().isVisible()).toBe(true);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("a search inside input and output, typed into the form, finds the execution by its input and says what it read", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const page = await session.newPage();
      await session.visit(page, "/ui/executions");
      const from = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16);
      await filterExecutions(page, { definition: "nightly-report", from, text: '"region":"us"' });
      expect(await listedExecutions(page)).toEqual([world.completed[1]!]);
      expect(await page.locator("main p[role=status]").textContent()).toContain("1 match. That is every execution in the range.");
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("the shell task's stdout and the rerun's link show on their pages", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const page = await session.newPage();
      await session.visit(page, `/ui/executions/${world.shell}`);
      expect(await page.locator("body").textContent()).toContain("1204 rows written");
      await session.visit(page, `/ui/executions/${world.rerun}`);
      expect(await links(page)).toContain(`/ui/executions/${world.completed[0]}`);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
