/** The original project's demo functions: they sleep 10 s, 8 s and 5 s unless `params.ms` says otherwise. */
import type { TaskFunction } from "../domain/function.ts";
import { abortableSleep, msParam } from "./sleep.ts";

const demo =
  (task: string, defaultMs: number): TaskFunction =>
  async (ctx) => {
    const sleptMs = await abortableSleep(msParam(ctx, defaultMs), ctx.signal);
    // Cut short by a timeout, cancel or shutdown: the attempt's outcome is decided by the
    // signal, so say what happened instead of "done".
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.log(`${task} done`, { sleptMs });
    return { task, sleptMs };
  };

export const task1Function = demo("task1", 10_000);
export const task2Function = demo("task2", 8_000);
export const task3Function = demo("task3", 5_000);
