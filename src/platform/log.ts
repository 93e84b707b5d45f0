/**
 * The process logger: one line per record on stderr, in one of two formats.
 * - text: `time LEVEL message key=value …`, for a person at a terminal;
 * - json: one object per line, `{"time","level","msg",…fields}`, for a log collector. The
 *   fields that name an execution, a task and an attempt are `executionId`, `taskId` and
 *   `attempt` in JSON whatever the call site calls them (`ID_FIELDS`: the text format keeps the
 *   short `execution=`/`task=` it has always printed).
 */
import type { Logger } from "../domain/log.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];
export type LogFormat = "text" | "json";
export const LOG_FORMATS: readonly LogFormat[] = ["text", "json"];

/** Field names of the call sites → the names a JSON line uses, so one query finds every line of an execution. */
const ID_FIELDS: Readonly<Record<string, string>> = { execution: "executionId", task: "taskId" };
/** The keys a JSON line starts with; a field of the same name is kept as `field.NAME` rather than lost. */
const RESERVED = new Set(["time", "level", "msg"]);

function render(value: unknown): string {
  const text = typeof value === "string" ? value : (JSON.stringify(value) ?? String(value));
  return /^[^\s"=]+$/.test(text) ? text : JSON.stringify(text);
}

/** One text line, without its newline. */
export function textLine(time: Date, level: LogLevel, message: string, fields?: Record<string, unknown>): string {
  let line = `${time.toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
  if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined) line += ` ${k}=${render(v)}`;
  return line;
}

/** One JSON line, without its newline: `time`, `level`, `msg` first, then the fields in their order. */
export function jsonLine(time: Date, level: LogLevel, message: string, fields?: Record<string, unknown>): string {
  const record: Record<string, unknown> = { time: time.toISOString(), level, msg: message };
  if (fields)
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      const key = ID_FIELDS[k] ?? k;
      record[RESERVED.has(key) ? `field.${key}` : key] = v instanceof Error ? `${v.name}: ${v.message}` : v;
    }
  // JSON.stringify escapes newlines and control characters, so a record is always one line.
  return safeStringify(record);
}

/** A value JSON cannot hold (a bigint, a cycle) is written as its string rather than losing the line. */
function safeStringify(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify(Object.fromEntries(Object.entries(record).map(([k, v]) => [k, typeof v === "string" ? v : String(v)])));
  }
}

export function createLogger(
  level: LogLevel,
  write: (line: string) => void = (line) => process.stderr.write(line),
  format: LogFormat = "text",
): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const line = format === "json" ? jsonLine : textLine;
  const at = (lvl: LogLevel) => (message: string, fields?: Record<string, unknown>) => {
    if (LOG_LEVELS.indexOf(lvl) < threshold) return;
    write(`${line(new Date(), lvl, message, fields)}\n`);
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
