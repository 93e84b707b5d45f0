/**
 * What a client command is handed: its parsed command line, the HTTP client built from the
 * connection flags, and where it prints. Commands return their exit code.
 */
import { UsageError } from "../config.ts";
import type { Parsed } from "./args.ts";
import type { Client } from "./http.ts";

export interface Session<K extends string = string> extends Parsed<K> {
  api: Client;
  /** Writes to stdout. */
  out(text: string): void;
}

/** Exit codes of every client command. */
export const EXIT = { done: 0, failed: 1, usage: 2, cancelled: 3, refused: 4 } as const;

/** Prints a document as the scripts read it: pretty JSON, one document per command. */
export function printJson(session: Session, doc: unknown): void {
  session.out(`${JSON.stringify(doc, null, 2)}\n`);
}

/** A path segment from user input, encoded so an id can never change the route. */
export const seg = (value: string): string => encodeURIComponent(value);

/** A string flag's value, or undefined; an empty value is a UsageError naming the flag. */
export function stringFlag(session: Session, flag: string, example: string): string | undefined {
  const value = session.values[flag];
  if (value === undefined) return undefined;
  if (value === "" || typeof value !== "string") throw new UsageError(`--${flag} needs a value, e.g. --${flag} ${example}`);
  return value;
}
