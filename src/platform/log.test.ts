/** The two log formats: the text line as docs and tests capture it, and one JSON object per line. */
import { describe, expect, test } from "bun:test";
import { createLogger, jsonLine, textLine } from "./log.ts";

const T = new Date("2026-11-29T23:40:00.123Z");

describe("jsonLine", () => {
  test("time, level, msg come first, then the fields in their order; undefined fields are left out", () => {
    const line = jsonLine(T, "info", "execution failed", { execution: "e1", definition: "d", task: "t1", attempt: 2, gone: undefined });
    expect(line).toBe(
      '{"time":"2026-11-29T23:40:00.123Z","level":"info","msg":"execution failed","executionId":"e1","definition":"d","taskId":"t1","attempt":2}',
    );
    expect(Object.keys(JSON.parse(line))).toEqual(["time", "level", "msg", "executionId", "definition", "taskId", "attempt"]);
  });

  test("newlines, quotes, backslashes and control characters stay inside one line and read back unchanged", () => {
    const msg = 'two\nlines "quoted" \\ back\u0000slash\ttab\r\u2028';
    const stack = "Error: boom\n    at a (x.ts:1:1)\n    at b (y.ts:2:2)";
    const line = jsonLine(T, "error", msg, { stack, nested: { a: [1, "b\nc"] } });
    expect(line).not.toContain("\n");
    expect(line).not.toContain("\r");
    const back = JSON.parse(line);
    expect(back.msg).toBe(msg);
    expect(back.stack).toBe(stack);
    expect(back.nested).toEqual({ a: [1, "b\nc"] });
  });

  test("a field named like time, level or msg cannot replace them; it is kept as field.NAME", () => {
    const back = JSON.parse(jsonLine(T, "warn", "m", { level: "fake", msg: "other", time: 1 }));
    expect(back).toEqual({ time: T.toISOString(), level: "warn", msg: "m", "field.level": "fake", "field.msg": "other", "field.time": 1 });
  });

  test("an Error field is its name and message; a value JSON cannot hold is written as a string, not lost", () => {
    expect(JSON.parse(jsonLine(T, "info", "m", { error: new TypeError("bad") })).error).toBe("TypeError: bad");
    const back = JSON.parse(jsonLine(T, "info", "m", { big: 10n, executionId: "e" }));
    expect(back).toEqual({ time: T.toISOString(), level: "info", msg: "m", big: "10", executionId: "e" });
  });
});

describe("textLine", () => {
  test("keeps its look: padded level, key=value, values with spaces quoted, call sites' field names unchanged", () => {
    expect(textLine(T, "info", "task1 done", { execution: "e1", task: "task1", attempt: 1, note: "two words" })).toBe(
      '2026-11-29T23:40:00.123Z INFO  task1 done execution=e1 task=task1 attempt=1 note="two words"',
    );
  });
});

describe("createLogger", () => {
  test("json: one parseable line per record at or above the level, ending in a newline", () => {
    const out: string[] = [];
    const logger = createLogger("info", (l) => out.push(l), "json");
    logger.debug("hidden");
    logger.info("shown", { task: "t" });
    logger.error("also\nshown");
    expect(out).toHaveLength(2);
    for (const l of out) expect(l.endsWith("}\n") && l.indexOf("\n") === l.length - 1).toBe(true);
    expect(out.map((l) => JSON.parse(l).level)).toEqual(["info", "error"]);
    expect(JSON.parse(out[0]!).taskId).toBe("t");
  });

  test("text stays the default format", () => {
    const out: string[] = [];
    createLogger("debug", (l) => out.push(l)).debug("hello", { execution: "e" });
    expect(out[0]).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z DEBUG hello execution=e\n$/);
  });
});
