/**
 * A database file moves between Bun and Deno: Deno (node:sqlite) opens one Bun wrote, reads
 * it back the same, writes to it, and Bun reads that; and the other way round. Runs
 * `deno-store.ts` with Deno from node_modules (the devDependency), with the permissions the
 * store needs and no more: read and write the database's folder, read the source, and the
 * uid and statfs of `sys` (node:fs accessSync and statfsSync ask for them under Deno).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { everything } from "./fixtures.ts";
import { someHistory } from "./history.ts";

const ROOT = resolve(import.meta.dir, "..", "..");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-deno-"));
  path = join(dir, "baton.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

interface DenoSide {
  driver: string;
  before: unknown;
  after: { executions: { id: string }[] };
  warnings: string[];
  checkpointed: boolean;
  backup: string;
  codes: Record<string, string>;
}

async function underDeno(mode: "existing" | "fresh"): Promise<DenoSide> {
  const permissions = [`--allow-read=${ROOT},${dir}`, `--allow-write=${dir}`, "--allow-sys=uid,statfs"];
  const proc = Bun.spawn([DENO, "run", ...permissions, join(ROOT, "test/store/deno-store.ts"), path, mode], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`deno exited ${code}: ${err}`);
  return JSON.parse(out) as DenoSide;
}

/** What a store reads, as it crosses a process boundary as JSON. */
const asJson = async (store: SqliteStore) => JSON.parse(JSON.stringify(await everything(store)));

describe("a database file between Bun and Deno", () => {
  test("Deno opens what Bun wrote, reads it back the same, and Bun reads what Deno wrote", async () => {
    const bun = SqliteStore.open({ path });
    await someHistory(bun);
    const written = await asJson(bun);
    await bun.close();
    const deno = await underDeno("existing");
    expect(deno.driver).toBe("node");
    expect(deno.warnings).toEqual([]);
    expect(deno.checkpointed).toBe(true); // the checkpoint worker runs under Deno
    expect(deno.before).toEqual(written);
    const back = SqliteStore.open({ path });
    expect(await asJson(back)).toEqual(deno.after);
    expect(deno.after.executions.map((e) => e.id)).toEqual(["e1", "e2", "e3", "from-deno"]);
    await back.close();
  });

  test("Deno's node:sqlite errors carry bun:sqlite's codes, from a message where Deno gives no number", async () => {
    const { codes } = await underDeno("fresh");
    expect(codes).toEqual({
      primaryKey: "SQLITE_CONSTRAINT", // exec(): the message names no detail
      busy: "SQLITE_BUSY",
      readOnlyExec: "SQLITE_READONLY",
      full: "SQLITE_FULL",
      missing: "SQLITE_CANTOPEN",
      missingReadOnly: "SQLITE_CANTOPEN",
    });
  });

  test("Bun opens a database Deno created, and the backup a Deno server took, and reads both back the same", async () => {
    const deno = await underDeno("fresh");
    expect(deno.warnings).toEqual([]);
    expect(deno.after.executions.map((e) => e.id)).toEqual(["e1", "e2", "e3", "from-deno"]);
    for (const file of [path, deno.backup]) {
      const bun = SqliteStore.open({ path: file });
      expect(await asJson(bun)).toEqual(deno.after);
      await bun.close();
    }
  });
});
