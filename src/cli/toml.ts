/**
 * The one doorway to a TOML parser, for `serve --config FILE`. smol-toml is plain
 * JavaScript with no runtime APIs, so the same module runs on Bun, in the compiled binary
 * and on Deno; swapping the parser touches only this file.
 */
import { parse, TomlError } from "smol-toml";

/** A document that is not valid TOML: the line and column (from 1) and the parser's reason. */
export class TomlSyntaxError extends Error {
  override name = "TomlSyntaxError";
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

/** Parses a TOML document into plain values; integers too large for a number are a syntax error. */
export function parseToml(text: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (err) {
    if (!(err instanceof TomlError)) throw err;
    // The parser's message is "Invalid TOML document: <reason>" followed by a code frame; keep the reason.
    const reason = err.message.split("\n")[0]!.replace(/^Invalid TOML document:\s*/, "");
    throw new TomlSyntaxError(err.line, err.column, reason);
  }
}

/** A string as a TOML basic string; JSON's escapes are TOML's, except that DEL must be escaped too. */
export function tomlString(value: string): string {
  return JSON.stringify(value).replaceAll("\u007f", "\\u007f");
}

/** True for a parsed TOML date or time (smol-toml's TomlDate is a Date). */
export function isTomlDate(value: unknown): boolean {
  return value instanceof Date;
}
