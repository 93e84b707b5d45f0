/**
 * Search inside input and output on the executions page: what the query needs (a definition
 * and a "from" time; not with an error name), what the store is asked (a bounded scan), and the
 * page on an engine world: the matches, how many executions were read, and the sentence when
 * the scan stopped early.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type UiWorld, uiWorld } from "../../test/helpers/ui.ts";
import { listQuery, readFilter } from "./filters.ts";
import { SEARCH_SCAN, searchSummary } from "./search.ts";

const q = (over: Record<string, string> = {}) => listQuery((k) => over[k]);

describe("the search query", () => {
  test("with a definition and a from time it becomes a bounded scan; the other filters stay", () => {
    const { filter, problems } = readFilter(q({ text: "acme", definition: "etl", from: "2026-11-30T00:00", status: "FAILED" }));
    expect(problems).toEqual([]);
    expect(filter).toMatchObject({ definitionId: "etl", status: "FAILED", search: { text: "acme", scan: SEARCH_SCAN } });
  });

  test("without a definition or a from time, or with an error name, it is refused in words", () => {
    expect(readFilter(q({ text: "acme", from: "2026-11-30T00:00" })).problems).toEqual([
      `searching inside input and output reads one definition's executions over a time range: choose a definition and a "Created from" time`,
    ]);
    expect(readFilter(q({ text: "acme", definition: "etl" })).problems).toHaveLength(1);
    expect(readFilter(q({ text: "acme", definition: "etl", from: "2026-11-30", error: "Boom" })).problems).toEqual([
      "searching inside input and output cannot be combined with an error name: leave one of them empty",
    ]);
  });

  test("the summary says how many were read and why it stopped", () => {
    const page = (n: number, scanned: number, next: string | null) => ({ executions: Array(n).fill({}), nextCursor: next, scanned });
    expect(searchSummary(page(1, 7, null), "acme", "etl")).toBe(
      `Read 7 executions of etl, newest first, for "acme" in their input or output: 1 match. That is every execution in the range.`,
    );
    expect(searchSummary(page(0, SEARCH_SCAN, "5"), "x", "etl")).toBe(
      `Read 10,000 executions of etl, newest first, for "x" in their input or output: 0 matches. It stopped after 10,000, the most one page reads: "Older" reads on, or narrow the time range.`,
    );
    expect(searchSummary(page(50, 80, "5"), "x", "etl")).toEndWith(`It stopped at a full page of matches: "Older" reads on.`);
  });
});

describe("the executions page with a search", () => {
  let w: UiWorld;
  beforeEach(async () => {
    w = await uiWorld();
    await w.register({ id: "orders", tasks: [{ id: "echo", functionName: "echo" }] });
    await w.register({ id: "other", tasks: [{ id: "echo", functionName: "echo" }] });
  });
  afterEach(() => w.close());

  const rowsOf = (html: string) => [...html.matchAll(/<a class="mono" href="\/ui\/executions\/([^"]+)">/g)].map((m) => m[1]);

  test("lists the executions whose input or output holds the text, says how many it read, and escapes the text", async () => {
    const ids: string[] = [];
    for (const customer of ["acme", "globex", "acme-west", "initech"]) {
      ids.push((await w.engine.submit("orders", { customer })).id);
      await w.engine.submit("other", { customer });
      await w.drain();
    }
    const from = new Date(w.clock.now() - 3_600_000).toISOString().slice(0, 16);
    const p = await w.page(`/ui/executions?definition=orders&from=${from}&text=acme`);
    expect(p.status).toBe(200);
    expect(rowsOf(p.html)).toEqual([ids[2], ids[0]]);
    expect(p.html).toContain(
      "Read 4 executions of orders, newest first, for &quot;acme&quot; in their input or output: 2 matches. That is every execution in the range.",
    );
    expect(p.html).toContain(`name="text" value="acme"`);
    const odd = await w.page(`/ui/executions?definition=orders&from=${from}&text=${encodeURIComponent("<b>")}`);
    expect(odd.html).toContain("for &quot;&lt;b&gt;&quot;");
    expect(rowsOf(odd.html)).toEqual([]);
  });

  test("without a definition it answers 400 with the form and the reason", async () => {
    const p = await w.page("/ui/executions?text=acme");
    expect(p.status).toBe(400);
    expect(p.html).toContain("choose a definition and a &quot;Created from&quot; time");
  });
});
