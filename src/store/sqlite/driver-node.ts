/**
 * The one module that imports `node:sqlite` (Deno, and Bun when a test asks for it): it wraps
 * `DatabaseSync` and `StatementSync` so they behave as `bun:sqlite` does for the store
 * (`driver-port.ts`). What differs, and is made the same here:
 * - no row is `undefined` (Bun: `null`), and rows have no prototype (Bun: plain objects);
 * - `true`/`false` and `undefined` cannot be bound (Bun: 1/0 and NULL);
 * - a named parameter the statement lacks is an error (Bun ignores it);
 * - an error's `code` is `ERR_SQLITE_ERROR` with the number in `errcode` (Bun: `SQLITE_FULL`…),
 *   and under Deno `exec()` and opening give only the message;
 * - opening never refuses to create a file, and has no `inTransaction` (it is `isTransaction`).
 * Transactions are the store's own BEGIN/COMMIT/ROLLBACK statements, as on Bun.
 */
import { existsSync } from "node:fs";
import { DatabaseSync, backup as onlineBackup, type SQLInputValue, type StatementSync } from "node:sqlite";
import type { Database, OpenMode, RunResult, Statement } from "./driver-port.ts";
import { resultCodeName, resultCodeOfMessage } from "./result-codes.ts";

/** Gives a `node:sqlite` error Bun's `code` (`SQLITE_CONSTRAINT_UNIQUE`), keeping its `errcode`. */
function translated(err: unknown): unknown {
  const e = err as { code?: unknown; errcode?: unknown; message?: unknown } | null;
  if (e?.code !== "ERR_SQLITE_ERROR") return err;
  e.code = typeof e.errcode === "number" ? resultCodeName(e.errcode) : resultCodeOfMessage(String(e.message));
  return err;
}

const bindable = (v: unknown): unknown => (v === undefined ? null : typeof v === "boolean" ? Number(v) : v);

/** The parameters with booleans and `undefined` made bindable; the same array when none needs it (the usual case). */
function bindings(params: unknown[]): SQLInputValue[] {
  if (params.length !== 1 || params[0] === null || typeof params[0] !== "object" || ArrayBuffer.isView(params[0])) {
    return params.some((v) => bindable(v) !== v) ? (params.map(bindable) as SQLInputValue[]) : (params as SQLInputValue[]);
  }
  const named = params[0] as Record<string, unknown>;
  for (const key in named) {
    if (bindable(named[key]) !== named[key]) {
      return [Object.fromEntries(Object.entries(named).map(([k, v]) => [k, bindable(v)]))] as unknown as SQLInputValue[];
    }
  }
  return params as SQLInputValue[];
}

class NodeStatement implements Statement {
  constructor(private readonly s: StatementSync) {
    s.setAllowUnknownNamedParameters(true);
  }

  run(...params: unknown[]): RunResult {
    try {
      return this.s.run(...bindings(params)) as RunResult;
    } catch (err) {
      throw translated(err);
    }
  }

  get(...params: unknown[]): unknown {
    try {
      const row = this.s.get(...bindings(params));
      return row === undefined ? null : { ...row };
    } catch (err) {
      throw translated(err);
    }
  }

  all(...params: unknown[]): unknown[] {
    try {
      return this.s.all(...bindings(params)).map((row) => ({ ...row }));
    } catch (err) {
      throw translated(err);
    }
  }
}

class NodeDatabase implements Database {
  private open = true;

  constructor(private readonly db: DatabaseSync) {}

  prepare(sql: string): Statement {
    try {
      return new NodeStatement(this.db.prepare(sql));
    } catch (err) {
      throw translated(err);
    }
  }

  query(sql: string): Statement {
    return this.prepare(sql);
  }

  exec(sql: string): void {
    try {
      this.db.exec(sql);
    } catch (err) {
      throw translated(err);
    }
  }

  get inTransaction(): boolean {
    return this.open && this.db.isTransaction;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.db.close();
  }

  async backupTo(out: string): Promise<void> {
    try {
      await onlineBackup(this.db, out);
    } catch (err) {
      throw translated(err);
    }
  }
}

/** SQLite's online backup (`Driver.backup`): page by page, a consistent copy while writes go on. */
export function backup(db: Database, out: string): Promise<void> {
  if (!(db instanceof NodeDatabase)) return Promise.reject(new Error("the node:sqlite driver can back up only its own connections"));
  return db.backupTo(out);
}

export function open(path: string, mode: OpenMode): Database {
  // node:sqlite has no "open, but never create": an existing file is what "readwrite" asks for.
  if (mode === "readwrite" && path !== ":memory:" && !existsSync(path)) {
    throw Object.assign(new Error(`unable to open database file: ${path}`), { code: "SQLITE_CANTOPEN" });
  }
  try {
    return new NodeDatabase(new DatabaseSync(path, { readOnly: mode === "readonly" }));
  } catch (err) {
    throw translated(err);
  }
}
