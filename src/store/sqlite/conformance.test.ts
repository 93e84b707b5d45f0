/** The store contract (test/store/conformance) on SQLite, in memory and on a file, through both drivers (driver.ts). */
import { afterAll } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runStoreSuite } from "../../../test/store/conformance/index.ts";
import { SqliteStore } from "./store.ts";

runStoreSuite("sqlite :memory:", async () => SqliteStore.open({ path: ":memory:" }));

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

runStoreSuite("sqlite file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "baton-conformance-"));
  dirs.push(dir);
  return SqliteStore.open({ path: join(dir, "baton.db") });
});

// node:sqlite, the driver Deno runs on (in memory: a second suite on files would add 6 s; the
// file-only parts, WAL, checkpoints, backups, run on both drivers in their own tests).
runStoreSuite("sqlite :memory:, node:sqlite", async () => SqliteStore.open({ path: ":memory:", driver: "node" }));
