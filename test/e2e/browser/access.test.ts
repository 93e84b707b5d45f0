/**
 * Login and roles in Chromium against the compiled binary started with --tokens (a token file
 * made by `baton token create`: an admin token to set things up through the API, a `read` and an
 * `operate` token to log in with). The login page, a wrong token refused, a read session that
 * sees no action or bulk button, forged POSTs refused with 403 and nothing changed (checked
 * through the API), an operate session whose redrive works, and logout ending the session.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { type Baton, runBaton, startBaton, tempDir, waitFor } from "../harness.ts";
import { actAndConfirm, login, notice, pathOf, Session } from "./browser.ts";
import { launchForTestFile } from "./launch.ts";

const ROLES = ["admin", "read", "operate"] as const;
let baton: Baton;
let browser: Browser | undefined;
let tokens: Record<(typeof ROLES)[number], string>;
let failed: string;

/** A request to the API as the admin token. */
const admin = (method: string, path: string, body?: unknown) =>
  baton.request(method, path, body, { authorization: `Bearer ${tokens.admin}` });

async function json(method: string, path: string, body?: unknown): Promise<any> {
  const res = await admin(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return await res.json();
}

const eventTypes = async (id: string): Promise<string[]> =>
  (await json("GET", `/jobs/${id}/events`)).events.map((e: { type: string }) => e.type);

beforeAll(async () => {
  const lines = ["# made by the browser's access.test.ts"];
  tokens = {} as typeof tokens;
  for (const role of ROLES) {
    const { code, stdout, stderr } = await runBaton(["token", "create", "--name", `${role}-person`, "--role", role]);
    if (code !== 0) throw new Error(`baton token create exited ${code}: ${stderr}`);
    tokens[role] = stdout.split("\n")[0]!;
    lines.push(stdout.trimEnd().split("\n").at(-1)!);
  }
  const file = join(tempDir(), "tokens");
  writeFileSync(file, `${lines.join("\n")}\n`);
  chmodSync(file, 0o600);
  baton = await startBaton({ jobs: null, args: ["--tokens", file, "--auth-failures-per-minute", "1000"] });
  browser = await launchForTestFile();
  await json("POST", "/job-definitions", { id: "always-fails", tasks: [{ id: "t", functionName: "fail", params: { errorName: "Boom" } }] });
  failed = (await json("POST", "/jobs/always-fails/execute", {})).executionID;
  await waitFor(`${failed} to fail`, async () => (await json("GET", `/jobs/${failed}/state`)).status === "FAILED");
});
afterAll(async () => {
  await browser?.close();
  await baton?.stop();
});

/** The forged POSTs' refusals and the wrong token's answer are expected; any other 400 or more is a problem. */
const expected = (path: string, status: number) =>
  (path.startsWith("/ui/login") && status === 401) || (path === `/ui/executions/${failed}/redrive` && status === 403);

describe("login and roles in Chromium, with --tokens", () => {
  test("the login page; a wrong token is refused; a read session sees no action and its forged POSTs change nothing", async () => {
    const session = await Session.open(browser!, baton.url, { expectStatus: expected });
    try {
      const page = await session.newPage();
      // A page without a session leads to the login form, which remembers where it was going.
      await page.goto(`${baton.url}/ui/executions/${failed}`);
      expect(pathOf(page)).toBe(`/ui/login?next=${encodeURIComponent(`/ui/executions/${failed}`)}`);
      await login(page, "baton_not-a-token-this-server-knows");
      expect(await page.locator("#token-error").textContent()).toBe(
        "That token is not one this server knows (mistyped, or removed from the token file).",
      );
      await login(page, tokens.read);
      expect(pathOf(page)).toBe(`/ui/executions/${failed}`);
      // No button of any action, on the execution, the list or the definition.
      for (const name of ["Redrive…", "Cancel…"]) expect(await page.getByRole("button", { name }).count()).toBe(0);
      expect(await page.getByRole("link", { name: "Rerun from a task…" }).count()).toBe(0);
      await session.visit(page, "/ui/executions?status=FAILED");
      expect(await page.getByRole("link", { name: failed, exact: true }).count()).toBe(1);
      for (const name of ["Redrive selected…", "Cancel selected…", "Redrive all matching…", "Cancel all matching…"])
        expect(await page.getByRole("button", { name }).count()).toBe(0);
      expect(await page.locator("input[type=checkbox]").count()).toBe(0);
      await session.visit(page, "/ui/definitions/always-fails");
      expect(await page.getByRole("link", { name: "Execute with an input…" }).count()).toBe(0);

      // A forged POST with the read session's own CSRF token (from its logout form) is refused for its role.
      await session.visit(page, "/ui/account");
      const csrf = await page.locator("input[name=csrf]").first().inputValue();
      const forged = await page.request.post(`${baton.url}/ui/executions/${failed}/redrive`, { form: { csrf, confirm: "yes" } });
      expect(forged.status()).toBe(403);
      expect(await forged.text()).toContain(
        "Nothing was changed: you are logged in as &quot;read-person&quot; with the role read, which lacks the permission executions.redrive.",
      );
      expect((await json("GET", `/jobs/${failed}/state`)).status).toBe("FAILED");
      expect(await eventTypes(failed)).not.toContain("ExecutionRedriven");
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });

  test("an operate session: a POST without the CSRF token is refused, the buttons redrive; logout ends the session", async () => {
    const session = await Session.open(browser!, baton.url, { expectStatus: expected });
    try {
      const page = await session.newPage();
      await session.visit(page, "/ui/login");
      await login(page, tokens.operate);
      expect(pathOf(page)).toBe("/ui/");
      // The session cookie alone, without the form's CSRF token: refused, nothing changed.
      const forged = await page.request.post(`${baton.url}/ui/executions/${failed}/redrive`, { form: { confirm: "yes" } });
      expect(forged.status()).toBe(403);
      expect(await forged.text()).toContain("Nothing was changed: the form carries no CSRF token.");
      expect(await eventTypes(failed)).not.toContain("ExecutionRedriven");

      await session.visit(page, "/ui/executions?status=FAILED");
      for (const name of ["Redrive selected…", "Redrive all matching…"]) expect(await page.getByRole("button", { name }).count()).toBe(1);
      await session.visit(page, `/ui/executions/${failed}`);
      await actAndConfirm(page, "Redrive…", "Redrive", /\?notice=redriven$/);
      expect(await notice(page)).toStartWith("Redriven");
      const events = (await json("GET", `/jobs/${failed}/events`)).events as { type: string; actor?: string }[];
      expect(events.find((e) => e.type === "ExecutionRedriven")).toMatchObject({ actor: "operate-person" });

      await session.visit(page, "/ui/account");
      await Promise.all([page.waitForURL("**/ui/login?out=1"), page.getByRole("button", { name: "Log out" }).click()]);
      expect(await notice(page)).toBe("You are logged out.");
      await page.goto(`${baton.url}/ui/`);
      expect(pathOf(page)).toBe(`/ui/login?next=${encodeURIComponent("/ui/")}`);
      expect(session.problems()).toEqual([]);
    } finally {
      await session.close();
    }
  });
});
