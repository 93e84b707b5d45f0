/**
 * What store tests share: a fixed time, a three-task definition, new executions of it, and
 * reads through the ports only (so the conformance suite can use them on any store).
 */

import { canonicalJson } from "../../src/domain/json.ts";
import type { ExecutionWithTasks, TaskRun } from "../../src/domain/model.ts";
import type { DefinitionStore, ExecutionReads, ExecutionWrites, NewExecution, RecoveryPlan, Store } from "../../src/domain/store.ts";
import { type Database, openDatabase } from "../../src/store/sqlite/driver.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";

export const T0 = 1_700_000_000_000;

export const BODY = {
  id: "job",
  tasks: [
    { id: "a", functionName: "noop" },
    { id: "b", functionName: "noop" },
    { id: "c", functionName: "noop" },
  ],
};

export const err = { name: "Boom", message: "it broke" };

/** Registers `id` (the three-task body under that id) at T0. */
export const registered = (store: DefinitionStore, id = "job", body: Record<string, unknown> = { ...BODY, id }) =>
  store.registerDefinition(id, body, canonicalJson(body), T0);

/** An execution of `job` v1 with tasks a, b, c (named A, B, C) and input `{ n: id }`. */
export const newExecution = (id: string, overrides: Partial<NewExecution> = {}): NewExecution => ({
  id,
  definitionId: "job",
  definitionVersion: 1,
  input: { n: id },
  tasks: [
    { taskId: "a", name: "A" },
    { taskId: "b", name: "B" },
    { taskId: "c", name: "C" },
  ],
  ...overrides,
});

/** Enqueues executions `${prefix}1`..`${prefix}n` of `definitionId` v1, the i-th at T0 + i. */
export async function enqueued(store: ExecutionWrites, n: number, prefix = "e", definitionId = "job"): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    const id = `${prefix}${i}`;
    await store.enqueue(newExecution(id, { definitionId }), T0 + i);
    ids.push(id);
  }
  return ids;
}

/** The history as `Type` or `Type:taskId`. */
export const eventTypes = async (store: ExecutionReads, id: string) =>
  (await store.events(id))!.map((e) => (e.taskId ? `${e.type}:${e.taskId}` : e.type));

export const loaded = async (store: ExecutionReads, id: string): Promise<ExecutionWithTasks> => {
  const found = await store.loadExecution(id);
  if (!found) throw new Error(`no execution ${id}`);
  return found;
};

export const taskOf = async (store: ExecutionReads, id: string, taskId: string) => {
  const task = (await loaded(store, id)).tasks.find((t) => t.taskId === taskId);
  if (!task) throw new Error(`execution ${id} has no task ${taskId}`);
  return task;
};

/** Every execution, oldest first, read page by page. */
export async function allExecutions(store: ExecutionReads) {
  const all: Awaited<ReturnType<ExecutionReads["listExecutions"]>>["executions"] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listExecutions({ limit: 50, ...(cursor ? { cursor } : {}) });
    all.push(...page.executions);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return all.reverse();
}

/**
 * Everything the ports can tell about a store: definitions, every execution with its tasks,
 * outputs and history, reruns and counts. What "changes nothing" compares, on any store.
 */
export async function everything(store: Store) {
  const definitions = await store.listDefinitions();
  const versions = await Promise.all(definitions.map((d) => store.definitionVersions(d.id)));
  const executions = [];
  for (const e of await allExecutions(store)) {
    executions.push({ ...(await loaded(store, e.id)), events: await store.events(e.id), reruns: await store.rerunsOf(e.id) });
  }
  return { definitions, versions, executions, counts: await store.systemCounts(1000) };
}

/** An in-memory SQLite store with the raw connection under it, the definition `job` registered: for SQLite-only tests. */
export async function sqliteWithJob(): Promise<{ db: Database; store: SqliteStore }> {
  const db = openDatabase({ path: ":memory:" });
  const store = new SqliteStore(db);
  await registered(store);
  return { db, store };
}

/** A task run as a read returns it, written out by hand: PENDING with nothing done, unless `over` says otherwise. */
export const taskRun = (over: Pick<TaskRun, "taskId" | "name"> & Partial<TaskRun>): TaskRun => ({
  status: "PENDING",
  attempts: 0,
  startedAt: null,
  endTime: null,
  nextAttemptAt: null,
  output: null,
  error: null,
  attemptBase: 0,
  carriedOver: false,
  ...over,
});

/** A recovery plan with each execution reduced to its id (and `runAt` for delayed ones), for short expectations. */
export async function planIds(plan: Promise<RecoveryPlan>) {
  const { running, queued, delayed, handlersPending } = await plan;
  return {
    running: running.map((r) => r.id),
    queued: queued.map((r) => r.id),
    delayed: delayed.map(({ id, runAt }) => ({ id, runAt })),
    handlersPending,
  };
}
