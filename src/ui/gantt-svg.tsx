/** The Gantt timeline of an execution's attempts as SVG: one row per attempt, its retry wait dashed after it, its outcome in words. */
import { duration } from "./format.ts";
import { FAMILY } from "./style.ts";
import type { AttemptRow } from "./timeline.ts";

const [LABEL, CHART, ROW, PAD] = [250, 620, 22, 6];

export function GanttSvg({ rows, origin }: { rows: AttemptRow[]; origin: number }) {
  const end = Math.max(origin + 1, ...rows.map((r) => Math.max(r.end, r.wait?.end ?? 0)));
  const x = (t: number) => LABEL + ((t - origin) / (end - origin)) * CHART;
  const height = PAD * 2 + rows.length * ROW + 18;
  const width = LABEL + CHART + PAD;
  return (
    <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={`Timeline of ${rows.length} attempts`}>
      {rows.map((r, i) => {
        const y = PAD + i * ROW;
        const family = FAMILY[r.outcome === "RETRYING" ? "RETRYING" : r.outcome];
        const w = Math.max(2, x(r.end) - x(r.start));
        return (
          <g>
            <title>{`${r.taskId} attempt ${r.attempt}: ${r.outcome}, ${duration(r.end - r.start)}${r.wait ? `, then waited ${duration(r.wait.end - r.wait.start)}` : ""}`}</title>
            <text x="0" y={y + 15}>
              {`${r.taskId.length > 20 ? `${r.taskId.slice(0, 19)}…` : r.taskId} #${r.attempt} ${r.outcome}`}
            </text>
            <rect class={`n-${family}`} x={x(r.start)} y={y + 3} width={w} height={ROW - 6} rx="2" />
            {r.wait && (
              <rect class="wait" x={x(r.wait.start)} y={y + 6} width={Math.max(2, x(r.wait.end) - x(r.wait.start))} height={ROW - 12} />
            )}
          </g>
        );
      })}
      <line class="axis" x1={LABEL} x2={LABEL + CHART} y1={height - 16} y2={height - 16} />
      <text x={LABEL} y={height - 2}>
        0
      </text>
      <text x={LABEL + CHART} y={height - 2} text-anchor="end">
        {duration(end - origin)}
      </text>
    </svg>
  );
}
