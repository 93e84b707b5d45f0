/**
 * The definitions, diff and workers pages rendered without a server, on a world seeded through
 * the engine with the fake clock (the executions pages are in `pages.test.ts`).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type UiWorld, uiWorld } from "../../test/helpers/ui.ts";

let w: UiWorld;
beforeEach(async () => {
  w = await uiWorld({ talk: () => ({ exitCode: 0, stdout: "", stderr: "" }) });
  await w.register({
    id: "etl",
    tasks: [
      { id: "extract", functionName: "noop" },
      { id: "load", functionName: "talk" },
    ],
  });
  await w.register({ id: "broken", tasks: [{ id: "only", functionName: "fail" }] });
});
afterEach(() => w.close());

describe("definitions", () => {
  test("the list: each definition with its latest version, task and schedule counts, and links", async () => {
    await w.register({ id: "etl", name: "Nightly <ETL>", tasks: [{ id: "extract", functionName: "noop" }] }); // version 2
    const p = await w.page("/ui/definitions");
    expect(p.status).toBe(200);
    expect(p.html).toContain('<td><a href="/ui/definitions/etl">etl</a></td><td>Nightly &lt;ETL&gt;</td><td class="num">2</td>');
    expect(p.html).toContain('<a href="/ui/executions?definition=broken">list</a>');
  });

  test("one definition: its versions, the graph of the version asked for, its tasks and its schedules' next fires", async () => {
    await w.register({
      id: "etl",
      tasks: [
        { id: "extract", functionName: "noop" },
        { id: "load", functionName: "talk" },
        { id: "report", functionName: "noop", dependsOn: ["extract"] },
      ],
      schedules: [{ id: "hourly", cron: "0 * * * *" }],
    });
    const latest = await w.page("/ui/definitions/etl");
    expect(latest.html).toContain('<strong aria-current="page">2</strong>');
    expect(latest.html).toContain('<a href="/ui/definitions/etl?version=1">1</a>');
    expect(latest.html.match(/<path class="edge"/g)).toHaveLength(2);
    expect(latest.html).toContain("<title>report</title>");
    expect(latest.html).toContain("<td><code>report</code></td><td><code>noop</code></td><td>extract</td>");
    expect(latest.html).toContain("<code>hourly</code>");
    expect(latest.html.match(/<li><time datetime="[^"]+T\d{2}:00:00\.000Z" title="[^"]+ UTC">/g)).toHaveLength(5);
    const first = await w.page("/ui/definitions/etl?version=1");
    expect(first.html).toContain("(the latest is 2; new executions run it)");
    expect(first.html).not.toContain("<title>report</title>");
  });

  test("a missing definition, version or a version that is not a number: a 404 page saying which", async () => {
    expect((await w.page("/ui/definitions/nope")).html).toContain("No definition has the id &quot;nope&quot;.");
    const v9 = await w.page("/ui/definitions/etl?version=9");
    expect([v9.status, v9.html.includes("The definition &quot;etl&quot; has no version 9.")]).toEqual([404, true]);
    expect((await w.page("/ui/definitions/etl?version=x")).status).toBe(404);
  });
});

describe("a diff between two definition versions", () => {
  test("the latest against the one before by default, each changed line marked + or -, with counts", async () => {
    await w.register({
      id: "etl",
      name: "ETL <v2>",
      tasks: [
        { id: "extract", functionName: "noop" },
        { id: "load", functionName: "talk" },
      ],
    });
    const latest = await w.page("/ui/definitions/etl");
    expect(latest.html).toContain('<a href="/ui/definitions/etl/diff?from=1&amp;to=2">what changed from version 1</a>');
    const p = await w.page("/ui/definitions/etl/diff");
    expect(p.status).toBe(200);
    expect(p.html).toContain("version 1 → 2");
    expect(p.html).toContain("1 line added, 0 lines removed");
    expect(p.html).toContain('<span class="d-add">+   &quot;name&quot;: &quot;ETL &lt;v2&gt;&quot;,\n</span>');
    expect(p.html).toContain('<span class="d-same">    &quot;id&quot;: &quot;etl&quot;,\n</span>');
    // Backwards: the same line, removed.
    const back = await w.page("/ui/definitions/etl/diff?from=2&to=1");
    expect(back.html).toContain("0 lines added, 1 line removed");
    expect(back.html).toContain('<span class="d-del">-   &quot;name&quot;');
    expect((await w.page("/ui/definitions/etl/diff?from=2&to=2")).html).toContain("The same version: nothing to compare.");
  });

  test("a version the definition does not have, or no such definition: a 404 page saying which", async () => {
    const p = await w.page("/ui/definitions/etl/diff?from=7");
    expect([p.status, p.html.includes("The definition &quot;etl&quot; has no version 7 (from); its versions are 1.")]).toEqual([404, true]);
    expect((await w.page("/ui/definitions/etl/diff?to=x")).status).toBe(404);
    expect((await w.page("/ui/definitions/nope/diff")).status).toBe(404);
  });
});

describe("workers", () => {
  test("each worker seen lately with its functions, last poll and leases; the count on the overview", async () => {
    expect((await w.page("/ui/workers")).html).toContain("0 seen in the last 10 minutes, holding 0 leases.");
    await w.store.seeWorker("resizer-1", ["resize", "thumb"], w.clock.now());
    const p = await w.page("/ui/workers");
    expect(p.html).toContain("<td><code>resizer-1</code></td><td><code>resize</code>, <code>thumb</code></td>");
    expect(p.html).toContain("1 seen in the last 10 minutes, holding 0 leases.");
    expect((await w.page("/ui/")).html).toContain("1 seen lately, holding 0 leases");
  });
});
