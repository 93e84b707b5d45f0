/**
 * The dashboard's actions on single executions, clicked in Chromium against the compiled
 * binary without tokens: redrive a failed execution found through the filter form, cancel a
 * running one, execute a definition with a typed JSON input (and a bad one refused next to the
 * field), rerun from a task with an edited input, and one redrive done with the keyboard only.
 * What each changed is checked through the API, not on the page. The guards of `browser.ts`
 * are on in every test (no console error, no failed request, nothing leaving 127.0.0.1).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Browser } from "playwright-core";
import { type Baton, execute, register, startBaton, state, waitForStatus } from "../harness.ts";
import { actAndConfirm, filterExecutions, focused, listedExecutions, notice, openExecution, pathOf, Session, tabTo } from "./browser.ts";
import { launchForTestFile } from "./launch.ts";
import { makeWorld, type World } from "./world.ts";

let baton: Baton;
let browser: Browser | undefined;
let world: World;

beforeAll(async () => {
  baton = await startBaton({ jobs: null, args: ["--allow-shell-api"] });
  [browser, world] = await Promise.all([launchForTestFile(), makeWorld(baton.request)]);
  await register(baton, { id: "sleeper", tasks: [{ id: "nap", functionName: "sleep", params: { ms: 60_000 } }] });
});
afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

/** How many executions of a definition the API lists. */
async function countOf(definitionId: string): Promise<number> {
  const { body } = await baton.json("GET", `/jobs?definitionId=${definitionId}&limit=500`);
  return body.jobs.length;
}

/** The types of an execution's events, in order, from the API. */
async function eventTypes(id: string): Promise<string[]> {
  const { body } = await baton.json("GET", `/jobs/${id}/events`);
  return body.events.map((e: { type: string }) => e.type);
}

describe("actions in Chromium, without tokens", () => {
  test("a failed execution found by the filter is redriven from its page; the API shows it redriven", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const page = await session.newPage();
      await session.visit(page, "/ui/executions");
      await filterExecutions(page, { status: "FAILED", definition: "sync-inventory" });
      expect(await listedExecutions(page)).toEqual([world.failed]);
      await openExecution(page, world.failed);
      await actAndConfirm(page, "Redrive…", "Redrive", /\?notice=redriven$/);
      expect(pathOf(page)).toBe(`/ui/executions/${world.failed}?notice=redriven`);
      expect(await notice(page)).toBe("Redriven: its failed and cancelled tasks, and the tasks after them, are queued to run again.");
      expect(await eventTypes(world.failed)).toContain("ExecutionRedriven");
      // It fails again (its task always does), after a fourth attempt of `push`.
      const after = await waitForStatus(baton, world.failed, ["FAILED"]);
      expect(after.tasks.find((t: { id: string }) => t.id === "push").attempts).toBeGreaterThan(3);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("a running execution is cancelled from its page and ends CANCELLED", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const id = await execute(baton, "sleeper", {});
      await waitForStatus(baton, id, ["RUNNING"]);
      const page = await session.newPage();
      await session.visit(page, `/ui/executions/${id}`);
      await actAndConfirm(page, "Cancel…", "Cancel the execution", /\?notice=cancel/);
      expect(["cancelled", "cancel-requested"]).toContain(new URL(page.url()).searchParams.get("notice")!);
      expect(await notice(page)).toStartWith("Cancel");
      expect((await waitForStatus(baton, id, ["CANCELLED", "COMPLETED", "FAILED"])).status).toBe("CANCELLED");
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("a definition is executed with a typed JSON input; a bad input is shown next to the field and creates nothing", async () => {
    const executePath = "/ui/definitions/nightly-report/execute";
    const session = await Session.open(browser!, baton.url, { expectStatus: (path, status) => path === executePath && status === 400 });
    try {
      const page = await session.newPage();
      await session.visit(page, "/ui/definitions/nightly-report");
      await Promise.all([page.waitForURL(`**${executePath}`), page.getByRole("link", { name: "Execute with an input…" }).click()]);
      const before = await countOf("nightly-report");
      const field = page.getByLabel("Input (a JSON object)");
      await field.fill('{"day": "2026-12-01",');
      await page.getByRole("button", { name: "Review…" }).click();
      const error = page.locator("#input-error");
      expect(await error.textContent()).toStartWith("This is not JSON: ");
      expect(await field.getAttribute("aria-invalid")).toBe("true");
      expect(await field.inputValue()).toBe('{"day": "2026-12-01",'); // kept as typed
      await field.fill("[1, 2]");
      await page.getByRole("button", { name: "Review…" }).click();
      expect(await error.textContent()).toBe('The input must be a JSON object, e.g. {} or {"key": "value"}.');
      expect(await countOf("nightly-report")).toBe(before);

      await field.fill('{"day": "2026-12-01", "region": "apac"}');
      await actAndConfirm(page, "Review…", "Execute", /\?notice=executed$/);
      const id = new URL(page.url()).pathname.split("/").at(-1)!;
      expect(await notice(page)).toBe("Execution started from the dashboard.");
      const s = await state(baton, id);
      expect(s).toMatchObject({ definitionId: "nightly-report", input: { day: "2026-12-01", region: "apac" } });
      expect(await countOf("nightly-report")).toBe(before + 1);
      // The two refused reviews were the only answers of 400 or more, and nothing else went wrong.
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("a rerun from a task with an edited input makes a new execution; the API shows its rerunOf and input", async () => {
    const session = await Session.open(browser!, baton.url);
    try {
      const original = world.completed[1]!;
      const page = await session.newPage();
      await session.visit(page, `/ui/executions/${original}`);
      await Promise.all([
        page.waitForURL(`**/ui/executions/${original}/rerun`),
        page.getByRole("link", { name: "Rerun from a task…" }).click(),
      ]);
      await page.getByLabel("From task").selectOption("total");
      await page.getByLabel("Input (a JSON object)").fill('{"day": "2026-11-28", "region": "us", "corrected": true}');
      await actAndConfirm(page, "Review…", "Rerun", /\?notice=rerun$/);
      const id = new URL(page.url()).pathname.split("/").at(-1)!;
      expect(id).not.toBe(original);
      expect(await notice(page)).toStartWith("Rerun started");
      const s = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
      expect(s).toMatchObject({ status: "COMPLETED", rerunOf: original, input: { day: "2026-11-28", region: "us", corrected: true } });
      expect((await state(baton, original)).reruns).toContain(id);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("with the keyboard only: the first Tab is the skip link, then Tab and Enter redrive a failed execution", async () => {
    const id = await execute(baton, "sync-inventory", { warehouse: "south" });
    await waitForStatus(baton, id, ["FAILED"]);
    const session = await Session.open(browser!, baton.url);
    try {
      const page = await session.newPage();
      await session.visit(page, `/ui/executions/${id}`);
      await page.keyboard.press("Tab");
      expect(await focused(page)).toBe("A Skip to the content");
      await page.keyboard.press("Enter");
      expect(await page.evaluate<string>("document.activeElement.tagName")).toBe("MAIN");
      await tabTo(page, "BUTTON Redrive…");
      await Promise.all([page.waitForURL(`**/ui/executions/${id}/redrive`), page.keyboard.press("Enter")]);
      await tabTo(page, "BUTTON Redrive");
      await Promise.all([page.waitForURL(/\?notice=redriven$/), page.keyboard.press("Enter")]);
      expect(await eventTypes(id)).toContain("ExecutionRedriven");
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
