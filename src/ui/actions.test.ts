/**
 * The dashboard's actions without tokens (open, as on loopback), without a server: execute with
 * a JSON input checked on the server, cancel, redrive and rerun, each behind a confirmation page,
 * then a redirect to the execution with a notice; the API's conflicts as pages; and the CSRF
 * cookie that stands in for a session (`actions.tsx`, `rerun.tsx`).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type UiAnswer, type UiWorld, uiWorld } from "../../test/helpers/ui.ts";

let w: UiWorld;
let csrf: string;
let headers: Record<string, string>;
beforeEach(async () => {
  w = await uiWorld();
  await w.register({
    id: "etl",
    tasks: [
      { id: "extract", functionName: "noop" },
      { id: "load", functionName: "echo" },
    ],
  });
  await w.register({ id: "broken", tasks: [{ id: "only", functionName: "fail", params: { errorName: "Boom" } }] });
  // Without tokens the forms carry the CSRF cookie's value, set by the first page that shows a form.
  const form = await w.page("/ui/definitions/etl/execute");
  const cookie = form.cookies.find((c) => c.startsWith("baton_csrf="))!;
  expect(cookie).toContain("HttpOnly");
  expect(cookie).toContain("SameSite=Strict");
  csrf = cookie.split(";")[0]!.slice("baton_csrf=".length);
  expect(form.html).toContain(`name="csrf" value="${csrf}"`);
  headers = { cookie: `baton_csrf=${csrf}` };
});
afterEach(() => w.close());

const send = (path: string, form: Record<string, string>): Promise<UiAnswer> => w.post(path, { csrf, ...form }, headers);
const fieldError = (html: string) => /class="field-error" role="alert">([^<]*)</.exec(html)?.[1] ?? null;
const count = async () => (await w.store.listExecutions({ limit: 100 })).executions.length;

describe("execute", () => {
  test("the definition's page links to the form; the input is checked on the server, with the error next to the field", async () => {
    expect((await w.page("/ui/definitions/etl")).html).toContain('href="/ui/definitions/etl/execute"');
    const notJson = await send("/ui/definitions/etl/execute", { input: '{"a": 1,' });
    expect(notJson.status).toBe(400);
    expect(fieldError(notJson.html)).toStartWith("This is not JSON: ");
    expect(notJson.html).toContain("{&quot;a&quot;: 1,</textarea>");
    const array = await send("/ui/definitions/etl/execute", { input: "[1, 2]" });
    expect(array.status).toBe(400);
    expect(fieldError(array.html)).toBe('The input must be a JSON object, e.g. {} or {"key": "value"}.'.replaceAll('"', "&quot;"));
    expect(await count()).toBe(0);
  });

  test("a valid input shows what will happen first; confirmed, it starts the execution and redirects to it with a notice", async () => {
    const review = await send("/ui/definitions/etl/execute", { input: '{"city":"Oslo"}' });
    expect(review.status).toBe(200);
    expect(review.html).toContain('This starts a new execution of <span class="mono">etl</span>, version 1 (the latest)');
    expect(await count()).toBe(0);
    const done = await send("/ui/definitions/etl/execute", { input: '{"city":"Oslo"}', confirm: "yes" });
    expect(done.status).toBe(303);
    const id = /^\/ui\/executions\/([^?]+)\?notice=executed$/.exec(done.location!)![1]!;
    expect((await w.store.loadExecution(id))!.input).toEqual({ city: "Oslo" });
    expect((await w.page(done.location!)).html).toContain("Execution started from the dashboard.");
  });

  test("an unknown definition is a 404 page", async () => {
    const res = await send("/ui/definitions/nope/execute", { input: "{}" });
    expect(res.status).toBe(404);
    expect(res.html).toContain("No definition has the id &quot;nope&quot;.");
  });
});

describe("cancel, redrive, rerun", () => {
  test("cancel: a queued execution shows the button, the confirmation says what happens, then it is CANCELLED", async () => {
    const { execution } = await w.engine.submitWith("etl", {}, { runAt: w.clock.now() + 3_600_000 });
    const page = await w.page(`/ui/executions/${execution.id}`, headers);
    expect(page.html).toContain(`action="/ui/executions/${execution.id}/cancel"`);
    expect(page.html).not.toContain("Redrive…");
    const review = await send(`/ui/executions/${execution.id}/cancel`, {});
    expect(review.html).toContain("Cancelling stops its running tasks and starts no more");
    expect((await w.store.loadExecution(execution.id))!.status).toBe("QUEUED");
    const done = await send(`/ui/executions/${execution.id}/cancel`, { confirm: "yes" });
    expect([done.status, done.location]).toEqual([303, `/ui/executions/${execution.id}?notice=cancelled`]);
    expect((await w.store.loadExecution(execution.id))!.status).toBe("CANCELLED");
  });

  test("redrive: a FAILED execution runs again; a COMPLETED one answers the API's 409 as a page", async () => {
    const failed = (await w.engine.submit("broken", {})).id;
    const completed = (await w.engine.submit("etl", {})).id;
    await w.drain();
    const done = await send(`/ui/executions/${failed}/redrive`, { confirm: "yes" });
    expect([done.status, done.location]).toEqual([303, `/ui/executions/${failed}?notice=redriven`]);
    expect((await w.store.events(failed))!.some((e) => e.type === "ExecutionRedriven")).toBe(true);
    const refused = await send(`/ui/executions/${completed}/redrive`, { confirm: "yes" });
    expect(refused.status).toBe(409);
    expect(refused.html).toContain(`execution ${completed} is COMPLETED; only FAILED or CANCELLED executions can be redriven`);
  });

  test("rerun: the form offers the tasks and the input to edit; confirmed, a new execution reruns from the task", async () => {
    const first = (await w.engine.submit("etl", { n: 1 })).id;
    await w.drain();
    const form = await w.page(`/ui/executions/${first}/rerun`, headers);
    expect(form.html).toContain('<option value="load">load (COMPLETED)</option>');
    const broken = (await w.engine.submit("broken", {})).id;
    await w.drain();
    expect((await w.page(`/ui/executions/${broken}/rerun`, headers)).html).toContain(
      '<option value="only" selected="">only (FAILED)</option>',
    );
    expect(form.html).toContain("&quot;n&quot;: 1");
    const unknown = await send(`/ui/executions/${first}/rerun`, { fromTask: "nope", input: "{}" });
    expect(unknown.status).toBe(400);
    expect(fieldError(unknown.html)).toBe(`Execution ${first} has no task &quot;nope&quot;.`);
    const review = await send(`/ui/executions/${first}/rerun`, { fromTask: "load", input: '{"n": 2}' });
    expect(review.html).toContain("the other tasks are not run again");
    const done = await send(`/ui/executions/${first}/rerun`, { fromTask: "load", input: '{"n": 2}', confirm: "yes" });
    const id = /^\/ui\/executions\/([^?]+)\?notice=rerun$/.exec(done.location!)![1]!;
    const rerun = (await w.store.loadExecution(id))!;
    expect([rerun.input, rerun.rerunOf]).toEqual([{ n: 2 }, first]);
  });

  test("without the CSRF cookie's value in the form, nothing changes and the answer is a 403 page", async () => {
    const failed = (await w.engine.submit("broken", {})).id;
    await w.drain();
    const noCookie = await w.post(`/ui/executions/${failed}/redrive`, { csrf, confirm: "yes" });
    const noField = await w.post(`/ui/executions/${failed}/redrive`, { confirm: "yes" }, headers);
    for (const res of [noCookie, noField]) expect([res.status, res.html.includes("Nothing was changed")]).toEqual([403, true]);
    expect((await w.store.loadExecution(failed))!.status).toBe("FAILED");
  });
});
