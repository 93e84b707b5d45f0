/**
 * Where `baton serve` finds its secrets: `BATON_SECRET_<NAME>` environment variables and the
 * optional `--secrets-file` (`BATON_SECRETS_FILE`), one `NAME=value` per line, readable only by
 * its owner. A name set in both takes the environment's value. Any problem stops the start with
 * one line that names the file and line, never the value.
 */
import { readFileSync, statSync } from "node:fs";
import { SECRET_NAME, Secrets } from "../domain/secrets.ts";

const ENV_PREFIX = "BATON_SECRET_";

/** A secret that cannot be loaded; serve turns it into a refused start (exit 1). */
export class SecretsError extends Error {
  override name = "SecretsError";
}

/**
 * The lines of a secrets file as name → value. Blank lines and lines starting with `#` are
 * skipped; the value is everything after the first `=`, kept as written (no quotes removed,
 * no spaces trimmed), so a line is never reinterpreted.
 */
export function parseSecretsFile(text: string, file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [i, raw] of text.split("\n").entries()) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const at = `secrets file ${file} line ${i + 1}`;
    const eq = line.indexOf("=");
    if (eq < 0) throw new SecretsError(`${at}: expected NAME=value, found no "="`);
    const name = line.slice(0, eq);
    if (!SECRET_NAME.test(name))
      throw new SecretsError(`${at}: "${name}" is not a secret name (letters, digits and _, not starting with a digit)`);
    if (out.has(name)) throw new SecretsError(`${at}: ${name} is set a second time`);
    out.set(name, line.slice(eq + 1));
  }
  return out;
}

/** Reads the secrets file, refusing one that is missing, not a file, or readable by group or others. */
export function readSecretsFile(file: string): Map<string, string> {
  let mode: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) throw new SecretsError(`secrets file ${file} is not a regular file`);
    mode = stat.mode;
  } catch (err) {
    if (err instanceof SecretsError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT")
      throw new SecretsError(`secrets file ${file} does not exist; create it or fix --secrets-file / BATON_SECRETS_FILE`);
    throw new SecretsError(`cannot read secrets file ${file}: ${(err as Error).message}`);
  }
  if ((mode & 0o044) !== 0) {
    throw new SecretsError(
      `secrets file ${file} is readable by group or others (mode ${(mode & 0o777).toString(8).padStart(4, "0")}); make it private with: chmod 600 ${file}`,
    );
  }
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new SecretsError(`cannot read secrets file ${file}: ${(err as Error).message}`);
  }
  return parseSecretsFile(text, file);
}

/** The secrets of the file (when named) and of the environment, the environment winning. */
export function loadSecrets(file: string | null, env: Record<string, string | undefined>): Secrets {
  const values = file ? readSecretsFile(file) : new Map<string, string>();
  for (const [key, value] of Object.entries(env)) {
    if (!key.startsWith(ENV_PREFIX) || value === undefined) continue;
    const name = key.slice(ENV_PREFIX.length);
    if (!SECRET_NAME.test(name))
      throw new SecretsError(`environment variable ${key}: "${name}" is not a secret name (letters, digits and _)`);
    values.set(name, value);
  }
  try {
    return new Secrets(values);
  } catch (err) {
    throw new SecretsError((err as Error).message);
  }
}
