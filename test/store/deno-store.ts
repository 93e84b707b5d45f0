/**
 * Run under Deno by `deno.test.ts` (bun test does not pick it up: it is no `*.test.ts`). Opens
 * the database file named first through the store as Deno runs it (node:sqlite, with the
 * checkpoint worker), writes a short history first when told `fresh`, then prints one JSON
 * line: the driver, everything the store reads, one execution written, everything again, any
 * warning the store logged (a checkpoint worker that failed says so), whether the checkpoint
 * worker moved pages into a database file (on a scratch store), the file of an online
 * backup taken then (`<path>.backup`: Deno refuses VACUUM INTO here), and the `code` of SQLite's
 * errors as Deno's node:sqlite reports them (its `exec()` and opening give only a message).
 */
import { statSync } from "node:fs";
import { silentLogger } from "../../src/domain/log.ts";
import { openDatabase, openForCheckpoints, openReadOnly, RUNTIME_DRIVER } from "../../src/store/sqlite/driver.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { codeOf } from "../helpers/error-code.ts";
import { everything, newExecution, T0 } from "./fixtures.ts";
import { someHistory } from "./history.ts";

const [path, mode] = process.argv.slice(2) as [string, string];

/** True once the checkpoint worker copied the WAL into the file: only a checkpoint grows it (the writer's own waits for 40,000 pages). */
async function checkpointed(): Promise<boolean> {
  const scratch = SqliteStore.open({ path: `${path}.checkpoints` });
  try {
    const before = statSync(`${path}.checkpoints`).size;
    await scratch.registerDefinition("job", { id: "job" }, '{"id":"job"}', T0);
    for (let i = 0; i < 20; i++) await scratch.enqueue(newExecution(`e${i}`, { input: { pad: "x".repeat(2000) } }), T0);
    for (const until = Date.now() + 4_000; Date.now() < until; await new Promise((r) => setTimeout(r, 10))) {
      if (statSync(`${path}.checkpoints`).size > before + 20 * 2000) return true;
    }
    return false;
  } finally {
    await scratch.close();
  }
}

/** The same errors as in src/store/sqlite/drivers.test.ts, on a scratch file beside the database. */
function codes() {
  const scratch = `${path}.scratch`;
  const db = openDatabase({ path: scratch });
  const other = openDatabase({ path: scratch });
  db.exec("CREATE TABLE p (id INTEGER PRIMARY KEY)");
  db.exec("PRAGMA busy_timeout = 0");
  const result = {
    primaryKey: codeOf(() => db.exec("INSERT INTO p (id) VALUES (1), (1)")),
    busy: codeOf(() => {
      other.exec("BEGIN IMMEDIATE");
      db.exec("BEGIN IMMEDIATE");
    }),
    readOnlyExec: codeOf(() => {
      other.exec("ROLLBACK");
      db.exec("PRAGMA query_only = ON");
      db.exec("INSERT INTO p (id) VALUES (3)");
    }),
    full: codeOf(() => {
      db.exec("PRAGMA query_only = OFF");
      db.exec(`PRAGMA max_page_count = ${Object.values(db.query("PRAGMA page_count").get() as object)[0]}`);
      db.prepare("INSERT INTO p (id) VALUES (?1)").run(4);
      db.exec(`INSERT INTO p (id) SELECT value FROM json_each('[${Array.from({ length: 20_000 }, (_, i) => i + 10).join(",")}]')`);
    }),
    missing: codeOf(() => openForCheckpoints(`${path}.none`)),
    missingReadOnly: codeOf(() => openReadOnly(`${path}.none`)),
  };
  other.close();
  db.close();
  return result;
}
const warnings: string[] = [];
const store = SqliteStore.open({ path: path!, logger: { ...silentLogger, warn: (message) => warnings.push(message) } });
try {
  if (mode === "fresh") await someHistory(store);
  const before = await everything(store);
  await store.enqueue(newExecution("from-deno", { input: { runtime: "deno" } }), T0 + 10);
  const after = await everything(store);
  const backup = (await store.backup(`${path}.backup`)).file;
  console.log(
    JSON.stringify({ driver: RUNTIME_DRIVER, before, after, warnings, checkpointed: await checkpointed(), backup, codes: codes() }),
  );
} finally {
  await store.close();
}
