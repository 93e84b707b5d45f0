/**
 * Live updates in Chromium against the compiled binary: the overview's counts, the executions
 * list and an execution's status change on the open page when executions start and end through
 * the API, with no reload (a mark set on the page's window survives). Pausing closes the stream:
 * a paused page keeps its old counts while a live page beside it shows the new ones, and resuming
 * brings it up to date. No fixed waits: every check waits for the text (or the live page's).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { type Baton, execute, register, startBaton, waitForStatus } from "../harness.ts";
import { type Page, Session } from "./browser.ts";
import { launchForTestFile } from "./launch.ts";

let baton: Baton;
let browser: Browser | undefined;

beforeAll(async () => {
  baton = await startBaton({ jobs: null });
  browser = await launchForTestFile();
  await register(baton, { id: "quick", tasks: [{ id: "t", functionName: "noop" }] });
  await register(baton, { id: "sleeper", tasks: [{ id: "nap", functionName: "sleep", params: { ms: 60_000 } }] });
});
afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

/** The overview's count of one status, as the page shows it now. */
const count = async (page: Page, status: string) =>
  ((await page.locator(`#live-overview tr:has(a[href$="status=${status}"]) td.num`).textContent()) ?? "").trim();

/** Waits until the page follows its stream (a change before that is not announced). */
const following = (page: Page) => page.locator(".live-state", { hasText: /^live$/ }).waitFor({ timeout: 10_000 });

/** Marks the page's window: the mark is gone if the page was loaded again. */
const mark = (page: Page) => page.evaluate("window.__notReloaded = true");
const stillMarked = (page: Page) => page.evaluate<boolean>("window.__notReloaded === true");

/** Starts `n` executions that complete at once; the pages are what is waited for. */
async function runQuick(n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => execute(baton, "quick", {})));
}

describe("live updates in Chromium", () => {
  test("the overview's counts change without a reload; a paused page does not change until resumed", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const paused = await session.newPage();
      const live = await session.newPage();
      for (const page of [paused, live]) {
        await session.visit(page, "/ui/");
        await following(page);
        await mark(page);
        expect(await count(page, "COMPLETED")).toBe("0");
      }
      await runQuick(3);
      for (const page of [paused, live])
        await page.locator(`#live-overview tr:has(a[href$="status=COMPLETED"]) td.num`, { hasText: /^3$/ }).waitFor();

      await paused.getByRole("button", { name: "Pause live updates" }).click();
      expect(await paused.locator(".live-state").textContent()).toBe("live updates paused");
      expect(await paused.getByRole("button", { name: "Resume live updates" }).getAttribute("aria-pressed")).toBe("true");
      await runQuick(2);
      // The live page (its stream opened before the pause) is told; the paused one is not.
      await live.locator(`#live-overview tr:has(a[href$="status=COMPLETED"]) td.num`, { hasText: /^5$/ }).waitFor();
      expect(await count(paused, "COMPLETED")).toBe("3");
      await paused.getByRole("button", { name: "Resume live updates" }).click();
      await paused.locator(`#live-overview tr:has(a[href$="status=COMPLETED"]) td.num`, { hasText: /^5$/ }).waitFor();
      for (const page of [paused, live]) expect(await stillMarked(page)).toBe(true);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("the executions list shows a new execution, and an execution's page its new status, without a reload", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const list = await session.newPage();
      await session.visit(list, "/ui/executions?definition=sleeper");
      await following(list);
      await mark(list);
      const id = await execute(baton, "sleeper", {});
      await list.getByRole("link", { name: id, exact: true }).waitFor();
      await waitForStatus(baton, id, ["RUNNING"]);

      const page = await session.newPage();
      await session.visit(page, `/ui/executions/${id}`);
      await following(page);
      await mark(page);
      expect(await page.locator("h1").textContent()).toContain("RUNNING");
      expect((await baton.request("POST", `/jobs/${id}/cancel`)).status).toBeLessThan(300);
      await page.locator("h1", { hasText: "CANCELLED" }).waitFor();
      await list.locator("tr", { hasText: id }).filter({ hasText: "CANCELLED" }).waitFor();
      for (const p of [list, page]) expect(await stillMarked(p)).toBe(true);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
