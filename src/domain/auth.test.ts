import { describe, expect, test } from "bun:test";
import { PERMISSIONS, parseTokenFile, ROLES, TokenFileError } from "./auth.ts";

const HEX = "a".repeat(64);
const HEX2 = "b".repeat(64);

describe("roles", () => {
  test("each role is the set of permissions the issue gives it, not a ladder", () => {
    expect(Object.fromEntries(Object.entries(ROLES).map(([r, set]) => [r, [...set].sort()]))).toEqual({
      read: ["read"],
      operate: [
        "executions.cancel",
        "executions.execute",
        "executions.redrive",
        "executions.rerun",
        "read",
        "schedules.pause",
        "schedules.resume",
        "schedules.trigger",
      ],
      admin: [...PERMISSIONS].sort(),
      worker: ["workers"],
    });
  });

  test("worker cannot read and read cannot work: neither role contains the other", () => {
    expect(ROLES.worker.has("read")).toBe(false);
    expect(ROLES.read.has("workers")).toBe(false);
    expect(ROLES.operate.has("definitions.register")).toBe(false);
  });
});

describe("parseTokenFile", () => {
  test("NAME ROLE sha256:HEX per line; blank lines and # comments skipped; hex kept lowercase", () => {
    const text = `# Baton tokens\n\nci operate sha256:${HEX.toUpperCase()}\n  # indented\n\tworker-1   worker sha256:${HEX2}  \r\n`;
    expect(parseTokenFile(text, "t")).toEqual([
      { name: "ci", role: "operate", sha256: HEX },
      { name: "worker-1", role: "worker", sha256: HEX2 },
    ]);
  });

  test.each([
    [`ci operate`, "t line 1: expected NAME ROLE sha256:HEX, found 2 field(s)"],
    [`ci boss sha256:${HEX}`, 't line 1: "boss" is not a role; use one of read, operate, admin, worker'],
    [`ci read ${HEX}`, "t line 1: the third field must be sha256: and 64 hex digits"],
    [`ci read sha256:${HEX.slice(1)}`, "t line 1: the third field must be sha256:"],
    [`-ci read sha256:${HEX}`, 't line 1: "-ci" is not a token name'],
    [`ci read sha256:${HEX}\nci admin sha256:${HEX2}`, "t line 2: the name ci is used a second time"],
    [`ci read sha256:${HEX}\nops admin sha256:${HEX}`, "t line 2: the same token is listed a second time (as ci)"],
  ])("%p is refused with the file and line", (text, message) => {
    expect(() => parseTokenFile(text, "t")).toThrow(TokenFileError);
    expect(() => parseTokenFile(text, "t")).toThrow(`token file ${message}`);
  });
});
