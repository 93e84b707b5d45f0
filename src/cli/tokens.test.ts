import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseTokenFile, TokenFileError } from "../domain/auth.ts";
import { tokenDigest } from "../platform/tokens.ts";
import { isLoopback, parseServeConfig, UsageError } from "./config.ts";
import { readTokenFile, tokenCommand } from "./tokens.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-tokens-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(text: string, mode = 0o600): string {
  const path = join(dir, "tokens");
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe("readTokenFile", () => {
  test("an owner-only file is read and parsed", () => {
    const path = file(`ci operate sha256:${"c".repeat(64)}\n`);
    expect(readTokenFile(path)).toEqual([{ name: "ci", role: "operate", sha256: "c".repeat(64) }]);
  });

  test.each([0o640, 0o604, 0o644, 0o620, 0o602])("mode %o is refused, naming the mode and the chmod that fixes it", (mode) => {
    const path = file(`ci operate sha256:${"c".repeat(64)}\n`, mode);
    expect(() => readTokenFile(path)).toThrow(
      `token file ${path} is open to group or others (mode ${mode.toString(8).padStart(4, "0")}); make it readable by its owner only with: chmod 600 ${path}`,
    );
  });

  test("a missing file, a folder and a file without tokens are refused with one line", () => {
    expect(() => readTokenFile(join(dir, "nope"))).toThrow(
      `token file ${join(dir, "nope")} does not exist; create it (see 'baton token create') or fix --tokens / BATON_TOKENS_FILE`,
    );
    mkdirSync(join(dir, "folder"), { mode: 0o700 });
    expect(() => readTokenFile(join(dir, "folder"))).toThrow(TokenFileError);
    const empty = file("# nobody yet\n");
    expect(() => readTokenFile(empty)).toThrow(`token file ${empty} lists no tokens`);
  });
});

describe("baton token create", () => {
  test("prints a new token once and the file line holding its SHA-256, which the file format accepts", () => {
    const out = tokenCommand(["create", "--name", "ci", "--role", "operate"]);
    const token = out.split("\n")[0]!;
    // "baton_" then 32 random bytes: never a leading "-" a command line would take for a flag.
    expect(token).toMatch(/^baton_[A-Za-z0-9_-]{43}$/);
    const line = out.trimEnd().split("\n").at(-1)!;
    expect(line).toBe(`ci operate sha256:${tokenDigest(token)}`);
    expect(parseTokenFile(line, "f")).toEqual([{ name: "ci", role: "operate", sha256: tokenDigest(token) }]);
    expect(out.match(new RegExp(token, "g"))).toHaveLength(1);
  });

  test.each([
    [["create", "--role", "read"], "token create needs --name, e.g. --name ci"],
    [["create", "--name", "ci"], "token create needs --role, one of read, operate, admin, worker"],
    [["create", "--name", "ci", "--role", "root"], '--role "root" is not a role; use one of read, operate, admin, worker'],
    [["create", "--name", "c i", "--role", "read"], '--name "c i" must be letters'],
    [["revoke"], 'unknown token command "revoke"'],
    [["create", "--nme", "ci"], "Unknown option '--nme'"],
  ])("%p is a usage error", (args, message) => {
    expect(() => tokenCommand(args)).toThrow(UsageError);
    expect(() => tokenCommand(args)).toThrow(message);
  });
});

describe("the safe default", () => {
  test.each(["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "::ffff:127.0.0.1"])("%s is loopback", (host) => {
    expect(isLoopback(host)).toBe(true);
  });
  test.each(["0.0.0.0", "::", "192.168.1.4", "10.0.0.1", "example.org", "128.0.0.1"])("%s is not loopback", (host) => {
    expect(isLoopback(host)).toBe(false);
  });

  test("a non-loopback host needs --tokens or --insecure-no-auth, by flag or by variable", () => {
    expect(() => parseServeConfig(["--host", "0.0.0.0"], {})).toThrow(UsageError);
    expect(() => parseServeConfig([], { BATON_HOST: "0.0.0.0" })).toThrow(
      "the address 0.0.0.0 (env BATON_HOST) is reachable from other machines and no tokens are configured",
    );
    expect(parseServeConfig(["--host", "0.0.0.0", "--tokens", "t"], {})).toMatchObject({ tokensFile: "t", insecureNoAuth: false });
    expect(parseServeConfig(["--host", "0.0.0.0"], { BATON_TOKENS_FILE: "t" })).toMatchObject({ tokensFile: "t" });
    expect(parseServeConfig(["--host", "0.0.0.0", "--insecure-no-auth"], {})).toMatchObject({ tokensFile: null, insecureNoAuth: true });
    expect(parseServeConfig(["--host", "::"], { BATON_INSECURE_NO_AUTH: "1" })).toMatchObject({ insecureNoAuth: true });
    expect(parseServeConfig([], {})).toMatchObject({ host: "127.0.0.1", tokensFile: null, authFailuresPerMinute: 20 });
  });
});
