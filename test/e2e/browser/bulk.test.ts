/**
 * Bulk actions clicked in Chromium against the compiled binary without tokens: a few failures
 * ticked with the select-all box (shown by the script) and redriven as "selected", then 500
 * failures redriven by "Redrive all matching…" from the list filtered to them: the confirmation
 * names the count, the operation's page shows its progress and reloads itself until COMPLETED,
 * and the API shows the executions no longer FAILED. The failures are fast: their one task fails
 * on its first attempt, without retry, and succeeds on the next (`fail` with `times: 1`), so a
 * redriven one completes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { type Baton, execute, register, startBaton, waitFor } from "../harness.ts";
import { filterExecutions, listedExecutions, Session } from "./browser.ts";
import { launchForTestFile } from "./launch.ts";

let baton: Baton;
let browser: Browser | undefined;

const failOnce = (id: string) => ({ id, tasks: [{ id: "t", functionName: "fail", params: { times: 1, errorName: "Boom" } }] });

/** The ids of a definition's executions in a status, from the API (at most 500). */
async function listed(definitionId: string, status: string): Promise<string[]> {
  const { body } = await baton.json("GET", `/jobs?definitionId=${definitionId}&status=${status}&limit=500`);
  return body.jobs.map((j: { id: string }) => j.id);
}

/** Starts `n` executions of a definition through the API and waits until all of them failed. */
async function failures(definitionId: string, n: number): Promise<string[]> {
  for (let i = 0; i < n; i += 50)
    await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, j) => execute(baton, definitionId, { n: i + j })));
  return await waitFor(`${n} FAILED executions of ${definitionId}`, async () => {
    const ids = await listed(definitionId, "FAILED");
    return ids.length === n ? ids : undefined;
  });
}

beforeAll(async () => {
  baton = await startBaton({ jobs: null });
  browser = await launchForTestFile();
  await register(baton, failOnce("bulk-few"));
  await register(baton, failOnce("bulk-e2e"));
});
afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

/** The operation page's status line: `RUNNING 200 of 500 visited …`. */
const statusLine = async (page: import("./browser.ts").Page) => ((await page.locator("main p[role=status]").textContent()) ?? "").trim();

describe("bulk actions in Chromium, without tokens", () => {
  test("failures ticked with the select-all box are redriven as a selection", async () => {
    const ids = await failures("bulk-few", 3);
    const session = await Session.open(browser!, baton.url);
    try {
      const page = await session.newPage();
      await session.visit(page, "/ui/executions");
      await filterExecutions(page, { status: "FAILED", definition: "bulk-few" });
      expect((await listedExecutions(page)).toSorted()).toEqual(ids.toSorted());
      const all = page.getByLabel("Select every execution on this page");
      await all.check(); // visible only because the script showed it
      for (const id of ids) expect(await page.getByLabel(`Select ${id}`).isChecked()).toBe(true);
      await page.getByRole("button", { name: "Redrive selected…" }).click();
      expect(await page.locator("h1").textContent()).toBe("Redrive 3 executions?");
      await Promise.all([page.waitForURL(/\/ui\/operations\/[^/?]+$/), page.getByRole("button", { name: "Redrive 3 selected" }).click()]);
      await page.locator("main p[role=status]", { hasText: "COMPLETED" }).waitFor({ timeout: 15_000 });
      expect(await statusLine(page)).toStartWith("COMPLETED 3 of 3 visited");
      await waitFor("the 3 redriven executions to complete", async () => (await listed("bulk-few", "COMPLETED")).length === 3);
      expect(await listed("bulk-few", "FAILED")).toEqual([]);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("500 failures are redriven by 'Redrive all matching…': the count is confirmed, progress shown to COMPLETED, none FAILED after", async () => {
    await failures("bulk-e2e", 500);
    const session = await Session.open(browser!, baton.url);
    try {
      const page = await session.newPage();
      await session.visit(page, "/ui/executions");
      await filterExecutions(page, { status: "FAILED", definition: "bulk-e2e" });
      expect(await listedExecutions(page)).toHaveLength(50); // a page of them
      await page.getByRole("button", { name: "Redrive all matching…" }).click();
      expect(await page.locator("h1").textContent()).toBe("Redrive 500 executions?");
      expect(await page.locator("main").textContent()).toContain('the 500 executions that match status FAILED, definition "bulk-e2e" now');
      await Promise.all([
        page.waitForURL(/\/ui\/operations\/[^/?]+$/),
        page.getByRole("button", { name: "Redrive all 500 matching" }).click(),
      ]);
      // Whatever point it reached when the page first answered, it says so against the total.
      const first = await statusLine(page);
      expect(first).toMatch(/^(QUEUED|RUNNING|COMPLETED) \d+ of 500 visited/);
      if (!first.startsWith("COMPLETED")) expect(first).toContain("this page reloads every 2 seconds");
      // The page reloads itself (Refresh: 2) until the operation is done: no click, no script.
      await page.locator("main p[role=status]", { hasText: "COMPLETED" }).waitFor({ timeout: 20_000 });
      expect(await statusLine(page)).toBe("COMPLETED 500 of 500 visited 100%");
      expect(await page.locator("main progress").getAttribute("value")).toBe("500");
      expect(await page.locator("dl.facts dd").first().textContent()).toBe("500"); // redriven
      expect(await listed("bulk-e2e", "FAILED")).toEqual([]);
      await waitFor("the 500 redriven executions to complete", async () => (await listed("bulk-e2e", "COMPLETED")).length === 500);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
