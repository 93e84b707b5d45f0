/**
 * The executions table's template rows (`rows.ts`) against the JSX they replace: the same
 * markup for every shape of execution (running, never started, failed, odd characters), and
 * every value escaped.
 */
import { describe, expect, test } from "bun:test";
import type { Execution } from "../domain/model.ts";
import { duration } from "./format.ts";
import { ExecutionLink, Status, Time } from "./layout.tsx";
import { executionRow } from "./rows.ts";

/** The row as executions.tsx wrote it in JSX before it became a template. */
const jsxRow = (e: Execution, now: number) => (
  <tr>
    <td>
      <ExecutionLink id={e.id} />
    </td>
    <td>
      {e.definitionId} <span class="muted">v{e.definitionVersion}</span>
    </td>
    <td>
      <Status status={e.status} />
    </td>
    <td>
      <Time at={e.createdAt} />
    </td>
    <td class="num">{e.startedAt === null ? "—" : duration((e.endTime ?? now) - e.startedAt)}</td>
    <td>{e.error ? <code>{e.error.name}</code> : ""}</td>
  </tr>
);

const base = {
  id: "01a2-exec",
  definitionId: "etl",
  definitionVersion: 3,
  status: "COMPLETED",
  createdAt: Date.UTC(2026, 10, 30, 1, 2, 3),
  startedAt: Date.UTC(2026, 10, 30, 1, 2, 4),
  endTime: Date.UTC(2026, 10, 30, 1, 2, 9),
  error: null,
} as unknown as Execution;
const NOW = Date.UTC(2026, 10, 30, 2);

const shapes: [string, Execution][] = [
  ["completed", base],
  ["running: the duration so far", { ...base, status: "RUNNING", endTime: null } as Execution],
  ["queued, never started", { ...base, status: "QUEUED", startedAt: null, endTime: null } as Execution],
  ["failed with an error name", { ...base, status: "FAILED", error: { taskId: "a", name: "States.Timeout", message: "m" } } as Execution],
  [
    "odd characters everywhere",
    {
      ...base,
      id: `a<b>&"c' d/e?f`,
      definitionId: "<script>x</script>",
      status: "FAILED",
      error: { taskId: "a", name: `<img src=x onerror="y">&`, message: "m" },
    } as Execution,
  ],
];

describe("executionRow", () => {
  for (const [name, e] of shapes)
    test(`renders what the JSX row rendered: ${name}`, async () => {
      expect(executionRow(e, NOW).toString()).toBe((await jsxRow(e, NOW).toString()) as string);
    });

  test("escapes what users sent", () => {
    const row = executionRow(shapes[4]![1], NOW).toString();
    expect(row).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect(row).toContain("&lt;img src=x onerror=&quot;y&quot;&gt;&amp;");
    expect(row).toContain(`href="/ui/executions/a%3Cb%3E%26%22c&#39;%20d%2Fe%3Ff"`);
    expect(row).not.toContain("<script>");
  });
});
