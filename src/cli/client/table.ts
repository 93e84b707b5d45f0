/**
 * Human output of the client commands: aligned tables with a header row, and key/value
 * blocks. Only for a terminal (or `--table`); scripts get the server's JSON instead.
 */

/** A column: its header and how to read the cell from a row. */
export interface Column<T> {
  header: string;
  cell: (row: T) => unknown;
}

/** How a cell reads: null and undefined as "-", arrays joined, objects as compact JSON. */
export function text(value: unknown): string {
  if (value === null || value === undefined || value === "") return "-";
  if (Array.isArray(value)) return value.length === 0 ? "-" : value.map(text).join(",");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value).replace(/\s*\n\s*/g, " ");
}

/** The rows as columns padded to their widest cell, two spaces apart; `empty` when there are none. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty: string): string {
  if (rows.length === 0) return `${empty}\n`;
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => text(c.cell(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells
    .map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "))
    .join("\n")
    .concat("\n");
}

/** `key: value` lines with the keys aligned. */
export function fields(pairs: readonly [string, unknown][]): string {
  const width = Math.max(...pairs.map(([k]) => k.length)) + 1;
  return pairs
    .map(([k, v]) => `${`${k}:`.padEnd(width)} ${text(v)}`)
    .join("\n")
    .concat("\n");
}

/** An ISO time shortened for a table: "2026-11-29 22:43:15" (UTC, as the server gives it); `ms` keeps ".183". */
export function when(iso: unknown, ms = false): string | null {
  return typeof iso === "string" ? iso.replace("T", " ").replace(ms ? /Z$/ : /\.\d+Z$|Z$/, "") : null;
}
