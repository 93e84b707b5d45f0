/**
 * Bulk actions in the dashboard, without a server: the list's checkboxes and buttons, the
 * confirmation (the filter in words, how many, what is skipped), the operation it creates and
 * its page while it runs and once done; a selection; refusals in words; and, with tokens, a
 * read session that sees no bulk or stop button and whose forged POSTs are refused; stopping an
 * operation (`bulk.tsx`, `operations.tsx`).
 */
import { afterEach, describe, expect, test } from "bun:test";
import { tokenFor, type UiAnswer, type UiWorld, uiWorld } from "../../test/helpers/ui.ts";
import type { TokenEntry } from "../domain/auth.ts";

let w: UiWorld;
afterEach(() => w.close());

/** A world with `n` FAILED executions of "broken" and one COMPLETED of "fine". */
async function withFailures(n: number, tokens?: TokenEntry[]) {
  w = await uiWorld({}, tokens === undefined ? {} : { tokens });
  await w.register({ id: "broken", tasks: [{ id: "only", functionName: "fail", params: { errorName: "Boom" } }] });
  await w.register({ id: "fine", tasks: [{ id: "only", functionName: "noop" }] });
  const failed: string[] = [];
  for (let i = 0; i < n; i++) failed.push((await w.engine.submit("broken", {})).id);
  const completed = (await w.engine.submit("fine", {})).id;
  await w.drain();
  return { failed, completed };
}

const csrfIn = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? null;

/** Without tokens: the list page, its CSRF token and the cookie that carries it. */
async function openList(query = "") {
  const list = await w.page(`/ui/executions${query}`);
  const cookie = list.cookies.find((c) => c.startsWith("baton_csrf="))!.split(";")[0]!;
  return { list, csrf: csrfIn(list.html)!, headers: { cookie } };
}

describe("bulk actions", () => {
  test("'redrive all matching': the list's button, a confirmation in words, then an operation whose page shows its progress", async () => {
    const { failed, completed } = await withFailures(120);
    const { list, csrf, headers } = await openList("?status=FAILED&definition=broken");
    expect(list.html).toContain('formaction="/ui/operations/redrive" name="scope" value="matching"');
    expect(list.html).toContain("Redrive all matching…");
    expect(list.html).toContain("Cancel all matching…");
    expect(list.html).toContain('form="bulk" name="id-0"');
    const form = { csrf, status: "FAILED", definition: "broken", from: "", to: "", error: "" };
    const confirm = await w.post("/ui/operations/redrive", { ...form, scope: "matching" }, headers);
    expect(confirm.status).toBe(200);
    expect(confirm.html).toContain("Redrive 120 executions?");
    expect(confirm.html).toContain("the 120 executions that match <strong>status FAILED, definition &quot;broken&quot;</strong> now");
    expect(confirm.html).toContain("Those QUEUED, RUNNING or COMPLETED when their turn comes are skipped.");
    expect(await w.store.operations.listOperations(10)).toEqual([]);

    const done = await w.post("/ui/operations/redrive", { ...form, scope: "matching", ids: "", confirm: "yes" }, headers);
    expect([done.status, done.location]).toEqual([303, "/ui/operations/op-1"]);
    const queued = await w.app.request("/ui/operations/op-1");
    expect(queued.headers.get("refresh")).toBe("2");
    const queuedHtml = await queued.text();
    expect(queuedHtml).toContain("Redrive of the executions matching status FAILED, definition &quot;broken&quot;");
    expect(queuedHtml).toContain("0 of 120 visited");
    expect(queuedHtml).toContain("QUEUED");

    await w.bulk.runBatch();
    const running = await w.page("/ui/operations/op-1");
    expect(running.html).toContain("RUNNING</span> 100 of 120 visited");
    expect(running.html).toContain('<progress max="120" value="100">');
    await w.bulk.runBatch();
    const finished = await w.app.request("/ui/operations/op-1");
    expect(finished.headers.get("refresh")).toBeNull();
    const html = await finished.text();
    expect(html).toContain("COMPLETED</span> 120 of 120 visited");
    expect(html).toMatch(/<dt>Redriven<\/dt><dd>120<\/dd>/);
    for (const id of failed) expect((await w.store.events(id))!.some((e) => e.type === "ExecutionRedriven")).toBe(true);
    expect((await w.store.events(completed))!.some((e) => e.type === "ExecutionRedriven")).toBe(false);
    const index = await w.page("/ui/operations");
    expect(index.html).toContain('href="/ui/operations/op-1"');
    expect(index.html).toContain("120 of 120 visited");
  });

  test("a selection: the ticked ones only; a finished one among them is skipped", async () => {
    const { failed, completed } = await withFailures(3);
    const { csrf, headers } = await openList();
    const picked = { "id-0": failed[0]!, "id-3": completed };
    const confirm = await w.post("/ui/operations/redrive", { csrf, scope: "selected", ...picked }, headers);
    expect(confirm.html).toContain("Redrive 2 executions?");
    expect(confirm.html).toContain(`name="ids" value="${failed[0]},${completed}"`);
    const done = await w.post(
      "/ui/operations/redrive",
      { csrf, scope: "selected", ids: `${failed[0]},${completed}`, confirm: "yes" },
      headers,
    );
    expect(done.location).toBe("/ui/operations/op-1");
    await w.bulk.runBatch();
    expect(await w.store.operations.getOperation("op-1")).toMatchObject({ status: "COMPLETED", processed: 2, changed: 1, skipped: 1 });
    expect((await w.store.loadExecution(failed[1]!))!.status).toBe("FAILED");
  });

  test("nothing ticked, a filter that cannot be used, or an unknown kind: a page in words, nothing created", async () => {
    await withFailures(1);
    const { csrf, headers } = await openList();
    const none = await w.post("/ui/operations/cancel", { csrf, scope: "selected" }, headers);
    expect(none.status).toBe(400);
    expect(none.html).toContain("no execution was ticked. Tick the ones to cancel, or use &quot;Cancel all matching&quot;.");
    const bad = await w.post("/ui/operations/redrive", { csrf, scope: "matching", status: "BROKEN" }, headers);
    expect(bad.status).toBe(400);
    expect(bad.html).toContain("status &quot;BROKEN&quot; is not one of");
    // "All matching" pages the plain filters, so it refuses a search inside input and output.
    const searched = await w.post(
      "/ui/operations/redrive",
      { csrf, scope: "matching", definition: "j", from: "2020-01-01T00:00", text: "x" },
      headers,
    );
    expect(searched.status).toBe(400);
    expect(searched.html).toContain("acts on the list&#39;s filters, not on a search inside input and output");
    const kind = await w.post("/ui/operations/delete", { csrf, scope: "matching" }, headers);
    expect(kind.status).toBe(404);
    expect(await w.store.operations.listOperations(10)).toEqual([]);
    expect((await w.page("/ui/operations/nope")).status).toBe(404);
  });

  test("a queued or running operation can be stopped behind a confirmation; what it did stays done", async () => {
    const { failed } = await withFailures(3);
    const { csrf, headers } = await openList();
    await w.post("/ui/operations/redrive", { csrf, scope: "selected", ids: failed.join(","), confirm: "yes" }, headers);
    const page = await w.page("/ui/operations/op-1");
    expect(page.html).toContain('action="/ui/operations/op-1/stop"');
    const confirm = await w.post("/ui/operations/op-1/stop", { csrf }, headers);
    expect(confirm.html).toContain("Stopping it runs no further batch: what it has done stays done");
    const stopped = await w.post("/ui/operations/op-1/stop", { csrf, confirm: "yes" }, headers);
    expect([stopped.status, stopped.location]).toEqual([303, "/ui/operations/op-1"]);
    const after = await w.app.request("/ui/operations/op-1");
    expect(after.headers.get("refresh")).toBeNull();
    const html = await after.text();
    expect(html).toContain("INTERRUPTED");
    expect(html).not.toContain("Stop…");
    expect(await w.bulk.runBatch()).toBe(false);
    expect((await w.store.loadExecution(failed[0]!))!.status).toBe("FAILED");
    const again = await w.post("/ui/operations/op-1/stop", { csrf, confirm: "yes" }, headers);
    expect(again.status).toBe(409);
    expect(again.html).toContain("Nothing was changed: this operation is already INTERRUPTED.");
  });

  test("a form without the CSRF token creates nothing", async () => {
    await withFailures(1);
    const { headers } = await openList();
    const res = await w.post("/ui/operations/redrive", { scope: "matching", confirm: "yes" }, headers);
    expect(res.status).toBe(403);
    expect(await w.store.operations.listOperations(10)).toEqual([]);
  });

  test("a read session sees no checkbox or bulk button, and its forged POST is refused with 403; an operate session has both", async () => {
    const read = tokenFor("viewer", "read");
    const ops = tokenFor("ops", "operate");
    const { failed } = await withFailures(2, [read.entry, ops.entry]);
    const login = async (token: string) => {
      const res: UiAnswer = await w.post("/ui/login", { token, next: "/ui/" });
      return { cookie: res.cookies.find((c) => c.startsWith("baton_session="))!.split(";")[0]! };
    };
    const reader = await login(read.token);
    const list = await w.page("/ui/executions?status=FAILED", reader);
    expect(list.status).toBe(200);
    expect(list.html).not.toContain("all matching");
    expect(list.html).not.toContain('form="bulk"');
    const csrf = csrfIn((await w.page("/ui/account", reader)).html)!;
    const forged = await w.post("/ui/operations/redrive", { csrf, scope: "matching", status: "FAILED", confirm: "yes" }, reader);
    expect(forged.status).toBe(403);
    expect(forged.html).toContain("the role read, which lacks the permission executions.redrive");
    expect(await w.store.operations.listOperations(10)).toEqual([]);

    await w.bulk.create({ kind: "redrive", scope: { ids: [failed[1]!] }, total: 1, actor: "ops" });
    expect((await w.page("/ui/operations/op-1", reader)).html).not.toContain("Stop…");
    const forgedStop = await w.post("/ui/operations/op-1/stop", { csrf, confirm: "yes" }, reader);
    expect(forgedStop.status).toBe(403);
    expect((await w.store.operations.getOperation("op-1"))!.status).toBe("QUEUED");
    await w.bulk.runBatch();

    const operator = await login(ops.token);
    const opsList = await w.page("/ui/executions?status=FAILED", operator);
    expect(opsList.html).toContain("Redrive all matching…");
    const done = await w.post(
      "/ui/operations/redrive",
      { csrf: csrfIn(opsList.html)!, scope: "matching", status: "FAILED", confirm: "yes" },
      operator,
    );
    expect([done.status, done.location]).toEqual([303, "/ui/operations/op-2"]);
    await w.bulk.runBatch();
    expect(await w.store.operations.getOperation("op-2")).toMatchObject({ actor: "ops", status: "COMPLETED", failed: 0 });
    expect((await w.store.events(failed[0]!))!.find((e) => e.type === "ExecutionRedriven")?.data?.actor).toBe("ops");
  });
});
