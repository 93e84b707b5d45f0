import type { TaskContext } from "../domain/function.ts";

/** `echo`: returns what it was given, to show data flow. */
export const echo = (ctx: TaskContext) => ({ input: ctx.input, params: ctx.params, results: ctx.results });
