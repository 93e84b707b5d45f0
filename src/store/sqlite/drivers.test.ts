/**
 * The two SQLite drivers behave the same for the store: the pragmas a file gets, the codes of
 * SQLite's errors (what `storageFaultOf` classifies), row shapes and bindings, and a database
 * written through one opens, migrates (nothing to do) and reads back the same through the other.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { codeOf } from "../../../test/helpers/error-code.ts";
import { everything, newExecution, T0 } from "../../../test/store/fixtures.ts";
import { someHistory } from "../../../test/store/history.ts";
import {
  type Database,
  type DriverName,
  driverOf,
  onlineBackup,
  openDatabase,
  openForCheckpoints,
  openReadOnly,
  RUNTIME_DRIVER,
} from "./driver.ts";
import { MIGRATIONS } from "./migrations.ts";
import { SqliteStore } from "./store.ts";

let dir: string;
let path: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-drivers-"));
  path = join(dir, "baton.db");
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Both drivers' answers to `f`, side by side, to compare in one expectation. */
function onBoth<T>(f: (driver: DriverName) => T): Record<DriverName, T> {
  return { bun: f("bun"), node: f("node") };
}

const pragma = (db: Database, name: string) => Object.values(db.query(`PRAGMA ${name}`).get() as object)[0];

describe("the drivers", () => {
  test("Bun runs bun:sqlite unless told otherwise, and each connection knows its driver", () => {
    expect(RUNTIME_DRIVER).toBe("bun");
    const byDefault = openDatabase({ path: ":memory:" });
    const node = openDatabase({ path: ":memory:", driver: "node" });
    expect([driverOf(byDefault), driverOf(node)]).toEqual(["bun", "node"]);
    byDefault.close();
    node.close();
  });

  test("a new file gets the same pragmas through both", () => {
    const read = (driver: DriverName, sync: "normal" | "full") => {
      const db = openDatabase({ path: join(dir, `${driver}-${sync}.db`), sync, driver });
      const names = ["journal_mode", "synchronous", "auto_vacuum", "busy_timeout", "foreign_keys", "temp_store", "wal_autocheckpoint"];
      const values = Object.fromEntries(names.map((name) => [name, pragma(db, name)]));
      db.close();
      return values;
    };
    const normal = {
      journal_mode: "wal",
      synchronous: 1,
      auto_vacuum: 2,
      busy_timeout: 5000,
      foreign_keys: 1,
      temp_store: 2,
      wal_autocheckpoint: 4000,
    };
    expect(onBoth((d) => read(d, "normal"))).toEqual({ bun: normal, node: normal });
    expect(onBoth((d) => read(d, "full").synchronous)).toEqual({ bun: 2, node: 2 });
  });

  test("rows, bindings and write results are the same", () => {
    const rows = onBoth((driver) => {
      const db = openDatabase({ path: ":memory:", driver });
      db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, b BLOB, flag INTEGER)");
      const insert = db.prepare("INSERT INTO t (n, r, s, b, flag) VALUES ($n, $r, $s, $b, $flag)");
      // A key the statement lacks is ignored; undefined binds NULL and booleans 1/0, as on Bun.
      const first = insert.run({ n: 2 ** 40, r: 1.5, s: "é✓", b: new Uint8Array([0, 255]), flag: true, unused: 1 });
      const second = insert.run({ n: undefined, r: null, s: null, b: null, flag: false });
      const result = {
        writes: [first, second],
        updated: db.prepare("UPDATE t SET s = s WHERE id <= ?1").run(5).changes,
        all: db.prepare("SELECT * FROM t ORDER BY id").all(),
        none: db.prepare("SELECT * FROM t WHERE id = $id").get({ id: 99 }),
        positional: db.query("SELECT ?1 + ?2 AS sum").get(1, 2),
        // Plain objects, as Bun's: node:sqlite's own rows have no prototype.
        plain: [db.query("SELECT 1 AS one").get(), ...db.query("SELECT 1 AS one").all()].map(
          (row) => Object.getPrototypeOf(row) === Object.prototype,
        ),
      };
      db.close();
      return result;
    });
    expect(rows.node).toEqual(rows.bun);
    expect(rows.bun.none).toBeNull();
    expect(rows.bun.updated).toBe(2);
    expect(rows.bun.plain).toEqual([true, true]);
    expect(rows.bun.all[0]).toEqual({ id: 1, n: 2 ** 40, r: 1.5, s: "é✓", b: new Uint8Array([0, 255]), flag: 1 });
    expect(rows.bun.writes).toEqual([
      { changes: 1, lastInsertRowid: 1 },
      { changes: 1, lastInsertRowid: 2 },
    ]);
  });

  test("SQLite's errors carry the same code through both, so storage faults are classified the same", () => {
    writeFileSync(join(dir, "text.db"), "not a database, just text that is long enough to have a header".repeat(20));
    const codes = onBoth((driver) => {
      const db = openDatabase({ path: join(dir, `${driver}.db`), driver });
      db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY); CREATE TABLE c (p INTEGER NOT NULL REFERENCES p (id), u TEXT UNIQUE)");
      const other = openDatabase({ path: join(dir, `${driver}.db`), driver });
      const result = {
        primaryKey: codeOf(() => db.prepare("INSERT INTO p (id) VALUES (1), (1)").run()),
        unique: codeOf(() => db.exec("INSERT INTO p (id) VALUES (2); INSERT INTO c VALUES (2, 'x'), (2, 'x')")),
        notNull: codeOf(() => db.prepare("INSERT INTO c (p) VALUES (NULL)").run()),
        foreignKey: codeOf(() => db.prepare("INSERT INTO c (p) VALUES (42)").run()),
        syntax: codeOf(() => db.prepare("SELEC 1")),
        busy: codeOf(() => {
          db.exec("PRAGMA busy_timeout = 0");
          other.exec("BEGIN IMMEDIATE");
          db.exec("BEGIN IMMEDIATE");
        }),
        readOnly: codeOf(() => {
          other.exec("ROLLBACK");
          db.exec("PRAGMA query_only = ON");
          db.prepare("INSERT INTO p (id) VALUES (3)").run();
        }),
        readOnlyExec: codeOf(() => db.exec("INSERT INTO p (id) VALUES (3)")),
        full: codeOf(() => {
          db.exec("PRAGMA query_only = OFF");
          db.exec(`PRAGMA max_page_count = ${pragma(db, "page_count")}`);
          db.prepare("INSERT INTO c (p, u) VALUES (2, ?1)").run("x".repeat(100_000));
        }),
        missing: codeOf(() => openForCheckpoints(join(dir, "none.db"), driver)),
        missingReadOnly: codeOf(() => openReadOnly(join(dir, "none.db"), driver)),
        notADatabase: codeOf(() => openReadOnly(join(dir, "text.db"), driver).query("SELECT * FROM sqlite_master").all()),
      };
      other.close();
      db.close();
      return result;
    });
    expect(codes.node).toEqual(codes.bun);
    expect(codes.bun).toEqual({
      primaryKey: "SQLITE_CONSTRAINT_PRIMARYKEY",
      unique: "SQLITE_CONSTRAINT_UNIQUE",
      notNull: "SQLITE_CONSTRAINT_NOTNULL",
      foreignKey: "SQLITE_CONSTRAINT_FOREIGNKEY",
      syntax: "SQLITE_ERROR",
      busy: "SQLITE_BUSY",
      readOnly: "SQLITE_READONLY",
      readOnlyExec: "SQLITE_READONLY",
      full: "SQLITE_FULL",
      missing: "SQLITE_CANTOPEN",
      missingReadOnly: "SQLITE_CANTOPEN",
      notADatabase: "SQLITE_NOTADB",
    });
  });
});

describe("SQLite's online backup (what a server under Deno backs up with)", () => {
  test("node:sqlite copies a database while it is open for writes; bun:sqlite has none", async () => {
    const store = SqliteStore.open({ path, driver: "node" });
    await someHistory(store);
    const source = openReadOnly(path, "node");
    await onlineBackup(source, join(dir, "copy.db"));
    await store.enqueue(newExecution("after"), T0); // the writer was never blocked
    const copy = SqliteStore.open({ path: join(dir, "copy.db") });
    const seen = await everything(copy);
    expect(seen.executions.map((e) => e.id)).toEqual(["e1", "e2", "e3"]);
    await copy.close();
    const bun = openReadOnly(path, "bun");
    await expect(onlineBackup(bun, join(dir, "other.db"))).rejects.toThrow("the SQLite driver 'bun' has no online backup");
    bun.close();
    source.close();
    await store.close();
  });
});

describe("a database file written through one driver", () => {
  /** Some history through `driver`: definitions, queued, running and cancelled executions with their events. */
  async function written(driver: DriverName) {
    const store = SqliteStore.open({ path, driver });
    await someHistory(store);
    const seen = await everything(store);
    await store.close();
    return seen;
  }

  for (const [from, to] of [
    ["bun", "node"],
    ["node", "bun"],
  ] as const) {
    test(`through ${from} opens through ${to}, reads back the same, and what ${to} writes reads back through ${from}`, async () => {
      const before = await written(from);
      const other = SqliteStore.open({ path, driver: to });
      expect(await everything(other)).toEqual(before);
      await other.enqueue(newExecution("e4"), T0 + 3);
      const after = await everything(other);
      await other.close();
      const back = SqliteStore.open({ path, driver: from });
      expect(await everything(back)).toEqual(after);
      expect(after.executions.map((e) => e.id)).toEqual(["e1", "e2", "e3", "e4"]);
      await back.close();
      const raw = openReadOnly(path, to);
      // Opening migrated nothing: one row per version, as the first driver wrote them.
      expect(raw.query("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({ n: MIGRATIONS.length });
      raw.close();
    });
  }
});
