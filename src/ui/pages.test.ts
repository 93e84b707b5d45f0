/**
 * The overview, executions and execution pages and the mount, rendered without a server, on a
 * world seeded through the engine with the fake clock: each page shows what the store holds,
 * escapes what users sent, and pages, filters and 404s as its URL says (definitions and
 * workers: `pages-definitions.test.ts`).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type UiWorld, uiWorld } from "../../test/helpers/ui.ts";

let w: UiWorld;
beforeEach(async () => {
  w = await uiWorld({
    // What the shell function keeps: stdout and stderr in the output.
    talk: () => ({ exitCode: 0, stdout: `${"line\n".repeat(1000)}LAST LINE`, stderr: "a warning" }),
  });
  await w.register({
    id: "etl",
    tasks: [
      { id: "extract", functionName: "noop" },
      { id: "load", functionName: "talk" },
    ],
  });
  await w.register({
    id: "flaky",
    tasks: [
      { id: "first", functionName: "noop" },
      {
        id: "shaky",
        functionName: "fail",
        params: { times: 1, errorName: "Upstream" },
        retry: { maxAttempts: 2, intervalSeconds: 5, backoffRate: 1, jitterStrategy: "NONE", errorEquals: ["Upstream"] },
      },
      { id: "after", functionName: "noop", dependsOn: ["first", "shaky"] },
    ],
  });
  await w.register({
    id: "broken",
    tasks: [{ id: "only", functionName: "fail", params: { errorName: "Boom", message: "it <b>broke</b>" } }],
  });
});
afterEach(() => w.close());

async function run(definitionId: string, input: Record<string, unknown> = {}): Promise<string> {
  const e = await w.engine.submit(definitionId, input);
  await w.drain();
  return e.id;
}

const rowsOf = (html: string) => [...html.matchAll(/<a class="mono" href="\/ui\/executions\/([^"]+)">/g)].map((m) => m[1]);

describe("the mount", () => {
  test("/ redirects to /ui/; /ui and /ui/ are the overview; every page is HTML with a doctype", async () => {
    const home = await w.page("/");
    expect([home.status, home.location]).toEqual([302, "/ui/"]);
    for (const path of ["/ui", "/ui/", "/ui/executions"]) {
      const p = await w.page(path);
      expect([path, p.status, p.type]).toEqual([path, 200, "text/html; charset=UTF-8"]);
      expect(p.html).toStartWith("<!DOCTYPE html>");
    }
  });

  test("every answer carries a content security policy that allows this origin only, and no inline script", async () => {
    for (const path of ["/ui/", "/ui/executions", "/ui/nope", "/ui/assets/style.css"]) {
      const res = await w.app.request(path);
      expect([path, res.headers.get("content-security-policy")]).toEqual([
        path,
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
      ]);
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      // Not no-referrer: with it a browser's form POST says `Origin: null`, which the CSRF check refuses.
      expect(res.headers.get("referrer-policy")).toBe("same-origin");
    }
    // The pages keep to it: no inline script, no style attribute, no inline event handler.
    const html = (await w.page("/ui/executions")).html + (await w.page("/ui/")).html;
    expect(html.match(/<script(?![^>]*\ssrc=)[^>]*>/g) ?? []).toEqual([]);
    expect(html).not.toMatch(/\sstyle="|\son[a-z]+="/);
  });

  test("unknown dashboard paths are an HTML 404 page; API paths answer as before", async () => {
    const p = await w.page("/ui/nope");
    expect([p.status, p.type]).toEqual([404, "text/html; charset=UTF-8"]);
    expect(p.html).toContain("The dashboard has no page at /ui/nope.");
    expect((await w.page("/jobs")).status).toBe(200);
    expect((await w.page("/nope")).type).toBe("application/problem+json");
  });

  test("the assets are served with their types, from the binary", async () => {
    const css = await w.page("/ui/assets/style.css");
    expect([css.status, css.type]).toEqual([200, "text/css; charset=utf-8"]);
    expect(css.html).toContain("prefers-color-scheme");
    expect((await w.page("/ui/assets/favicon.svg")).type).toBe("image/svg+xml");
    expect((await w.page("/ui/assets/app.js")).html).toContain("time[datetime]");
    expect((await w.page("/ui/assets/nope.js")).status).toBe(404);
  });
});

describe("execution detail", () => {
  test("facts, graph nodes with their status as text, every attempt with its retry wait, errors and the history", async () => {
    const id = await run("flaky", { n: 1 });
    const p = await w.page(`/ui/executions/${id}`);
    expect(p.status).toBe(200);
    expect(p.html).toContain('<span class="status s-ok">COMPLETED</span>');
    expect(p.html).toContain('<a href="/ui/definitions/flaky?version=1">flaky version 1</a>');
    // The graph: three nodes in three layers (shaky depends on the previous task); edges first→shaky, first→after, shaky→after.
    for (const task of ["first", "shaky", "after"]) expect(p.html).toContain(`<title>${task}: COMPLETED</title>`);
    expect(p.html.match(/<path class="edge"/g)).toHaveLength(3);
    expect(p.html).toContain('<rect class="n-ok" x="456" y="8"'); // "after" in the third column
    // The timeline: the failed first attempt, its 5 s wait, the second one.
    expect(p.html).toContain("shaky #1 RETRYING");
    expect(p.html).toContain("shaky #2 COMPLETED");
    expect(p.html).toMatch(/<title>shaky attempt 1: RETRYING, [^<]*then waited 5\.0 s<\/title>/);
    expect(p.html).toContain("<code>Upstream</code>:");
    for (const type of ["ExecutionQueued", "TaskRetrying", "ExecutionCompleted"]) expect(p.html).toContain(`<td>${type}</td>`);
  });

  test("what users sent is shown as text, never as markup", async () => {
    const id = await run("broken", { note: "<script>alert(1)</script>" });
    const p = await w.page(`/ui/executions/${id}`);
    expect(p.html).not.toContain("<script>alert(1)");
    expect(p.html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(p.html).toContain("it &lt;b&gt;broke&lt;/b&gt;");
    expect(p.html).toContain('<span class="status s-bad">FAILED</span>');
  });

  test("captured stdout shows its tail first and all of it on demand; stderr in full when short", async () => {
    const id = await run("etl");
    const p = await w.page(`/ui/executions/${id}`);
    expect(p.html).toContain("stdout: the last 4000 characters of 5009");
    expect(p.html).toContain("<summary>All of stdout</summary>");
    expect(p.html).toContain("LAST LINE</pre>");
    expect(p.html).toContain("<pre>a warning</pre>");
    expect(p.html).not.toContain("All of stderr");
  });

  test("links to the execution it reruns and to its reruns", async () => {
    const original = await run("flaky");
    const rerun = await w.engine.rerun(original, "after");
    await w.drain();
    const from = await w.page(`/ui/executions/${original}`);
    expect(from.html).toContain(`<dt>Reruns</dt><dd><a class="mono" href="/ui/executions/${rerun.id}">`);
    const to = await w.page(`/ui/executions/${rerun.id}`);
    expect(to.html).toContain(`<dt>Rerun of</dt><dd><a class="mono" href="/ui/executions/${original}">`);
    expect(to.html).toContain("Carried over from the execution this one reruns");
  });

  test("a missing id is a 404 page that says so", async () => {
    const p = await w.page("/ui/executions/ghost%3Cb%3E");
    expect([p.status, p.type]).toEqual([404, "text/html; charset=UTF-8"]);
    expect(p.html).toContain("No execution has the id &quot;ghost&lt;b&gt;&quot;.");
  });
});

describe("executions list", () => {
  test("newest first, filtered by status and definition through the URL", async () => {
    const a = await run("etl");
    const b = await run("broken");
    const c = await run("etl");
    expect(rowsOf((await w.page("/ui/executions")).html)).toEqual([c, b, a]);
    expect(rowsOf((await w.page("/ui/executions?status=FAILED")).html)).toEqual([b]);
    const etl = await w.page("/ui/executions?definition=etl&status=COMPLETED");
    expect(rowsOf(etl.html)).toEqual([c, a]);
    expect(etl.html).toContain('<option value="etl" selected="">etl</option>');
    expect(etl.html).toContain('<option value="COMPLETED" selected="">COMPLETED</option>');
    expect((await w.page("/ui/executions?definition=nope")).html).toContain("No execution matches these filters.");
    expect(rowsOf((await w.page("/ui/executions?error=Boom")).html)).toEqual([b]);
    expect(rowsOf((await w.page("/ui/executions?error=Upstream")).html)).toEqual([]);
  });

  test("by created time: from is inclusive, before is exclusive", async () => {
    const start = w.clock.now();
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(await run("etl"));
      await w.clock.advance(60_000);
    }
    const at = (ms: number) => new Date(ms).toISOString().slice(0, 19);
    const p = await w.page(`/ui/executions?from=${at(start + 60_000)}&to=${at(start + 120_000)}`);
    expect(rowsOf(p.html)).toEqual([ids[1]]);
    expect(p.html).toContain(`name="from" value="${at(start + 60_000)}"`);
  });

  test("paged by cursor: the Older link keeps the filters and goes on where the page ended", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 55; i++) ids.push((await w.engine.submit("etl", {})).id);
    await w.drain();
    const first = await w.page("/ui/executions?definition=etl");
    expect(rowsOf(first.html)).toEqual(ids.slice(5).reverse());
    const older = /<a href="(\/ui\/executions\?definition=etl&amp;cursor=\d+)">Older<\/a>/.exec(first.html)![1]!.replace("&amp;", "&");
    const second = await w.page(older);
    expect(rowsOf(second.html)).toEqual(ids.slice(0, 5).reverse());
    expect(second.html).not.toContain(">Older</a>");
    expect(second.html).toContain('<a href="/ui/executions?definition=etl">Newest</a>');
  });

  test("bad filters: 400 with every problem in words, and the form to fix them", async () => {
    const p = await w.page("/ui/executions?status=nope&from=yesterday");
    expect(p.status).toBe(400);
    expect(p.html).toContain("These filters cannot be used");
    expect(p.html).toContain("status &quot;nope&quot; is not one of QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED");
    expect(p.html).toContain("from &quot;yesterday&quot; is not a time");
    expect(p.html).toContain('<form class="filters" method="get" action="/ui/executions">');
  });
});

describe("overview", () => {
  test("counts by status, what runs now, and the last 24 hours' failures by definition and error name", async () => {
    await run("etl");
    await run("broken");
    await run("broken");
    await w.clock.advance(25 * 60 * 60 * 1000);
    await run("broken");
    await run("flaky");
    const p = await w.page("/ui/");
    const count = (status: string) => new RegExp(`>${status}</span></a></th><td class="num">(\\d+)</td>`).exec(p.html)?.[1];
    expect(["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"].map(count)).toEqual(["0", "0", "2", "3", "0"]);
    expect(p.html).toContain("0 running, 0 queued");
    expect(p.html).toContain("0 seen lately, holding 0 leases");
    // Only the failure created in the last 24 hours counts.
    expect(p.html).toMatch(/>broken<\/a><\/td><td><code>Boom<\/code><\/td><td class="num">1<\/td>/);
    // Each group links to the list of its failures: that definition, that error name, since 24 hours ago.
    const since = new Date(w.clock.now() - 24 * 60 * 60 * 1000).toISOString().slice(0, 19);
    expect(p.html).toContain(`<a href="/ui/executions?status=FAILED&amp;definition=broken&amp;from=${since}&amp;error=Boom">broken</a>`);
    expect(p.html).toContain("1 failed among the executions created since");
    expect(p.html).not.toContain("Upstream"); // flaky retried and completed
  });

  test("the next fires of the schedules that are not paused", async () => {
    await w.register({
      id: "nightly",
      tasks: [{ id: "only", functionName: "noop" }],
      schedules: [
        { id: "at-two", cron: "0 2 * * *" },
        { id: "stopped", cron: "0 3 * * *", paused: true },
      ],
    });
    const p = await w.page("/ui/");
    expect(p.html).toContain("<code>at-two</code>");
    expect(p.html).not.toContain("<code>stopped</code>");
    expect(p.html).toMatch(
      /<time datetime="\d{4}-\d{2}-\d{2}T02:00:00\.000Z" title="\d{4}-\d{2}-\d{2} 02:00:00 UTC">\d{4}-\d{2}-\d{2} 02:00:00 UTC<\/time>/,
    );
  });
});
