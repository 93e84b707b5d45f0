import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../../config.ts";
import { resultOf } from "./defs.ts";
import { errorText, exitCodeOf, nextPause, POLL_FIRST_MS, POLL_MAX_MS, readInput } from "./execution.ts";
import { eventLine } from "./jobs.ts";

describe("exit codes of a settled execution", () => {
  test("0 COMPLETED, 1 FAILED, 3 CANCELLED", () => {
    expect(["COMPLETED", "FAILED", "CANCELLED"].map(exitCodeOf)).toEqual([0, 1, 3]);
  });
});

describe("polling interval", () => {
  test("grows by half from the first pause and stops at the longest", () => {
    const pauses = [POLL_FIRST_MS];
    for (let i = 0; i < 8; i++) pauses.push(nextPause(pauses.at(-1)!));
    expect(pauses.slice(0, 4)).toEqual([200, 300, 450, 675]);
    expect(pauses.at(-1)).toBe(POLL_MAX_MS);
  });
});

describe("--input", () => {
  test("inline JSON, @file and - for stdin", () => {
    const file = join(tmpdir(), `baton-input-${process.pid}.json`);
    writeFileSync(file, '{"from":"file"}');
    expect(readInput('{"a":1}')).toEqual({ a: 1 });
    expect(readInput(`@${file}`)).toEqual({ from: "file" });
    expect(readInput("-", () => '{"from":"stdin"}')).toEqual({ from: "stdin" });
    expect(readInput(undefined)).toBeUndefined();
  });

  test("bad JSON and an unreadable file are bad usage, one line", () => {
    expect(() => readInput("{bad")).toThrow(UsageError);
    expect(() => readInput("{bad")).toThrow("--input: its value is not valid JSON");
    expect(() => readInput("@/nonexistent/input.json")).toThrow(
      "--input @/nonexistent/input.json: cannot read /nonexistent/input.json (ENOENT)",
    );
  });
});

describe("wording", () => {
  test("a registration answer: created, new version or unchanged", () => {
    expect([resultOf(201, 1), resultOf(201, 3), resultOf(200, 3)]).toEqual(["created", "new version", "unchanged"]);
  });

  test("errors and events read as one line", () => {
    expect(errorText({ taskId: "charge", name: "PaymentDeclined", message: "card refused" })).toBe(
      "PaymentDeclined: card refused (task charge)",
    );
    expect(errorText(null)).toBeNull();
    expect(
      eventLine({
        seq: 15,
        timestamp: "2026-11-28T20:03:05.453Z",
        type: "TaskRetrying",
        taskId: "flaky",
        attempt: 1,
        error: { name: "FlakyUpstream", message: "failing on purpose (attempt 1)" },
        nextAttemptAt: "2026-11-28T20:03:05.590Z",
      }),
    ).toBe(
      "    15  2026-11-28 20:03:05.453  TaskRetrying              flaky#1       FlakyUpstream: failing on purpose (attempt 1); next attempt 2026-11-28 20:03:05.590",
    );
    expect(eventLine({ seq: 22, timestamp: "2026-11-28T20:03:05.829Z", type: "ExecutionCompleted" })).toBe(
      "    22  2026-11-28 20:03:05.829  ExecutionCompleted",
    );
  });
});
