import { NonRetryableError } from "../domain/errors.ts";
import type { TaskContext } from "../domain/function.ts";

/** Waits `ms` milliseconds, or less when `signal` fires. Resolves to the time actually waited. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<number> {
  const started = Date.now();
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(0);
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve(Date.now() - started);
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** `params.ms` as a non-negative number of milliseconds, or `fallback` when absent. */
export function msParam(ctx: TaskContext, fallback: number): number {
  const ms = ctx.params.ms;
  if (ms === undefined) return fallback;
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new NonRetryableError(`params.ms must be a non-negative number of milliseconds, got ${JSON.stringify(ms)}`);
  }
  return ms;
}

/** `sleep`: waits `params.ms` (default 0), returns early when the attempt's signal fires. */
export async function sleep(ctx: TaskContext): Promise<{ sleptMs: number }> {
  return { sleptMs: await abortableSleep(msParam(ctx, 0), ctx.signal) };
}
