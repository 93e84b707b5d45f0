/**
 * The client commands' command line: the connection flags every command shares (`--url`,
 * `--token`, with `BATON_URL` and `BATON_TOKEN`), the output mode, and strict parsing where an
 * unknown flag or a missing value is a `UsageError` (one line, exit 2).
 */
import { parseArgs } from "node:util";
import { UsageError } from "../config.ts";

export const DEFAULT_URL = "http://127.0.0.1:8080";

/** How a command prints: tables for a person, the server's JSON for a script. */
export type OutputMode = "table" | "json";

export interface Connection {
  /** The server's base URL, without a trailing slash. */
  url: string;
  token: string | undefined;
}

export interface Parsed<K extends string> {
  connection: Connection;
  output: OutputMode;
  help: boolean;
  positionals: string[];
  values: Partial<Record<K, string | boolean>>;
}

type Options = Record<string, { type: "string" | "boolean"; short?: string }>;

const COMMON: Options = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean" },
  table: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/**
 * Parses one client command's arguments. `isTTY` picks the default output: a table on a
 * terminal, JSON otherwise; `--json` and `--table` force one.
 */
export function parseClientArgs<K extends string>(
  command: string,
  args: string[],
  options: Record<K, { type: "string" | "boolean"; short?: string }>,
  env: Record<string, string | undefined>,
  isTTY: boolean,
): Parsed<K> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args, options: { ...COMMON, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs adds advice about "--" to an unknown option; the option's name is what matters.
    throw new UsageError(`${command}: ${(err as Error).message.split("\n")[0]!.replace(/\. To specify a positional.*$/, "")}`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.json && values.table) throw new UsageError(`${command}: --json and --table exclude each other; pick one`);
  const raw = (values.url as string | undefined) ?? env.BATON_URL ?? DEFAULT_URL;
  const where = values.url !== undefined ? "--url" : env.BATON_URL !== undefined ? "BATON_URL" : "the default URL";
  const token = (values.token as string | undefined) ?? (env.BATON_TOKEN || undefined);
  if (values.token === "") throw new UsageError(`${command}: --token needs a value; omit it to send no token`);
  return {
    connection: { url: checkUrl(raw, where), token },
    output: values.json ? "json" : values.table ? "table" : isTTY ? "table" : "json",
    help: values.help === true,
    positionals: parsed.positionals,
    values: values as Partial<Record<K, string | boolean>>,
  };
}

/** An http(s) URL (a path prefix is kept, for a server behind a proxy), returned without its trailing slash. */
export function checkUrl(raw: string, where: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`${where}="${raw}" is not a URL; give the server's address, e.g. ${DEFAULT_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new UsageError(`${where}="${raw}" must start with http:// or https://, e.g. ${DEFAULT_URL}`);
  if (url.search !== "" || url.hash !== "") throw new UsageError(`${where}="${raw}" must not have a query or fragment`);
  return url.href.replace(/\/+$/, "");
}

/** Exactly `n` positionals named by `names` (for the message), or a UsageError. */
export function expectPositionals(command: string, positionals: string[], names: string[], example: string): string[] {
  if (positionals.length < names.length) throw new UsageError(`${command} needs ${names.join(" and ")}, e.g. ${example}`);
  if (positionals.length > names.length)
    throw new UsageError(
      `${command} takes ${names.length === 0 ? "no arguments" : names.join(" and ")}, got an extra "${positionals[names.length]}"`,
    );
  return positionals;
}
