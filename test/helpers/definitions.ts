/** Parsing definitions in tests: against the built-in function names, and reading the issues of a rejection. */
import { expect } from "bun:test";
import { parseDefinition } from "../../src/domain/definition.ts";
import { ValidationError } from "../../src/domain/errors.ts";

const KNOWN = new Set(["task1Function", "task2Function", "task3Function", "noop", "echo", "sleep", "fail"]);

/** Parses `raw` as if registered in a Baton with the built-in functions. */
export const parse = (raw: unknown) => parseDefinition(raw, (name) => KNOWN.has(name));

/** The issues of the ValidationError `raw` is rejected with. */
export function issuesOf(raw: unknown): { path: string; message: string }[] {
  try {
    parse(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(ValidationError);
    return (err as ValidationError).issues;
  }
  throw new Error("expected the definition to be rejected");
}

export const pathsOf = (raw: unknown) => issuesOf(raw).map((i) => i.path);
