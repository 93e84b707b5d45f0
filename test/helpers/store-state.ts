/**
 * Builds store states by hand, as a crashed process would have left them: executions enqueued,
 * admitted and part-way through their tasks, written through the `Store` operations.
 */
import type { ErrorInfo } from "../../src/domain/errors.ts";
import type { Store } from "../../src/domain/store.ts";
import type { Engine } from "../../src/engine/engine.ts";
import { completeTask, retryTask, startAttempt } from "./store-steps.ts";

/** Enqueues an execution of the latest version of `definitionId` with all tasks PENDING. */
export async function enqueueByHand(
  { engine, store }: { engine: Engine; store: Store },
  definitionId: string,
  id: string,
  now: number,
  input: Record<string, unknown> = {},
): Promise<string> {
  const found = await engine.catalog.get(definitionId);
  if (!found) throw new Error(`no definition ${definitionId}`);
  await store.enqueue(
    {
      id,
      definitionId,
      definitionVersion: found.stored.version,
      input,
      tasks: found.def.tasks.map((t) => ({ taskId: t.id, name: t.name })),
    },
    now,
  );
  return id;
}

/** Enqueued and admitted: RUNNING with every task PENDING (a crash right after admission). */
export async function runningByHand(
  w: { engine: Engine; store: Store },
  definitionId: string,
  id: string,
  now: number,
  input: Record<string, unknown> = {},
): Promise<string> {
  await enqueueByHand(w, definitionId, id, now, input);
  if (!(await w.store.admit(id, now))) throw new Error(`could not admit ${id}`);
  return id;
}

/** Task steps as a dead process would have written them. */
export const byHand = (store: Store, executionId: string, now: number) => ({
  start: (taskId: string, attempt: number) => startAttempt(store, executionId, taskId, attempt, now, false),
  complete: async (taskId: string, attempt: number, output: unknown) => {
    await startAttempt(store, executionId, taskId, attempt, now, false);
    await completeTask(store, executionId, taskId, attempt, output, now);
  },
  retrying: async (
    taskId: string,
    attempt: number,
    nextAttemptAt: number,
    error: ErrorInfo = { name: "TaskFailed", message: "by hand" },
  ) => {
    await startAttempt(store, executionId, taskId, attempt, now, false);
    await retryTask(store, executionId, taskId, attempt, error, nextAttemptAt, now);
  },
});
