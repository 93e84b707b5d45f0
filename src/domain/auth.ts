/**
 * Who may do what: the permissions the API's routes need, the roles as sets of them, and the
 * token file's format (`NAME ROLE sha256:HEX` per line). Pure: hashing and comparing tokens
 * happen in `platform/tokens.ts`, reading the file in `cli/tokens.ts`.
 */

/** Every permission a route can need. A role is a set of these, never a rank. */
export const PERMISSIONS = [
  "read",
  "definitions.register",
  "executions.execute",
  "executions.cancel",
  "executions.redrive",
  "executions.rerun",
  "schedules.pause",
  "schedules.resume",
  "schedules.trigger",
  "workers",
  "backup",
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** What each permission lets a token do, for the docs and the help. */
export const PERMISSION_HELP: Record<Permission, string> = {
  read: "every GET: definitions, executions, events, schedules, workers, system state",
  "definitions.register": "POST /job-definitions, shell definitions included",
  "executions.execute": "POST /jobs/{definitionId}/execute",
  "executions.cancel": "POST /jobs/{executionId}/cancel",
  "executions.redrive": "POST /jobs/{executionId}/redrive",
  "executions.rerun": "POST /jobs/{executionId}/rerun",
  "schedules.pause": "POST /schedules/{definitionId}/{scheduleId}/pause",
  "schedules.resume": "POST /schedules/{definitionId}/{scheduleId}/resume",
  "schedules.trigger": "POST /schedules/{definitionId}/{scheduleId}/trigger",
  workers: "POST /workers/poll and /workers/leases/{leaseId}/…: take, extend, complete and fail remote attempts",
  backup: "POST /system/backup: write a copy of the database into --backup-dir",
};

export const ROLE_NAMES = ["read", "operate", "admin", "worker"] as const;
export type Role = (typeof ROLE_NAMES)[number];

/** Read, and act on executions and schedules: everything but registering definitions and the workers' calls. */
const OPERATE: readonly Permission[] = PERMISSIONS.filter((p) => p === "read" || p.startsWith("executions.") || p.startsWith("schedules."));

/** Each role's permissions. `admin` holds every permission, the ones added later too. */
export const ROLES: Readonly<Record<Role, ReadonlySet<Permission>>> = {
  read: new Set<Permission>(["read"]),
  operate: new Set(OPERATE),
  admin: new Set(PERMISSIONS),
  worker: new Set<Permission>(["workers"]),
};

export const isRole = (x: string): x is Role => (ROLE_NAMES as readonly string[]).includes(x);

/** A token's name: what events and logs record as the actor. */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** One line of the token file: the token itself is never stored, only its SHA-256. */
export interface TokenEntry {
  name: string;
  role: Role;
  /** The SHA-256 of the token, 64 lowercase hex digits. */
  sha256: string;
}

/** A line of the token file that cannot be used; serve turns it into a refused start (exit 1). */
export class TokenFileError extends Error {
  override name = "TokenFileError";
}

const DIGEST = /^sha256:([0-9a-f]{64})$/i;

/**
 * The entries of a token file: one `NAME ROLE sha256:HEX` per line, blank lines and `#`
 * comments skipped. A problem names the file and line, and never repeats a digest.
 */
export function parseTokenFile(text: string, file: string): TokenEntry[] {
  const entries: TokenEntry[] = [];
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const at = `token file ${file} line ${i + 1}`;
    const fields = line.split(/\s+/);
    if (fields.length !== 3) throw new TokenFileError(`${at}: expected NAME ROLE sha256:HEX, found ${fields.length} field(s)`);
    const [name, role, digest] = fields as [string, string, string];
    if (!TOKEN_NAME.test(name))
      throw new TokenFileError(
        `${at}: "${name}" is not a token name (letters, digits, ., _ and -, at most 64, starting with a letter or digit)`,
      );
    if (!isRole(role)) throw new TokenFileError(`${at}: "${role}" is not a role; use one of ${ROLE_NAMES.join(", ")}`);
    const hex = DIGEST.exec(digest)?.[1];
    if (hex === undefined)
      throw new TokenFileError(`${at}: the third field must be sha256: and 64 hex digits, as 'baton token create' prints it`);
    if (entries.some((e) => e.name === name)) throw new TokenFileError(`${at}: the name ${name} is used a second time`);
    if (entries.some((e) => e.sha256 === hex.toLowerCase()))
      throw new TokenFileError(
        `${at}: the same token is listed a second time (as ${entries.find((e) => e.sha256 === hex.toLowerCase())!.name})`,
      );
    entries.push({ name, role, sha256: hex.toLowerCase() });
  }
  return entries;
}

/** A request's authenticated caller. */
export interface Principal {
  /** The token's name. */
  name: string;
  role: Role;
}

/** Finds the entry whose token is `token`, in a time that does not depend on which one matched. */
export type TokenVerifier = (token: string) => Principal | null;
