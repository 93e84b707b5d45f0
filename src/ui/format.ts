/** How the dashboard writes values: times (UTC on the server, the browser's zone once the script runs), durations, JSON. */

/** `2026-11-30 01:02:03 UTC`, what a page shows before its script turns it into local time. */
export const utc = (ms: number): string => `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`, `3 d 4 h`. */
export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const [m, h, d] = [Math.floor(s / 60), Math.floor(s / 3600), Math.floor(s / 86400)];
  if (h === 0) return `${m} min ${Math.floor(s % 60)} s`;
  if (d === 0) return `${h} h ${m % 60} min`;
  return `${d} d ${h % 24} h`;
}

/** Pretty JSON for a `<pre>`; `undefined` (no value) shows as nothing. */
export const json = (value: unknown): string => (value === undefined ? "" : JSON.stringify(value, null, 2));

/** The last `max` characters of a text, with what was left out said on the first line. */
export function tail(text: string, max: number): { text: string; cut: number } {
  if (text.length <= max) return { text, cut: 0 };
  return { text: text.slice(text.length - max), cut: text.length - max };
}
