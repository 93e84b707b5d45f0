/**
 * Search inside input and output on the executions page (`?text=…`): a bounded scan, so its
 * cost is known before it runs. It needs a definition and a "created from" time, reads at most
 * `SEARCH_SCAN` executions of that range per page, newest first, and the page says how many it
 * read and whether it stopped before the range's end (then **Older** reads on). The store
 * matches the text in the input's and output's JSON (`ListFilter.search`); no index is kept for it.
 */
import type { ExecutionPage } from "../domain/model.ts";

/** Executions read per page at most, matching or not. */
export const SEARCH_SCAN = 10_000;

/** What the store needs, or the problems that make the search unusable. */
export function readSearch(q: { text: string; definition: string; from: string; error: string }): {
  search?: { text: string; scan: number };
  problems: string[];
} {
  if (q.text === "") return { problems: [] };
  const problems: string[] = [];
  if (q.definition === "" || q.from === "")
    problems.push(
      `searching inside input and output reads one definition's executions over a time range: choose a definition and a "Created from" time`,
    );
  if (q.error !== "") problems.push("searching inside input and output cannot be combined with an error name: leave one of them empty");
  return { search: { text: q.text, scan: SEARCH_SCAN }, problems };
}

/** The sentence above a search's results: how many executions were read, and whether it stopped early. */
export function searchSummary(page: ExecutionPage, text: string, definition: string): string {
  const read = (page.scanned ?? 0).toLocaleString("en");
  const found = page.executions.length;
  const head = `Read ${read} execution${page.scanned === 1 ? "" : "s"} of ${definition}, newest first, for "${text}" in their input or output: ${found} ${found === 1 ? "match" : "matches"}.`;
  if (page.nextCursor === null) return `${head} That is every execution in the range.`;
  return page.scanned === SEARCH_SCAN
    ? `${head} It stopped after ${SEARCH_SCAN.toLocaleString("en")}, the most one page reads: "Older" reads on, or narrow the time range.`
    : `${head} It stopped at a full page of matches: "Older" reads on.`;
}
