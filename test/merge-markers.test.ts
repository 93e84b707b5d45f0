/**
 * No file of the repository keeps a merge's conflict markers: a doc or a test with one still
 * builds and passes everything else (docs/architecture.md once carried one for a merge).
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const FOLDERS = ["src", "test", "scripts", "docs", "examples", "jobs", ".ci"];
const MARKER = /^(<{7} |={7}$|>{7} )/m;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : /\.(png|db)$/.test(e.name) ? [] : [join(dir, e.name)],
  );
}

test("no file holds a conflict marker of an unfinished merge", () => {
  const all = [...FOLDERS.flatMap((f) => files(join(ROOT, f))), join(ROOT, "README.md"), join(ROOT, "package.json")];
  expect(all.length).toBeGreaterThan(100);
  const marked = all.filter((f) => MARKER.test(readFileSync(f, "utf8"))).map((f) => f.slice(ROOT.length + 1));
  expect(marked).toEqual([]);
});
