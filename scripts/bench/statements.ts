/**
 * Where the write path's time goes: runs a burst of `noop` sequences through the engine in
 * process (as `engine-5task` does) and prints throughput, the time spent in group-commit
 * flushes per task, and the time of every SQL statement the store ran, most expensive first.
 * The timing wrapper costs about 0.1 us per statement, so compare runs of this script with
 * each other, not with `npm run bench`.
 *
 *   bun scripts/bench/statements.ts [TASKS=5] [LIMIT=100] [EXECUTIONS=4000] [normal|full]
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { GroupCommit } from "../../src/store/sqlite/group-commit.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { tempDir } from "./common.ts";
import { burst } from "./engine-runtime.ts";
import { statementTable, timeStatements } from "./statement-timer.ts";

const { positionals } = parseArgs({ allowPositionals: true });
const [tasks = 5, limit = 100, n = 4000] = positionals.slice(0, 3).map(Number);
const sync = positionals[3] === "full" ? "full" : "normal";
if (![tasks, limit, n].every((v) => Number.isInteger(v) && v > 0)) {
  process.stderr.write("usage: bun scripts/bench/statements.ts [TASKS] [LIMIT] [EXECUTIONS] [normal|full] (positive integers)\n");
  process.exit(2);
}

const bySql = timeStatements();

let flushMs = 0;
const flush = GroupCommit.prototype.flush;
GroupCommit.prototype.flush = function (this: GroupCommit) {
  const t = performance.now();
  flush.call(this);
  flushMs += performance.now() - t;
};

const store = SqliteStore.open({ path: join(tempDir(), "baton.db"), sync });
const definition = { id: "seq", tasks: Array.from({ length: tasks }, (_, i) => ({ id: `t${i + 1}`, functionName: "noop" })) };
const seconds = await burst(store, definition, {
  limit,
  n,
  ready: () => {
    bySql.clear();
    flushMs = 0;
  },
});
const { batches, writes } = store.writeStats;
store.close();

const total = n * tasks;
console.log(`${tasks}-task sequence, ${n} executions, limit ${limit}, --sync ${sync}`);
console.log(
  `${Math.round(total / seconds)} tasks/s; flush ${((flushMs * 1000) / total).toFixed(2)} us per task; ${writes} writes in ${batches} batches`,
);
console.log(`\n${statementTable(bySql)}`);
