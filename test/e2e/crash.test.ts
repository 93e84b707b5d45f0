/**
 * Durability under SIGKILL: every accepted execution completes, no completed task runs
 * again, and recovery never runs more executions at once than the limit.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { type Baton, execute, register, startBaton, tempDir, waitFor } from "./harness.ts";

const LIMIT = 10;

interface Event {
  seq: number;
  type: string;
  taskId?: string;
  attempt?: number;
  resumed?: boolean;
}

async function eventsOf(baton: Baton, id: string): Promise<Event[]> {
  const { status, body } = await baton.json("GET", `/jobs/${id}/events`);
  expect(status).toBe(200);
  return body.events;
}

/** Executions running at once, from the history: the RUNNING set survives a crash and is resumed as a whole. */
function maxConcurrency(all: { id: string; events: Event[] }[]): number {
  const merged = all.flatMap(({ id, events }) => events.map((e) => ({ ...e, id }))).sort((a, b) => a.seq - b.seq);
  const active = new Set<string>();
  let max = 0;
  for (const e of merged) {
    if (e.type === "ExecutionStarted" || e.type === "ExecutionResumed") active.add(e.id);
    if (e.type === "ExecutionRequeued" || e.type === "ExecutionCompleted" || e.type === "ExecutionFailed") active.delete(e.id);
    max = Math.max(max, active.size);
  }
  return max;
}

test("SIGKILL twice under load: nothing accepted is lost, nothing completed re-runs, the limit holds", async () => {
  const db = join(tempDir(), "baton.db");
  const args = ["--max-concurrent-jobs", String(LIMIT)];
  let baton = await startBaton({ db, args });
  await register(baton, {
    id: "crashy",
    tasks: [
      { id: "a", functionName: "sleep", params: { ms: 120 } },
      { id: "b", functionName: "sleep", params: { ms: 120 } },
      { id: "c", functionName: "sleep", params: { ms: 120 } },
    ],
  });
  const accepted: string[] = [];
  for (let i = 0; i < 60; i++) accepted.push(await execute(baton, "crashy", { i }));

  await waitFor("some executions to complete", async () => (await baton.json("GET", "/system/state")).body.executedJobs >= 8);
  // Submissions in flight at the moment of the kill: every one that got a 202 must survive.
  const inFlight = Array.from({ length: 20 }, (_, i) =>
    baton
      .request("POST", "/jobs/crashy/execute", { late: i })
      .then(async (r) => (r.status === 202 ? ((await r.json()) as { executionID: string }).executionID : null))
      .catch(() => null),
  );
  await Bun.sleep(5);
  const before = await Promise.all(accepted.slice(0, 20).map(async (id) => (await baton.json("GET", `/jobs/${id}/state`)).body));
  await baton.kill9();
  for (const id of await Promise.all(inFlight)) if (id) accepted.push(id);

  // Second round: restart, let recovery get going, kill again.
  baton = await startBaton({ db, args });
  const running = (await baton.json("GET", "/system/state")).body;
  expect(running.activeJobs.length).toBeLessThanOrEqual(LIMIT);
  await Bun.sleep(300);
  await baton.kill9();

  baton = await startBaton({ db, args });
  let maxActive = 0;
  await waitFor(
    "every accepted execution to complete",
    async () => {
      const system = (await baton.json("GET", "/system/state")).body;
      maxActive = Math.max(maxActive, system.activeJobs.length);
      return system.activeJobs.length === 0 && system.queuedCount === 0;
    },
    60_000,
  );
  expect(maxActive).toBeLessThanOrEqual(LIMIT);

  const histories: { id: string; events: Event[] }[] = [];
  for (const id of accepted) {
    const s = (await baton.json("GET", `/jobs/${id}/state`)).body;
    expect(s.status).toBe("COMPLETED");
    const events = await eventsOf(baton, id);
    histories.push({ id, events });
    for (const task of ["a", "b", "c"]) {
      const mine = events.filter((e) => e.taskId === task);
      const completed = mine.filter((e) => e.type === "TaskCompleted");
      expect(completed.length).toBe(1);
      // nothing started again once it had completed
      expect(mine.filter((e) => e.type === "TaskStarted" && e.seq > completed[0]!.seq)).toEqual([]);
      // a re-run after a crash keeps the attempt number: no retry budget was spent
      for (const started of mine.filter((e) => e.type === "TaskStarted")) expect(started.attempt).toBe(1);
    }
  }
  // Tasks seen COMPLETED before the first kill kept their output and end time.
  for (const snapshot of before) {
    const now = (await baton.json("GET", `/jobs/${snapshot.id}/state`)).body;
    for (const [i, task] of snapshot.tasks.entries()) {
      if (task.status === "COMPLETED") expect(now.tasks[i]).toEqual(task);
    }
  }
  expect(maxConcurrency(histories)).toBeLessThanOrEqual(LIMIT);
  expect(histories.some(({ events }) => events.some((e) => e.type === "ExecutionResumed"))).toBe(true);
  expect(await baton.stop("SIGTERM")).toBe(0);
}, 120_000);

test("a restart with a lower limit requeues the excess and never exceeds the new limit", async () => {
  const db = join(tempDir(), "baton.db");
  let baton = await startBaton({ db, args: ["--max-concurrent-jobs", "8"] });
  await register(baton, { id: "slowish", tasks: [{ id: "t", functionName: "sleep", params: { ms: 400 } }] });
  const ids: string[] = [];
  for (let i = 0; i < 16; i++) ids.push(await execute(baton, "slowish"));
  await waitFor("8 running", async () => (await baton.json("GET", "/system/state")).body.activeJobs.length === 8);
  await baton.kill9();

  baton = await startBaton({ db, args: ["--max-concurrent-jobs", "3"] });
  let maxActive = 0;
  await waitFor("all done", async () => {
    const system = (await baton.json("GET", "/system/state")).body;
    maxActive = Math.max(maxActive, system.activeJobs.length);
    return system.activeJobs.length === 0 && system.queuedCount === 0;
  });
  expect(maxActive).toBeLessThanOrEqual(3);
  const histories = await Promise.all(ids.map(async (id) => ({ id, events: await eventsOf(baton, id) })));
  for (const id of ids) expect((await baton.json("GET", `/jobs/${id}/state`)).body.status).toBe("COMPLETED");
  expect(histories.filter(({ events }) => events.some((e) => e.type === "ExecutionRequeued")).length).toBe(5);
  expect(await baton.stop()).toBe(0);
}, 60_000);
