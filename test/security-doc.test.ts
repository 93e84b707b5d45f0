/**
 * docs/security.md shows the roles and permissions as tables; they must say what the code
 * does. The expected rows are generated from `domain/auth.ts`, so a change there fails here
 * until the page is updated.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { OPEN_PATHS } from "../src/api/auth.ts";
import { PERMISSION_HELP, PERMISSIONS, ROLE_NAMES, ROLES } from "../src/domain/auth.ts";

const DOC = readFileSync(join(import.meta.dir, "..", "docs", "security.md"), "utf8");
const rowsOf = (firstHeader: string) => {
  const start = DOC.indexOf(`| ${firstHeader} |`);
  expect(start).toBeGreaterThan(-1);
  const lines = DOC.slice(start).split("\n");
  return lines.slice(
    2,
    lines.findIndex((l, i) => i > 0 && !l.startsWith("|")),
  );
};

test("the roles table lists each role's permissions as the code defines them", () => {
  expect(rowsOf("role")).toEqual(ROLE_NAMES.map((r) => `| \`${r}\` | ${[...ROLES[r]].map((p) => `\`${p}\``).join(", ")} |`));
});

test("the permissions table lists every permission with what it allows", () => {
  expect(rowsOf("permission")).toEqual(PERMISSIONS.map((p) => `| \`${p}\` | ${PERMISSION_HELP[p]} |`));
});

test("the open endpoints named on the page are the ones the code leaves open", () => {
  const section = DOC.slice(DOC.indexOf("## Open endpoints"), DOC.indexOf("## Creating a token"));
  expect([...section.matchAll(/`(\/[^`]+)`/g)].map((m) => m[1])).toEqual([...OPEN_PATHS]);
});
