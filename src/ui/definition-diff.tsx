/**
 * `/ui/definitions/:id/diff?from=N&to=M`: what changed between two versions of a definition,
 * line by line on their indented JSON, each line marked in text (`+`, `-`) as well as colour.
 * Without `to` the latest version; without `from` the one before `to`.
 */
import type { Context } from "hono";
import { definitionHref } from "./definitions.tsx";
import { lineDiff } from "./diff.ts";
import { json } from "./format.ts";
import { BASE, Page } from "./layout.tsx";
import { notFoundPage } from "./not-found.tsx";
import type { DashboardPorts } from "./ports.ts";

const MARK = { same: "  ", del: "- ", add: "+ " } as const;

const lineCount = (n: number) => `${n} ${n === 1 ? "line" : "lines"}`;

export async function definitionDiffPage(c: Context, ports: DashboardPorts): Promise<Response> {
  const id = c.req.param("id")!;
  const versions = await ports.reads.definitionVersions(id);
  if (versions.length === 0) return notFoundPage(c, ports, `No definition has the id "${id}".`);
  const asked = (name: "from" | "to", fallback: number) => {
    const v = c.req.query(name) ?? "";
    return v === "" ? fallback : /^[1-9][0-9]{0,8}$/.test(v) ? Number(v) : Number.NaN;
  };
  const to = asked("to", versions.at(-1)!);
  const from = asked("from", versions.filter((v) => v < to).at(-1) ?? to);
  for (const [name, v] of [
    ["from", from],
    ["to", to],
  ] as const) {
    if (!versions.includes(v))
      return notFoundPage(
        c,
        ports,
        `The definition "${id}" has no version ${c.req.query(name)} (${name}); its versions are ${versions.join(", ")}.`,
      );
  }
  const [a, b] = await Promise.all([ports.reads.getDefinition(id, from), ports.reads.getDefinition(id, to)]);
  const lines = lineDiff(json(a!.body).split("\n"), json(b!.body).split("\n"));
  const count = (kind: "add" | "del") => lines?.filter((l) => l.kind === kind).length ?? 0;
  return c.html(
    <Page title={`Definition ${id}: ${from} → ${to}`} current="definitions" version={ports.version}>
      <h1>
        Definition <a href={definitionHref(id)}>{id}</a>: version {from} → {to}
      </h1>
      <form class="filters" method="get" action={`${BASE}/definitions/${encodeURIComponent(id)}/diff`}>
        {(["from", "to"] as const).map((name) => (
          <label>
            {name === "from" ? "From version" : "To version"}
            <select name={name}>
              {versions.map((v) => (
                <option value={String(v)} selected={v === (name === "from" ? from : to)}>
                  {v}
                </option>
              ))}
            </select>
          </label>
        ))}
        <button type="submit">Compare</button>
      </form>
      {lines === null ? (
        <p>These versions are too long to compare on a page.</p>
      ) : from === to ? (
        <p>The same version: nothing to compare.</p>
      ) : (
        <>
          <p>
            {lineCount(count("add"))} added, {lineCount(count("del"))} removed (lines marked <code>+</code> are only in version {to},{" "}
            <code>-</code> only in version {from}).
          </p>
          <pre class="diff">
            {lines.map((l) => (
              <span class={`d-${l.kind}`}>{`${MARK[l.kind]}${l.text}\n`}</span>
            ))}
          </pre>
        </>
      )}
    </Page>,
  );
}
