/**
 * The overview's charts: executions created per minute over the last hour and per hour over the
 * last day (bars, the failed part drawn darker and hatched by its own outline), and the share of
 * them that failed (a line), as SVG made on the server. Each chart carries its numbers in
 * words: a summary paragraph the SVG is labelled by, a `<title>` on every bar (shown on hover),
 * and axis labels, so nothing depends on colour. Times on the axes are UTC.
 */
import type { ActivityBucket } from "../domain/model.ts";

export interface ActivityWindow {
  /** `hour` or `day`: ids in the page. */
  key: string;
  title: string;
  /** "minute", "hour": what one bar is. */
  unit: string;
  stepMs: number;
  buckets: number;
}

export const WINDOWS: ActivityWindow[] = [
  { key: "hour", title: "Last hour", unit: "minute", stepMs: 60_000, buckets: 60 },
  { key: "day", title: "Last day", unit: "hour", stepMs: 3_600_000, buckets: 24 },
];

/** Where a window's first bar starts: bars fall on whole minutes or hours, the last one is the current one. */
export const windowFrom = (w: ActivityWindow, now: number): number => Math.floor(now / w.stepMs) * w.stepMs - (w.buckets - 1) * w.stepMs;

const W = 600;
const BARS_H = 110;
const RATE_H = 50;
const GAP = 26;
const LEFT = 44;
const H = BARS_H + GAP + RATE_H + 20;

/** A bar's start in UTC: `01:06` within the hour, `11-29 02:00` across the day (a day's first and last bars share a time). */
const at = (w: ActivityWindow, ms: number) =>
  new Date(ms)
    .toISOString()
    .slice(w.stepMs >= 3_600_000 ? 5 : 11, 16)
    .replace("T", " ");
const percent = (failed: number, created: number) => (created === 0 ? 0 : (failed / created) * 100);
const pct = (n: number) => `${n >= 10 || n === 0 ? Math.round(n) : n.toFixed(1)}%`;

/** The words said about a window: totals, failure rate, the busiest bar. */
export function summary(w: ActivityWindow, buckets: ActivityBucket[]): string {
  const created = buckets.reduce((n, b) => n + b.created, 0);
  const failed = buckets.reduce((n, b) => n + b.failed, 0);
  const floor = buckets.some((b) => b.capped) ? "at least " : "";
  if (created === 0) return `${w.title}: no execution was created.`;
  const busiest = buckets.reduce((a, b) => (b.created > a.created ? b : a));
  return (
    `${w.title}: ${created} executions created, ${floor}${failed} of them failed (${floor}${pct(percent(failed, created))}). ` +
    `Busiest ${w.unit}: ${busiest.created} from ${at(w, busiest.from)} UTC.`
  );
}

export function ActivityChart({ window: w, buckets }: { window: ActivityWindow; buckets: ActivityBucket[] }) {
  const max = Math.max(1, ...buckets.map((b) => b.created));
  const slot = (W - LEFT) / buckets.length;
  const barW = Math.max(1, slot - 1);
  const x = (i: number) => LEFT + i * slot;
  const y = (n: number) => BARS_H - (n / max) * BARS_H;
  const rateTop = BARS_H + GAP;
  const rateY = (p: number) => rateTop + RATE_H - (p / 100) * RATE_H;
  const line = buckets
    .map((b, i) => (b.created === 0 ? null : `${x(i) + barW / 2},${rateY(percent(b.failed, b.created))}`))
    .filter((p) => p !== null)
    .join(" ");
  const id = `activity-${w.key}`;
  return (
    <figure class="chart">
      <figcaption>
        <h3 id={`${id}-title`}>{w.title}</h3>
        <p id={`${id}-summary`}>{summary(w, buckets)}</p>
      </figcaption>
      <div class="scroll">
        <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" aria-labelledby={`${id}-title ${id}-summary`}>
          <title>{summary(w, buckets)}</title>
          <text x={LEFT - 4} y={10} text-anchor="end">
            {max}
          </text>
          <text x={LEFT - 4} y={BARS_H} text-anchor="end">
            0
          </text>
          <line class="axis" x1={LEFT} y1={BARS_H} x2={W} y2={BARS_H} />
          {buckets.map((b, i) => (
            <g>
              <title>{`${at(w, b.from)} UTC: ${b.created} created, ${b.capped ? "at least " : ""}${b.failed} failed (${pct(percent(b.failed, b.created))})`}</title>
              <rect class="c-all" x={x(i)} y={y(b.created)} width={barW} height={BARS_H - y(b.created)} />
              {b.failed > 0 && <rect class="c-bad" x={x(i)} y={y(b.failed)} width={barW} height={BARS_H - y(b.failed)} />}
            </g>
          ))}
          <text x={LEFT - 4} y={rateTop + 8} text-anchor="end">
            100%
          </text>
          <text x={LEFT - 4} y={rateTop + RATE_H} text-anchor="end">
            0%
          </text>
          <line class="axis" x1={LEFT} y1={rateTop + RATE_H} x2={W} y2={rateTop + RATE_H} />
          <text x={LEFT} y={rateTop - 6}>
            failed, share of those created
          </text>
          {line !== "" && <polyline class="c-rate" points={line} />}
          <text x={LEFT} y={H - 4}>
            {at(w, buckets[0]?.from ?? 0)} UTC
          </text>
          <text x={W} y={H - 4} text-anchor="end">
            {at(w, (buckets.at(-1)?.from ?? 0) + w.stepMs)} UTC
          </text>
        </svg>
      </div>
    </figure>
  );
}
