/**
 * `baton backup --db PATH OUT` and `baton restore BACKUP --db PATH [--force]`: the command-line
 * side of `store/sqlite/backup.ts` (flags, help, the lines printed). A backup works whether or
 * not a server runs on the database; a restore refuses while one does.
 */
import { parseArgs } from "node:util";
import { backupDatabase, restoreDatabase } from "../store/sqlite/backup.ts";
import { DatabaseInUseError } from "../store/sqlite/lockfile.ts";
import { UsageError } from "./config.ts";

export const BACKUP_HELP = `Usage: baton backup --db PATH OUT

Writes a consistent copy of the database PATH to the new file OUT while a server may keep
running on PATH and committing (SQLite's VACUUM INTO on a read connection of its own; it takes
no lock a server needs). OUT is written under a temporary name in its folder and renamed when
complete; an existing OUT is never overwritten. --db also reads BATON_DB.
Exit 0 with one line naming the file and its size; 1 when it cannot be done; 2 bad usage.
`;

export const RESTORE_HELP = `Usage: baton restore BACKUP --db PATH [--force]

Checks BACKUP (PRAGMA integrity_check, a schema version this Baton knows) and puts a copy of it
in place as the database PATH, then 'baton serve --db PATH' starts on it. Refuses while a Baton
runs on PATH (its PATH.lock), and when PATH exists unless --force replaces it; the old PATH-wal
and PATH-shm are removed with it. --db also reads BATON_DB.
Exit 0 with one line; 1 when it cannot be done (nothing is changed then); 2 bad usage.
`;

function parse(args: string[], force: boolean) {
  try {
    return parseArgs({
      args,
      options: {
        help: { type: "boolean", short: "h" },
        db: { type: "string" },
        ...(force ? { force: { type: "boolean" } } : {}),
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!);
  }
}

function dbOf(value: string | undefined, env: Record<string, string | undefined>, example: string): string {
  const db = value ?? env.BATON_DB;
  if (db === undefined || db === "") throw new UsageError(`name the database with --db PATH (or BATON_DB), e.g. ${example}`);
  return db;
}

/** `VACUUM INTO`, or SQLite's online backup where Deno refuses it (`backupDatabase`), as a server's backup does. */
export async function backupCommand(args: string[], env: Record<string, string | undefined>, out: (line: string) => void): Promise<number> {
  const { values, positionals } = parse(args, false);
  if (values.help) {
    out(BACKUP_HELP);
    return 0;
  }
  const example = "baton backup --db data/baton.db backups/baton-1.db";
  const db = dbOf(values.db, env, example);
  if (positionals.length !== 1) throw new UsageError(`backup needs exactly one output file, got ${positionals.length}, e.g. ${example}`);
  const result = await backupDatabase(db, positionals[0]!);
  out(`backed up ${db} to ${result.file}: ${result.bytes} bytes in ${result.durationMs} ms\n`);
  return 0;
}

export async function restoreCommand(
  args: string[],
  env: Record<string, string | undefined>,
  out: (line: string) => void,
): Promise<number> {
  const { values, positionals } = parse(args, true);
  if (values.help) {
    out(RESTORE_HELP);
    return 0;
  }
  const example = "baton restore backups/baton-1.db --db data/baton.db";
  const db = dbOf(values.db, env, example);
  if (positionals.length !== 1) throw new UsageError(`restore needs exactly one backup file, got ${positionals.length}, e.g. ${example}`);
  const backup = positionals[0]!;
  try {
    const { schemaVersion, bytes } = await restoreDatabase(backup, db, values.force === true);
    out(`restored ${backup} to ${db} (schema version ${schemaVersion}, ${bytes} bytes); start with: baton serve --db ${db}\n`);
    return 0;
  } catch (err) {
    if (err instanceof DatabaseInUseError)
      throw new Error(`a Baton is running on ${db}, refusing to replace it under it: ${err.message}; stop it first`);
    throw err;
  }
}
