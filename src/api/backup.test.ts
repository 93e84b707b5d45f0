/** `POST /system/backup`: 409 saying how to turn it on; with `--backup-dir`, 201 and a file holding what was committed. */
import { afterEach, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";
import { openReadOnly } from "../store/sqlite/driver.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { backupFileName } from "./system.ts";

let t: Setup | undefined;
let dir: string | undefined;
afterEach(async () => {
  await t?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  t = dir = undefined;
});

describe("POST /system/backup", () => {
  test("without --backup-dir: 409 that says how to enable it", async () => {
    t = await setup();
    const res = await t.call("POST", "/system/backup");
    expect(res.status).toBe(409);
    expect(res.body.detail).toBe(
      "backups are off on this server: start it with --backup-dir DIR (or BATON_BACKUP_DIR), or run 'baton backup --db PATH OUT' on its host",
    );
  });

  test("with --backup-dir: 201 with the file, which holds every execution committed before", async () => {
    dir = mkdtempSync(join(tmpdir(), "baton-api-backup-"));
    t = await setup({ store: SqliteStore.open({ path: join(dir, "baton.db") }), backupDir: join(dir, "backups") });
    await t.define(definition("job"));
    const ids = [await t.execute("job"), await t.execute("job")];
    // The folder must exist: a typo in --backup-dir is not silently created.
    const missing = await t.call("POST", "/system/backup");
    expect(missing.status).toBe(409);
    expect(missing.body.detail).toBe(`the folder ${join(dir, "backups")} does not exist; create it first`);

    await t.close();
    t = await setup({ store: SqliteStore.open({ path: join(dir, "baton.db") }), backupDir: dir });
    const res = await t.call("POST", "/system/backup");
    expect(res.status).toBe(201);
    expect(res.body.file).toMatch(new RegExp(`^${dir}/baton-\\d{8}T\\d{9}Z\\.db$`));
    expect(res.body.bytes).toBeGreaterThan(0);
    const copy = openReadOnly(res.body.file);
    try {
      expect((copy.query("SELECT id FROM executions ORDER BY id").all() as { id: string }[]).map((r) => r.id)).toEqual(ids.sort());
    } finally {
      copy.close();
    }
    expect(existsSync(res.body.file)).toBe(true);
  });

  test("file names: the UTC time to the millisecond, sortable", () => {
    expect(backupFileName(Date.UTC(2026, 10, 29, 23, 5, 7, 42))).toBe("baton-20261129T230507042Z.db");
  });
});
