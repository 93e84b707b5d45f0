/**
 * The definitions, diff and workers pages rendered without a server, on a world seeded through
 * the engine with the fake clock (the executions pages are in `pages.test.ts`); the workers'
 * leases are taken by polls through the engine, as a remote worker takes them.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type UiWorld, uiWorld } from "../../test/helpers/ui.ts";
import { LEASES_SHOWN } from "./workers.tsx";

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
    expect((await w.page("/ui/workers")).html).toContain("0 seen in the last 10 minutes; 0 leases held now.");
    await w.store.seeWorker("resizer-1", ["resize", "thumb"], w.clock.now());
    const p = await w.page("/ui/workers");
    expect(p.html).toContain("<td><code>resizer-1</code></td><td><code>resize</code>, <code>thumb</code></td>");
    expect(p.html).toContain('<td class="num"><span class="muted">none</span></td>');
    expect(p.html).toContain("1 seen in the last 10 minutes; 0 leases held now.");
    expect(p.html).toContain("<h2>Leases held now</h2><p>No worker holds a lease now.</p>");
    expect((await w.page("/ui/")).html).toContain("1 seen lately, holding 0 leases");
  });

  /** An execution of `thumbs`, its remote task `resize` taken by a poll of `worker`: the attempt and its lease. */
  async function leased(worker: string) {
    const { id } = await w.engine.submit("thumbs", {});
    await w.clock.flush();
    const [task] = await w.engine.poll(worker, ["resize"], 1, 0);
    expect(task).toMatchObject({ executionId: id, taskId: "resize", attempt: 1 });
    return task!;
  }

  test("the leases held now, under their worker, with links to the execution and its task, and when each expires", async () => {
    await w.register({ id: "thumbs", tasks: [{ id: "resize", functionName: "resize", remote: true }] });
    const task = await leased("resizer-1");
    await w.store.seeWorker("idle-2", ["thumb"], w.clock.now());
    const p = await w.page("/ui/workers");
    expect(p.html).toContain("2 seen in the last 10 minutes; 1 lease held now.");
    const execution = `/ui/executions/${task.executionId}`;
    const expires = new Date(task.leaseExpiresAt).toISOString();
    expect(p.html).toContain(
      `<tr><td><code>resizer-1</code></td><td><a class="mono" href="${execution}">${task.executionId}</a></td>` +
        `<td><a href="${execution}#task-resize"><code>resize</code></a></td><td class="num">1</td><td><code>resize</code></td>`,
    );
    expect(p.html).toContain(`<time datetime="${expires}"`);
    // The worker without a lease says so; the one with it counts it.
    expect(p.html).toContain("<td><code>idle-2</code></td><td><code>thumb</code></td>");
    expect(p.html).toMatch(/<code>idle-2<\/code>.*?<td class="num"><span class="muted">none<\/span><\/td>/);
    expect(p.html).toMatch(
      /<code>resizer-1<\/code><\/td><td><code>resize<\/code><\/td><td><time[^>]*>[^<]*<\/time><\/td><td class="num">1<\/td>/,
    );
    // The task's link lands on its section of the execution's page.
    expect((await w.page(execution)).html).toContain('<section id="task-resize">');
  });

  test("more leases than the page lists: those that expire soonest, and a count of the others", async () => {
    await w.register({ id: "thumbs", tasks: [{ id: "resize", functionName: "resize", remote: true }] });
    const first = await leased("resizer-1");
    await w.clock.advance(1000);
    const second = await leased("resizer-1");
    // The store is asked for the page's cap; answered as if it were 1, so the second lease is one of the others.
    const read = w.store.liveLeases;
    const asked: number[] = [];
    w.store.liveLeases = (now, limit) => {
      asked.push(limit);
      return read(now, 1);
    };
    const p = await w.page("/ui/workers");
    expect(asked).toEqual([LEASES_SHOWN]);
    expect(p.html).toContain("2 leases held now.");
    expect(p.html).toContain(`href="/ui/executions/${first.executionId}"`);
    expect(p.html).not.toContain(`href="/ui/executions/${second.executionId}"`);
    expect(p.html).toContain(`<p>And 1 more, expiring later: the page lists the ${LEASES_SHOWN} that expire soonest.</p>`);
  });

  test("a lease that ended or expired is not held: the page leaves it out", async () => {
    await w.register({ id: "thumbs", tasks: [{ id: "resize", functionName: "resize", remote: true }] });
    const done = await leased("resizer-1");
    const late = await leased("resizer-2");
    expect((await w.page("/ui/workers")).html).toContain("2 leases held now.");
    await w.engine.completeLease(done.leaseId, { ok: true });
    let p = await w.page("/ui/workers");
    expect(p.html).toContain("1 lease held now.");
    expect(p.html).not.toContain(`href="/ui/executions/${done.executionId}"`);
    expect(p.html).toContain(`href="/ui/executions/${late.executionId}"`);
    // No heartbeat: once its expiry has come, the lease is not held, whether or not the expiry service has ended it yet.
    await w.clock.advance(late.leaseExpiresAt - w.clock.now());
    p = await w.page("/ui/workers");
    expect(p.html).toContain("0 leases held now.");
    expect(p.html).toContain("No worker holds a lease now.");
    expect(p.html).not.toContain(`href="/ui/executions/${late.executionId}"`);
  });
});
