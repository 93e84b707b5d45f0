/**
 * `baton serve --print-config`: the effective settings as a TOML config file, each value
 * followed by where it came from, secrets masked. Saved as a file, it starts the same server.
 */
import { tomlString } from "./toml.ts";

/** What printing needs of a setting (a `SETTINGS` entry). */
export interface PrintableSetting {
  flag: string;
  env: string;
  /** True when the value itself is a secret: always masked, whatever the names say. */
  secret?: true;
}

/**
 * Whether a setting's value is masked: when it says so, or when its flag or variable names a
 * secret, token, password or key, unless the variable ends in _FILE or _DIR (the value is then
 * where the secret is kept, such as BATON_SECRETS_FILE, not the secret).
 */
export function isSecret(s: PrintableSetting): boolean {
  if (s.secret) return true;
  if (/_(FILE|DIR)$/.test(s.env)) return false;
  return /secret|token|passw(or)?d|credential|(^|[-_])key([-_]|$)/i.test(`${s.flag} ${s.env}`);
}

/**
 * The config file text. `values` by setting name, `sources` by flag name ("flag --port",
 * "env BATON_PORT", "file /etc/baton/baton.toml" or "default"). A value that is not set
 * (null or "") and a masked value are printed as comments, so the text stays loadable.
 */
export function printConfig(
  settings: Record<string, PrintableSetting>,
  values: Record<string, unknown>,
  sources: Map<string, string>,
): string {
  const lines = Object.entries(settings).map(([name, s]) => {
    const value = values[name];
    const source = sources.get(s.flag) ?? "default";
    if (value === null || value === undefined || value === "") return [`# ${s.flag} =`, `${source}: not set`];
    if (isSecret(s)) return [`# ${s.flag} = (masked)`, `${source}: set, a secret`];
    return [`${s.flag} = ${typeof value === "string" ? tomlString(value) : String(value)}`, source];
  });
  const width = Math.max(...lines.map(([text]) => text!.length)) + 2;
  return [
    "# baton serve: the effective configuration. Saved as a file, 'baton serve --config FILE' starts the same server.",
    "# After each value, where it came from: a flag, an environment variable, the config file, or the default.",
    ...lines.map(([text, comment]) => `${text!.padEnd(width)}# ${comment}`),
    "",
  ].join("\n");
}
