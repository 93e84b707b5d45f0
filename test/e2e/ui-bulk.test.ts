/**
 * Bulk redrive on the compiled binary, as a browser does it with plain forms: 500 failures, the
 * list filtered to them, "Redrive all matching" through its confirmation (with the CSRF token and
 * cookie the page gave), the operation's page followed until it completes, and the outcome
 * checked through the API: every one of the 500 redriven once and now completed. And an
 * operation left QUEUED in the database when the server stopped runs at the next start.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { type Baton, register, startBaton, tempDir, waitFor } from "./harness.ts";

const FAILURES = 500;
let baton: Baton;
const ids: string[] = [];

beforeAll(async () => {
  baton = await startBaton({ jobs: null });
  // Fails its first attempt only, without retries: FAILED now, COMPLETED once redriven.
  await register(baton, { id: "bulk-e2e", tasks: [{ id: "only", functionName: "fail", params: { times: 1, errorName: "Flaky" } }] });
  for (let i = 0; i < FAILURES; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, FAILURES - i) }, () => baton.json("POST", "/jobs/bulk-e2e/execute", {})),
    );
    ids.push(...batch.map((r) => r.body.executionID as string));
  }
  await waitFor("the 500 executions to fail", async () => (await failedNow()) === FAILURES);
});
afterAll(async () => {
  await baton?.stop();
});

/** FAILED executions of the definition, counted through the API's list. */
async function failedNow(): Promise<number> {
  let n = 0;
  let cursor: string | null = null;
  do {
    const page: any = (await baton.json("GET", `/jobs?status=FAILED&definitionId=bulk-e2e&limit=200${cursor ? `&cursor=${cursor}` : ""}`))
      .body;
    n += page.jobs.length;
    cursor = page.nextCursor;
  } while (cursor !== null);
  return n;
}

/** A browser's request: no redirects followed; POSTs are forms from this origin with the CSRF cookie. */
function browser(path: string, cookie: string, form?: Record<string, string>) {
  const headers: Record<string, string> = { cookie };
  if (form)
    Object.assign(headers, { "content-type": "application/x-www-form-urlencoded", origin: baton.url, "sec-fetch-site": "same-origin" });
  return fetch(`${baton.url}${path}`, {
    method: form ? "POST" : "GET",
    headers,
    redirect: "manual",
    body: form && new URLSearchParams(form).toString(),
  });
}

test("500 failures are redriven by 'everything matching', with progress, and the API sees each one redriven", async () => {
  const list = await fetch(`${baton.url}/ui/executions?status=FAILED&definition=bulk-e2e`);
  const cookie = list.headers
    .getSetCookie()
    .find((c) => c.startsWith("baton_csrf="))!
    .split(";")[0]!;
  const html = await list.text();
  expect(html).toContain("Redrive all matching…");
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
  const form = { csrf, status: "FAILED", definition: "bulk-e2e", from: "", to: "", error: "", scope: "matching" };

  const confirm = await browser("/ui/operations/redrive", cookie, form);
  expect(confirm.status).toBe(200);
  const confirmation = await confirm.text();
  expect(confirmation).toContain("Redrive 500 executions?");
  expect(confirmation).toContain("status FAILED, definition &quot;bulk-e2e&quot;");

  const created = await browser("/ui/operations/redrive", cookie, { ...form, ids: "", confirm: "yes" });
  expect(created.status).toBe(303);
  const location = created.headers.get("location")!;
  expect(location).toMatch(/^\/ui\/operations\/[0-9a-f-]+$/);

  const final = await waitFor("the operation to complete", async () => {
    const page = await browser(location, cookie);
    const text = await page.text();
    const status = /class="status s-\w+">(\w+)</.exec(text)![1]!;
    if (status === "QUEUED" || status === "RUNNING") expect(page.headers.get("refresh")).toBe("2");
    return status === "COMPLETED" && text;
  });
  expect(final).toContain("500 of 500 visited");
  expect(final).toMatch(/<dt>Redriven<\/dt><dd>500<\/dd>/);
  expect(final).toMatch(/<dt>Skipped<\/dt><dd>0 /);

  await waitFor("the redriven executions to complete", async () => {
    const state = (await baton.json("GET", "/system/state")).body;
    return state.executedJobs === FAILURES;
  });
  expect(await failedNow()).toBe(0);
  for (const id of [ids[0]!, ids[249]!, ids[499]!]) {
    const events = (await baton.json("GET", `/jobs/${id}/events`)).body.events as { type: string }[];
    expect(events.filter((e) => e.type === "ExecutionRedriven").length).toBe(1);
  }
  expect(await (await browser("/ui/operations", cookie)).text()).toContain(location);
});

test("an operation the server had not run when it stopped runs at the next start", async () => {
  const db = join(tempDir(), "baton.db");
  const first = await startBaton({ jobs: null, db });
  let ids: string[];
  try {
    await register(first, { id: "bulk-restart", tasks: [{ id: "only", functionName: "fail", params: { times: 1 } }] });
    ids = await Promise.all(
      Array.from({ length: 20 }, async () => (await first.json("POST", "/jobs/bulk-restart/execute", {})).body.executionID),
    );
    await waitFor("the 20 executions to fail", async () => {
      const page = (await first.json("GET", "/jobs?status=FAILED&definitionId=bulk-restart&limit=100")).body;
      return page.jobs.length === 20;
    });
  } finally {
    expect(await first.stop()).toBe(0);
  }
  // Left in the database as a stop between its creation and its first batch leaves it.
  const store = SqliteStore.open({ path: db });
  await store.operations.createOperation(
    { id: "op-left", kind: "redrive", scope: { filter: { status: "FAILED", definitionId: "bulk-restart" } }, total: 20, actor: null },
    Date.now(),
  );
  await store.close();
  const second = await startBaton({ jobs: null, db });
  try {
    const text = await waitFor("the operation to complete after the restart", async () => {
      const html = await (await fetch(`${second.url}/ui/operations/op-left`)).text();
      return html.includes(">COMPLETED<") && html;
    });
    expect(text).toContain("20 of 20 visited");
    await waitFor("the redriven executions to complete", async () => (await second.json("GET", "/system/state")).body.executedJobs === 20);
    const events = (await second.json("GET", `/jobs/${ids[0]}/events`)).body.events as { type: string }[];
    expect(events.filter((e) => e.type === "ExecutionRedriven").length).toBe(1);
  } finally {
    await second.stop();
  }
});
