/**
 * The token file at start (`--tokens`, `BATON_TOKENS_FILE`): read it, refuse one that group or
 * others can read, and parse it (`domain/auth.ts`). Also `baton token create`, which prints a
 * new token once with the line to add, and the dashboard's login sessions over those tokens.
 * A refusal is one line naming the file, never a token.
 */
import { readFileSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import type { MiddlewareHandler } from "hono";
import { AuthFailures, authenticate } from "../api/auth.ts";
import { Sessions } from "../api/sessions.ts";
import { isRole, parseTokenFile, ROLE_NAMES, ROLES, TOKEN_NAME, type TokenEntry, TokenFileError } from "../domain/auth.ts";
import type { Logger } from "../domain/log.ts";
import { newToken, tokenDigest, tokenVerifier } from "../platform/tokens.ts";
import { DASHBOARD_GATE } from "../ui/access.tsx";
import type { DashboardLogin } from "../ui/ports.ts";
import { type ServeConfig, UsageError } from "./config.ts";

/** The entries of the token file; throws `TokenFileError` (exit 1) for any problem with it. */
export function readTokenFile(file: string): TokenEntry[] {
  let mode: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new TokenFileError(`token file ${file} is not a regular file`);
    mode = stat.mode;
  } catch (err) {
    if (err instanceof TokenFileError) throw err;
    if ((err as NodeJS.ErrnoException).code === "ENOENT")
      throw new TokenFileError(
        `token file ${file} does not exist; create it (see 'baton token create') or fix --tokens / BATON_TOKENS_FILE`,
      );
    throw new TokenFileError(`cannot read token file ${file}: ${(err as Error).message}`);
  }
  if ((mode & 0o077) !== 0) {
    throw new TokenFileError(
      `token file ${file} is open to group or others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); make it readable by its owner only with: chmod 600 ${file}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new TokenFileError(`cannot read token file ${file}: ${(err as Error).message}`);
  }
  const entries = parseTokenFile(text, file);
  if (entries.length === 0)
    throw new TokenFileError(`token file ${file} lists no tokens, so nobody could use the API; add one made by 'baton token create'`);
  return entries;
}

/**
 * With tokens, the API's middleware and the dashboard's login, sharing one failure limiter.
 * The login sessions are kept in memory: a restart ends them, and that is also when an edited
 * token file is read again, so a removed token's sessions never outlive it.
 */
export function authentication(
  config: Pick<ServeConfig, "authFailuresPerMinute" | "metricsAuth">,
  tokens: readonly TokenEntry[] | null,
  logger: Logger,
): { before: MiddlewareHandler[]; access?: DashboardLogin } {
  if (tokens === null) return { before: [] };
  const failures = new AuthFailures(config.authFailuresPerMinute, 60_000);
  const sessions = new Sessions({ verify: tokenVerifier(tokens), digest: tokenDigest, entries: () => tokens, newId: newToken });
  const verify = tokenVerifier(tokens);
  const dashboard = { ...DASHBOARD_GATE, sessions };
  return {
    before: [authenticate({ verify, failures, logger, metricsAuth: config.metricsAuth, dashboard })],
    access: { sessions, failures, logger },
  };
}

/**
 * What every new API token starts with: a token never begins with "-" (which a command line
 * would take for a flag: "--token -x…" was refused for one token in 64), and a leaked one is
 * easy to recognise and to search for. Tokens made before it stay valid: the file keeps hashes.
 */
export const TOKEN_PREFIX = "baton_";

export const TOKEN_HELP = `Usage: baton token create --name NAME --role ROLE

Prints a new random API token (256 bits, shown only this once) and the line to add to the
token file named by 'baton serve --tokens FILE' (BATON_TOKENS_FILE). Baton stores only the
token's SHA-256; restart 'baton serve' after editing the file.

Roles and their permissions:
${ROLE_NAMES.map((r) => `  ${r.padEnd(9)}${[...ROLES[r]].join(", ")}`).join("\n")}
`;

/** `baton token …`: the text to print on stdout. */
export function tokenCommand(args: string[]): string {
  const [sub, ...rest] = args;
  if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") return TOKEN_HELP;
  if (sub !== "create") throw new UsageError(`unknown token command "${sub}"; use 'baton token create --name NAME --role ROLE'`);
  let values: { name?: string; role?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: { name: { type: "string" }, role: { type: "string" }, help: { type: "boolean", short: "h" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!);
  }
  if (values.help) return TOKEN_HELP;
  const { name, role } = values;
  if (name === undefined) throw new UsageError("token create needs --name, e.g. --name ci");
  if (!TOKEN_NAME.test(name))
    throw new UsageError(`--name "${name}" must be letters, digits, ., _ and -, at most 64, starting with a letter or digit`);
  if (role === undefined) throw new UsageError(`token create needs --role, one of ${ROLE_NAMES.join(", ")}`);
  if (!isRole(role)) throw new UsageError(`--role "${role}" is not a role; use one of ${ROLE_NAMES.join(", ")}`);
  const token = `${TOKEN_PREFIX}${newToken()}`;
  return `${token}

The token above is shown only now: give it to the client, which sends 'Authorization: Bearer TOKEN'.
Add this line to the token file (--tokens, BATON_TOKENS_FILE), then restart baton serve:

${name} ${role} sha256:${tokenDigest(token)}
`;
}
