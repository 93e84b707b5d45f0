/**
 * Secrets: named values that `{{secrets.NAME}}` templates resolve to when an attempt starts,
 * and the redaction that keeps their values out of everything Baton stores or logs. Where the
 * values come from (environment, a secrets file) is the command line's business; this file only
 * holds them. Pure: no I/O.
 *
 * Redaction replaces EVERY configured secret value, not only those the attempt resolved: a value
 * can reach another task's output through a file, a service or an echo, and that task never
 * named it. Because redaction is plain text replacement everywhere, a very short value ("1",
 * "yes") would wreck unrelated data, so a secret must be at least `MIN_SECRET_LENGTH`
 * characters; the command line refuses to start with a shorter one.
 */
import { isPlainObject } from "./json.ts";

/** Shortest secret value accepted: shorter ones occur too often in ordinary data to be replaced everywhere. */
export const MIN_SECRET_LENGTH = 6;

/** What a secret's value is replaced with wherever Baton records something. */
export const REDACTED = "***";

/** A secret's name: what follows `secrets.` in a template and `BATON_SECRET_` in the environment. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The secrets an engine resolves and redacts. */
export interface SecretSource {
  /** How many secrets are configured; with none, redaction has nothing to do. */
  readonly size: number;
  /** The value of secret `name`, or undefined when none is configured. */
  get(name: string): string | undefined;
  /** `value` with every configured secret value, in any string at any depth (keys included), replaced by `***`. */
  redact<T>(value: T): T;
  /** `text` with every configured secret value replaced by `***`. */
  redactText(text: string): string;
}

/** The secrets in `values` (name → value). Throws a `RangeError` naming a value that is too short or a bad name. */
export class Secrets implements SecretSource {
  private readonly values: ReadonlyMap<string, string>;
  /** Distinct values, longest first, so a value that contains another is replaced whole. */
  private readonly ordered: string[];

  constructor(values: ReadonlyMap<string, string> = new Map()) {
    for (const [name, value] of values) {
      if (!SECRET_NAME.test(name)) throw new RangeError(`secret name "${name}" must be letters, digits and _ (not starting with a digit)`);
      if (value.length < MIN_SECRET_LENGTH)
        throw new RangeError(
          `secret ${name} is ${value.length} character${value.length === 1 ? "" : "s"} long; at least ${MIN_SECRET_LENGTH} are needed, because its value is replaced by *** everywhere Baton records it`,
        );
    }
    this.values = values;
    this.ordered = [...new Set(values.values())].sort((a, b) => b.length - a.length);
  }

  get size(): number {
    return this.values.size;
  }

  names(): string[] {
    return [...this.values.keys()].sort();
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  redactText(text: string): string {
    let out = text;
    for (const secret of this.ordered) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  }

  redact<T>(value: T): T {
    if (this.ordered.length === 0) return value;
    return this.walk(value) as T;
  }

  private walk(value: unknown): unknown {
    if (typeof value === "string") return this.redactText(value);
    if (Array.isArray(value)) return value.map((v) => this.walk(v));
    if (isPlainObject(value)) {
      // fromEntries defines own keys, so a "__proto__" key stays a plain key.
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [this.redactText(k), this.walk(v)]));
    }
    return value;
  }
}

/** No secrets: templates naming one fail, and nothing is redacted. */
export const noSecrets: SecretSource = new Secrets();
