/**
 * Reading job definitions from files, for `serve` (the jobs folder) and `validate`. Every
 * file is checked before any is registered, so a typo never half-loads a folder.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { JobDefinition } from "../domain/definition.ts";
import { ValidationError } from "../domain/errors.ts";

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

export function checkDefinitionFiles(files: string[], validate: (raw: unknown) => JobDefinition): FileCheck {
  const valid: DefinitionFile[] = [];
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      problems.push(`${file}: ${e.code === "ENOENT" ? "no such file" : e.code === "EISDIR" ? "is a folder, not a file" : `not valid JSON (${e.message})`}`);
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

/** The `*.json` files of a folder, sorted by name; null when the folder does not exist. */
export function definitionFilesIn(dir: string): string[] | null {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return null;
  return readdirSync(dir)
    .filter((name) => name.endsWith(".json"))
    .sort()
    .map((name) => join(dir, name));
}
