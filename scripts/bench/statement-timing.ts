/**
 * Preloaded into a server run from source (`bun --preload scripts/bench/statement-timing.ts
 * src/cli/main.ts serve …`, as `profile-rest.ts` does): times every statement the store runs
 * and, when the server gets SIGTERM, writes one line per statement to stderr, most expensive
 * first: total ms, calls, us per call, the SQL. The wrapper costs about 0.1 us per call.
 */
import { Database } from "bun:sqlite";

const bySql = new Map<string, { calls: number; ms: number }>();

function timed<A extends unknown[], R>(key: string, call: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    const t = performance.now();
    try {
      return call(...args);
    } finally {
      const entry = bySql.get(key) ?? { calls: 0, ms: 0 };
      entry.calls++;
      entry.ms += performance.now() - t;
      bySql.set(key, entry);
    }
  };
}

const prepare = Database.prototype.prepare;
Database.prototype.prepare = function (this: Database, sql: string, ...rest: unknown[]) {
  const statement = prepare.call(this, sql, ...(rest as [])) as unknown as Record<"run" | "get" | "all", (...a: unknown[]) => unknown>;
  const key = sql.replace(/\s+/g, " ").trim().slice(0, 100);
  for (const method of ["run", "get", "all"] as const) statement[method] = timed(key, statement[method].bind(statement));
  return statement;
} as typeof prepare;

process.on("SIGTERM", () => {
  const rows = [...bySql.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
  const lines = rows.map(
    ([sql, { calls, ms }]) =>
      `${ms.toFixed(0).padStart(7)} ms ${String(calls).padStart(8)} calls ${((ms * 1000) / calls).toFixed(2).padStart(8)} us  ${sql}`,
  );
  process.stderr.write(`statements, most time first:\n${lines.join("\n")}\n`);
});
