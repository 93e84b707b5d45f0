import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSecrets, parseSecretsFile, SecretsError } from "./secrets.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-secrets-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(text: string, mode = 0o600): string {
  const path = join(dir, "secrets.env");
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

describe("parseSecretsFile", () => {
  test("NAME=value per line; blank lines and # comments skipped; the value is kept exactly, = and spaces included", () => {
    const parsed = parseSecretsFile('# tokens\n\nAPI_TOKEN=abc=def  \r\n  # indented comment\nDB_PASS= "quoted" \n', "s.env");
    expect([...parsed]).toEqual([
      ["API_TOKEN", "abc=def  "],
      ["DB_PASS", ' "quoted" '],
    ]);
  });

  test("a malformed line stops with the file and line number, never the value", () => {
    expect(() => parseSecretsFile("A_OK=123456\njust-a-password\n", "s.env")).toThrow(
      new SecretsError('secrets file s.env line 2: expected NAME=value, found no "="'),
    );
    expect(() => parseSecretsFile("my-key=123456", "s.env")).toThrow(
      'secrets file s.env line 1: "my-key" is not a secret name (letters, digits and _, not starting with a digit)',
    );
    expect(() => parseSecretsFile("A=123456\nA=654321", "s.env")).toThrow("secrets file s.env line 2: A is set a second time");
  });
});

describe("loadSecrets", () => {
  test("reads BATON_SECRET_<NAME> variables and the file; the environment wins", () => {
    const path = file("TOKEN=from-the-file\nDB=database-pass\n");
    const secrets = loadSecrets(path, { BATON_SECRET_TOKEN: "from-the-env", BATON_SECRETS_FILE: path, HOME: "/root" });
    expect(secrets.names()).toEqual(["DB", "TOKEN"]);
    expect(secrets.get("TOKEN")).toBe("from-the-env");
    expect(secrets.get("DB")).toBe("database-pass");
    expect(loadSecrets(null, {}).size).toBe(0);
  });

  test("refuses a file that is missing, readable by group or others, or a folder", () => {
    expect(() => loadSecrets(join(dir, "nope"), {})).toThrow(
      `secrets file ${join(dir, "nope")} does not exist; create it or fix --secrets-file / BATON_SECRETS_FILE`,
    );
    const open = file("A=123456\n", 0o640);
    expect(() => loadSecrets(open, {})).toThrow(
      `secrets file ${open} is readable by group or others (mode 0640); make it private with: chmod 600 ${open}`,
    );
    expect(() => loadSecrets(dir, {})).toThrow(`secrets file ${dir} is not a regular file`);
  });

  test("refuses a value too short to redact and a bad variable name, naming them but not the value", () => {
    expect(() => loadSecrets(null, { BATON_SECRET_PIN: "1234" })).toThrow(
      new SecretsError(
        "secret PIN is 4 characters long; at least 6 are needed, because its value is replaced by *** everywhere Baton records it",
      ),
    );
    expect(() => loadSecrets(null, { "BATON_SECRET_A-B": "long enough" })).toThrow(
      'environment variable BATON_SECRET_A-B: "A-B" is not a secret name',
    );
  });
});
