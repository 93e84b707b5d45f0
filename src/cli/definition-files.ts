/**
 * Reading job definitions from files, for `serve` (the jobs folder) and `validate`. Every
 * file is checked before any is registered, so a typo never half-loads a folder.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { JobDefinition } from "../domain/definition.ts";
import { ValidationError } from "../domain/errors.ts";
import { reason } from "./file-errors.ts";

/** A file's text, read before anything else happens, so a file that cannot be read stops a start early. */
export interface SourceFile {
  file: string;
  text: string;
}

export interface UnreadableFile {
  file: string;
  /** An errno name: EACCES, ENOENT, EISDIR… */
  code: string;
  /** One line naming the file and the cause, e.g. "jobs/a.json: cannot read the file: permission denied (EACCES)". */
  problem: string;
}

export interface DefinitionFile {
  file: string;
  raw: unknown;
  def: JobDefinition;
}

export interface FileCheck {
  valid: DefinitionFile[];
  /** One line per problem, each naming the file and the field. */
  problems: string[];
}

export function readSourceFiles(files: string[]): { read: SourceFile[]; unreadable: UnreadableFile[] } {
  const read: SourceFile[] = [];
  const unreadable: UnreadableFile[] = [];
  for (const file of files) {
    try {
      read.push({ file, text: readFileSync(file, "utf8") });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? "EIO";
      unreadable.push({ file, code, problem: `${file}: cannot read the file: ${reason(code)} (${code})` });
    }
  }
  return { read, unreadable };
}

export function checkDefinitionFiles(sources: SourceFile[], validate: (raw: unknown) => JobDefinition): FileCheck {
  const valid: DefinitionFile[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const { file, text } of sources) {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      problems.push(`${file}: not valid JSON (${(err as Error).message})`);
      continue;
    }
    try {
      const def = validate(raw);
      const other = seen.get(def.id);
      if (other) {
        problems.push(`${file}: $.id "${def.id}" is already defined in ${other}`);
        continue;
      }
      seen.set(def.id, file);
      valid.push({ file, raw, def });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      for (const issue of err.issues) problems.push(`${file}: ${issue.path} ${issue.message}`);
    }
  }
  return { valid, problems };
}

/**
 * The `*.json` files of a folder, sorted by name; null when the folder does not exist. Throws
 * the file system's error otherwise (EACCES, ENOTDIR…) for the caller to word.
 */
export function definitionFilesIn(dir: string): string[] | null {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
  return names
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => join(dir, name));
}
