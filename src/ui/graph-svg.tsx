/**
 * A task graph drawn on the server as SVG: longest-path layers (`domain/graph.ts` `taskLayers`)
 * from left to right, each node labelled with its task id and, on an execution, its status in
 * words as well as colour.
 */
import { parseDefinition } from "../domain/definition.ts";
import { taskLayers } from "../domain/graph.ts";
import type { TaskStatus } from "../domain/states.ts";
import { FAMILY } from "./style.ts";

export interface GraphTask {
  id: string;
  dependsOn: string[];
}

const [W, H, GAP_X, GAP_Y, PAD] = [168, 44, 56, 14, 8];

/**
 * The tasks of a stored definition body with their dependencies resolved by the definition's
 * own rules (no `dependsOn` means "the previous task"); null if the body no longer parses.
 */
export function graphTasks(body: Record<string, unknown>): GraphTask[] | null {
  try {
    // Stored bodies were validated when registered; the functions are not what is drawn.
    return parseDefinition(body, () => true).tasks.map((t) => ({ id: t.id, dependsOn: t.dependsOn }));
  } catch {
    return null;
  }
}

/** Where each node sits: layer → column, place in the layer → row. */
export function layout(tasks: readonly GraphTask[]): { at: Map<string, { x: number; y: number }>; width: number; height: number } {
  const layers = taskLayers(tasks);
  const at = new Map<string, { x: number; y: number }>();
  layers.forEach((ids, col) => {
    ids.forEach((id, row) => {
      at.set(id, { x: PAD + col * (W + GAP_X), y: PAD + row * (H + GAP_Y) });
    });
  });
  const rows = Math.max(1, ...layers.map((l) => l.length));
  return { at, width: PAD * 2 + Math.max(1, layers.length) * (W + GAP_X) - GAP_X, height: PAD * 2 + rows * (H + GAP_Y) - GAP_Y };
}

const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

export function GraphSvg({ tasks, status }: { tasks: GraphTask[]; status?: ReadonlyMap<string, TaskStatus> }) {
  const { at, width, height } = layout(tasks);
  return (
    <svg viewBox={`0 0 ${width} ${height}`} width={width} height={height} role="img" aria-label={`Task graph of ${tasks.length} tasks`}>
      {tasks.flatMap((t) =>
        t.dependsOn
          .filter((d) => at.has(d))
          .map((d) => {
            const [from, to] = [at.get(d)!, at.get(t.id)!];
            const [x1, y1, x2, y2] = [from.x + W, from.y + H / 2, to.x, to.y + H / 2];
            const mid = (x1 + x2) / 2;
            return <path class="edge" d={`M${x1} ${y1} C${mid} ${y1} ${mid} ${y2} ${x2} ${y2}`} />;
          }),
      )}
      {tasks.map((t) => {
        const { x, y } = at.get(t.id)!;
        const s = status?.get(t.id);
        const family = s ? FAMILY[s] : "off";
        return (
          <g>
            <title>{s ? `${t.id}: ${s}` : t.id}</title>
            <rect class={`n-${family}`} x={x} y={y} width={W} height={H} rx="5" stroke-width="1.5" />
            <text x={x + 8} y={y + (s ? 18 : 27)} class={`t-${family}`} font-weight="600">
              {clip(t.id, 22)}
            </text>
            {s && (
              <text x={x + 8} y={y + 35} class={`t-${family}`}>
                {s}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}
