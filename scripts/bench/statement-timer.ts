/**
 * Times every SQL statement the store runs, by wrapping `bun:sqlite`'s statements as they are
 * prepared (about 0.1 us per call): `timeStatements()` installs it and returns the totals,
 * `statementTable()` writes them most expensive first. Used in process by `statements.ts`, and
 * in a server by the preload `statement-timing.ts`.
 */
import { Database } from "bun:sqlite";

export type StatementTimes = Map<string, { calls: number; ms: number }>;

export function timeStatements(): StatementTimes {
  const bySql: StatementTimes = new Map();
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database, sql: string, ...rest: unknown[]) {
    const statement = prepare.call(this, sql, ...(rest as [])) as unknown as Record<"run" | "get" | "all", (...a: unknown[]) => unknown>;
    const key = sql.replace(/\s+/g, " ").trim();
    for (const method of ["run", "get", "all"] as const) {
      const call = statement[method].bind(statement);
      statement[method] = (...args: unknown[]) => {
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
    return statement;
  } as typeof prepare;
  return bySql;
}

/** The 15 statements that took longest: total ms, calls, us per call, the SQL (cut at 90 characters). */
export function statementTable(bySql: StatementTimes): string {
  const rows = [...bySql].sort((a, b) => b[1].ms - a[1].ms).slice(0, 15);
  const lines = rows.map(
    ([sql, { calls, ms }]) =>
      `${ms.toFixed(0).padStart(7)} ${String(calls).padStart(9)} ${((ms * 1000) / calls).toFixed(2).padStart(8)}  ${sql.slice(0, 90)}`,
  );
  return `     ms     calls  us/call  statement\n${lines.join("\n")}`;
}
