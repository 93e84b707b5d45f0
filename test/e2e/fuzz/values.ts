/**
 * Hostile values for the API fuzz test, drawn from a seeded source, and a JSON writer that can
 * say what `JSON.stringify` cannot: duplicate keys, `1e309`, nesting deeper than the stack.
 * Every pool says what makes its values invalid, so a request built from them is invalid for a
 * known reason.
 */
import type { Rng } from "../../../src/domain/retry.ts";

export interface Gen {
  rng: Rng;
  /** A whole number in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  chance(p: number): boolean;
}

export function gen(rng: Rng): Gen {
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  return { rng, int, pick: (xs) => xs[int(0, xs.length - 1)]!, chance: (p) => rng() < p };
}

/** JSON text written as is, e.g. `new Raw("1e309")` (which parses to Infinity). */
export class Raw {
  constructor(readonly text: string) {}
}

/** An object as a list of entries, so a key may appear twice (JSON.parse keeps the last). */
export class Pairs {
  constructor(readonly entries: [string, unknown][]) {}
}

/** JSON text of a value that may hold `Raw` and `Pairs`. Strings go through JSON.stringify, which escapes lone surrogates. */
export function jsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Pairs) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v)}`).join(",")}}`;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(",")}]`;
  if (value !== null && typeof value === "object") return jsonText(new Pairs(Object.entries(value)));
  return JSON.stringify(value);
}

/** `depth` levels of arrays or objects around a number, as text (no recursion, so any depth). */
export function nested(g: Gen, depth: number): Raw {
  return g.chance(0.5) ? new Raw(`${"[".repeat(depth)}1${"]".repeat(depth)}`) : new Raw(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
}

const ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Strings that no Baton id can be: each has a character outside `[A-Za-z0-9._-]` or a length
 * outside 1–128. So as a definition or task id they are a 400, and in a path they name nothing.
 */
export function badId(g: Gen): string {
  const s = g.pick<() => string>([
    () => "",
    () => " ",
    () => "a b",
    () => "../../etc/passwd",
    () => "..\\..\\boot.ini",
    () => "a/b",
    () => "%2e%2e%2f",
    () => "a\u0000b",
    () => "\u0000",
    () => "\u202Eevil\u202C",
    () => "rtl\u200Fmark",
    () => "😀",
    () => "emoji-😀-id",
    () => "\ud800",
    () => "x\udfffy",
    () => "é",
    () => "tab\tid",
    () => "new\nline",
    () => "<script>alert(1)</script>",
    () => "'; DROP TABLE executions; --",
    () => "{{input.x}}",
    () => "$(reboot)",
    () => "a?b=c",
    () => "a#b",
    () => "x".repeat(129),
    () => "y".repeat(g.int(130, 6000)),
    () => "é".repeat(g.int(1, 300)),
    () => "\uFEFFid",
  ])();
  if (ID.test(s)) throw new Error(`generator bug: ${JSON.stringify(s)} is a valid id`);
  return s;
}

/** Ids that are well formed but name nothing stored (the fuzz world never registers these). */
export function unknownId(g: Gen): string {
  return g.pick<() => string>([
    () => "__proto__",
    () => "constructor",
    () => "prototype",
    () => "toString",
    () => "hasOwnProperty",
    () => `nope-${g.int(0, 1e9)}`,
    () => "00000000-0000-0000-0000-000000000000",
    () => "01a228b8-337c-7da1-8a7e-0a3aa910a3d7",
    () => "-1",
    () => "0",
    () => "null",
    () => "undefined",
    () => "NaN",
    () => "z".repeat(128),
  ])();
}

/** Not a string. */
export function notString(g: Gen): unknown {
  return g.pick<() => unknown>([
    () => 0,
    () => -1,
    () => 1.5,
    () => new Raw("1e309"),
    () => new Raw("-1e999"),
    () => new Raw("9007199254740993"),
    () => true,
    () => false,
    () => null,
    () => [],
    () => ["a"],
    () => ({}),
    () => new Pairs([["__proto__", "x"]]),
    () => nested(g, g.int(2, 100)),
  ])();
}

/** Not an object (arrays and null included). */
export function notObject(g: Gen): unknown {
  return g.pick<() => unknown>([
    () => 0,
    () => -1,
    () => new Raw("1e309"),
    () => "x",
    () => "",
    () => "{}",
    () => true,
    () => null,
    () => [],
    () => [{}],
    () => {
      const depth = g.int(2, 100);
      return new Raw(`${"[".repeat(depth)}${"]".repeat(depth)}`);
    },
  ])();
}

/** Not an array. */
export function notArray(g: Gen): unknown {
  return g.pick<() => unknown>([() => 0, () => "a", () => "[]", () => true, () => null, () => ({}), () => ({ 0: "a", length: 1 })])();
}

/** Not a boolean. */
export function notBoolean(g: Gen): unknown {
  return g.pick<() => unknown>([() => "true", () => 1, () => 0, () => null, () => [], () => ({})])();
}

/** Bad for a number of seconds that must be > 0 (or ≥ 0) and ≤ 30 days. */
export function badSeconds(g: Gen, zeroAllowed: boolean): unknown {
  return g.pick<() => unknown>([
    ...(zeroAllowed ? [] : [() => 0]),
    () => -1,
    () => -0.001,
    () => new Raw("-1e308"),
    () => 2_592_001,
    () => new Raw("1e308"),
    () => new Raw("1e309"),
    () => "30",
    () => "NaN",
    () => "Infinity",
    () => null,
    () => true,
    () => [],
    () => ({}),
  ])();
}

/** Bad for a whole number in [lo, hi]. */
export function badWhole(g: Gen, lo: number, hi: number): unknown {
  return g.pick<() => unknown>([
    () => lo - 1,
    () => lo - g.int(2, 1e6),
    () => hi + 1,
    () => hi + g.int(2, 1e6),
    () => lo + 0.5,
    () => new Raw("1e309"),
    () => new Raw("-1e309"),
    () => new Raw("1e20"),
    () => String(lo),
    () => "NaN",
    () => null,
    () => true,
    () => [lo],
  ])();
}

/** Byte sequences that are not UTF-8. */
export const INVALID_UTF8: readonly (readonly number[])[] = [
  [0xff],
  [0xfe, 0xff],
  [0xc3, 0x28],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0x80],
  [0xf8, 0x88, 0x80, 0x80, 0x80],
];

/** Where `jsonText` output gets bytes that are not UTF-8: put this string in a value, then call `withBadBytes`. */
export const BAD_BYTES_MARK = "@@not-utf8@@";

/** The text as UTF-8, with each `BAD_BYTES_MARK` replaced by a sequence that is not UTF-8. */
export function withBadBytes(g: Gen, text: string): Uint8Array {
  const parts = text.split(JSON.stringify(BAD_BYTES_MARK).slice(1, -1));
  const out: number[] = [];
  parts.forEach((part, i) => {
    if (i > 0) out.push(...g.pick(INVALID_UTF8));
    out.push(...new TextEncoder().encode(part));
  });
  return new Uint8Array(out);
}

/** Text that is not JSON, in a few ways. */
export function notJson(g: Gen, validText: string): string {
  return g.pick<() => string>([
    () => "{",
    () => "{ oops",
    () => '{"id":}',
    () => "{'id':'x'}",
    () => '{"a":1,}',
    () => "[1,2",
    () => "nul",
    () => "undefined",
    () => "NaN",
    () => '{"a" "b"}',
    () => '{"a":1}}',
    () => '{"a":"\\x41"}',
    () => '{"a":"\\u12"}',
    () => '{"a":01}',
    () => '{"a":.5}',
    () => '{"a":Infinity}',
    () => "\u0000",
    () => "<xml/>",
    () => "a=1&b=2",
    // Every proper prefix of an object's text is unterminated.
    () => validText.slice(0, g.int(1, validText.length - 1)),
    () => validText + validText,
    () => `${"[".repeat(g.int(100, 60_000))}`,
  ])();
}

/** JSON that parses to something other than an object. */
export function nonObjectJson(g: Gen): string {
  return g.pick(["null", "42", "-0", "1e309", '"a string"', '""', "true", "false", "[]", '[{"id":"a"}]', "[null]"]);
}

/**
 * Content-Type values for a body that is wrong anyway: Baton reads every body as JSON, so the
 * header alone never makes a request invalid, and is never the only fault.
 */
export function anyContentType(g: Gen): string | undefined {
  return g.pick([
    undefined,
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "application/problem+json",
    "application/octet-stream",
    "",
    "json",
  ]);
}

/** Encodes a path segment; a lone surrogate (which encodeURIComponent refuses) becomes the bytes of an encoded surrogate. */
export function segment(s: string): string {
  return [...s].map((ch) => (/[\ud800-\udfff]/.test(ch) && ch.length === 1 ? "%ED%A0%80" : encodeURIComponent(ch))).join("");
}
