/**
 * The file layer of `baton serve`'s settings (`--config FILE` or `BATON_CONFIG`): reads the
 * TOML file, refuses keys that are not settings (naming the nearest one) and values of the
 * wrong TOML type, and hands each value on as the string its flag would carry, so the
 * setting's own schema checks it exactly as it checks a flag. The keys are the flags' names
 * and are derived from the settings, so a new setting needs nothing here.
 */
import { readFileSync } from "node:fs";
import * as v from "valibot";
import { denial } from "./file-errors.ts";
import { isTomlDate, parseToml, TomlSyntaxError, tomlString } from "./toml.ts";

/** What this layer needs of a setting (a `SETTINGS` entry). */
export interface FileSetting {
  flag: string;
  env: string;
  switch?: true;
  fallback: unknown;
  schema: v.GenericSchema<string, unknown>;
}

/** A problem with the config file; the command line turns it into one line and exit code 2. */
export class ConfigFileError extends Error {
  override name = "ConfigFileError";
}

/** The file's values by flag name, as a flag would carry them, and the words that name the file ("config file /etc/baton/baton.toml"). */
export interface ConfigFile {
  path: string;
  label: string;
  values: Map<string, string>;
}

/** The TOML type a setting takes: a switch or a boolean default → boolean, a number default → number, else a string. */
export function kindOf(s: FileSetting): "boolean" | "number" | "string" {
  if (s.switch || typeof s.fallback === "boolean") return "boolean";
  return typeof s.fallback === "number" ? "number" : "string";
}

/** Reads and checks the file; every problem is a ConfigFileError naming the file and the key. */
export function readConfigFile(
  path: string,
  settings: FileSetting[],
  options: { namedBy?: string; read?: (path: string) => string } = {},
): ConfigFile {
  const label = `config file ${path}${options.namedBy ? ` (${options.namedBy})` : ""}`;
  let text: string;
  try {
    text = (options.read ?? ((p) => readFileSync(p, "utf8")))(path);
  } catch (err) {
    throw new ConfigFileError(`${label}: cannot read it: ${denial((err as NodeJS.ErrnoException).code, path)}`);
  }
  let document: Record<string, unknown>;
  try {
    document = parseToml(text);
  } catch (err) {
    if (err instanceof TomlSyntaxError) throw new ConfigFileError(`${label} is not valid TOML: ${err.message}`);
    throw err;
  }
  const byFlag = new Map(settings.map((s) => [s.flag, s]));
  const values = new Map<string, string>();
  for (const [key, value] of Object.entries(document)) {
    const setting = byFlag.get(key);
    if (!setting) throw new ConfigFileError(`${label}: ${unknownKey(key, value, settings)}`);
    const where = `${label}: "${key}"`;
    const raw = asFlagString(setting, value, where);
    // Checked even when a flag or variable overrides it: a broken file is said at once, not at the next start without the flag.
    const checked = v.safeParse(setting.schema, raw);
    if (!checked.success) throw new ConfigFileError(`${where} ${checked.issues[0].message}, got ${shown(value)}`);
    values.set(key, raw);
  }
  return { path, label, values };
}

/** The value as the string its flag would carry, after checking its TOML type. */
function asFlagString(s: FileSetting, value: unknown, where: string): string {
  const kind = kindOf(s);
  if (kind === "boolean") {
    if (typeof value === "boolean") return String(value);
    const quoted = typeof value === "string" && /^(true|false)$/.test(value);
    throw new ConfigFileError(`${where} must be true or false${quoted ? " without quotes" : ""}, got ${shown(value)}`);
  }
  if (kind === "number") {
    if (typeof value === "number") return Number.isFinite(value) ? String(value) : shown(value);
    if (typeof value === "string") {
      const parsed = v.safeParse(s.schema, value);
      if (parsed.success) throw new ConfigFileError(`${where} is a number: write ${s.flag} = ${value.trim()}, without quotes`);
      throw new ConfigFileError(`${where} ${parsed.issues[0].message}, got ${shown(value)}`);
    }
    const probe = v.safeParse(s.schema, "");
    throw new ConfigFileError(`${where} ${probe.success ? "must be a number" : probe.issues[0].message}, got ${shown(value)}`);
  }
  if (typeof value === "string") return value;
  throw new ConfigFileError(`${where} must be a string in quotes, e.g. ${s.flag} = "${exampleText(s)}", got ${shown(value)}`);
}

function exampleText(s: FileSetting): string {
  return typeof s.fallback === "string" && s.fallback !== "" ? s.fallback : "...";
}

/** A value as the file wrote it, for messages: "eighty" quoted, 70000 bare, "a table" for a table. */
function shown(value: unknown): string {
  if (typeof value === "string") return tomlString(value);
  if (typeof value === "number") return Number.isNaN(value) ? "nan" : Number.isFinite(value) ? String(value) : value > 0 ? "inf" : "-inf";
  if (typeof value === "boolean") return String(value);
  if (isTomlDate(value)) return "a date";
  return Array.isArray(value) ? "an array" : "a table";
}

/** Why a key is not known, with the setting it most likely meant. */
function unknownKey(key: string, value: unknown, settings: FileSetting[]): string {
  const near = nearest(key, settings);
  if (near) return `unknown key "${key}"; did you mean "${near}"? The keys are the flags' names`;
  if (typeof value === "object" && value !== null && !Array.isArray(value) && !isTomlDate(value))
    return `unknown key "${key}" (a table): the file has no tables; write each key at the top level, e.g. port = 8080`;
  return `unknown key "${key}"; the keys are the flags' names, as 'baton serve --help' lists them`;
}

/**
 * The flag a key most likely meant: the same name in snake_case, camelCase or as its variable
 * (max_concurrent_jobs, maxConcurrentJobs, BATON_MAX_CONCURRENT_JOBS), else the closest name
 * within a few typos.
 */
export function nearest(key: string, settings: FileSetting[]): string | undefined {
  const norm = (s: string) =>
    s
      .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
      .toLowerCase()
      .replace(/[_\s]+/g, "-")
      .replace(/^baton-/, "");
  const k = norm(key);
  const same = settings.find((s) => k === s.flag || k === norm(s.env));
  if (same) return same.flag;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const s of settings) {
    const d = distance(k, s.flag);
    if (d < bestDistance) [best, bestDistance] = [s.flag, d];
  }
  return best !== undefined && bestDistance <= Math.max(2, Math.floor(best.length / 4)) ? best : undefined;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}
