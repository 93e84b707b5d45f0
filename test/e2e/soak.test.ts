/**
 * SIGKILL soak: rounds of start, submit from several clients (sleeps, retries, a DAG fan-out, a
 * definition that fails for good), kill -9 at a random moment, on one database with a limit of
 * 3. Then everything finishes, and the verdict comes from the stored data, through the API only:
 * every acknowledged execution ended as its definition says, no task completed twice or spent
 * retry budget on a crash, and at no instant did more than 3 executions hold a slot.
 *
 * crash.test.ts and crash-load.test.ts kill once or twice, with one sequence definition and a
 * large limit; this one kills many times, mid-retry and mid-fan-out, with a limit small enough to
 * be full all the time. BATON_LONG=1 runs 20 rounds instead of 4; BATON_SOAK_SEED=n repeats a
 * schedule (kill times and choices; the machine's timing still varies).
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { seededRng } from "../helpers/setup.ts";
import { gen } from "./fuzz/values.ts";
import { register, startBaton, tempDir } from "./harness.ts";
import { type ExecutionEvent, maxOverlap, type StoredSnapshot, slotIntervals, snapshotStoredState, waitForIdle } from "./stored-state.ts";
import { type Submission, startSubmitters } from "./submitters.ts";

const LONG = process.env.BATON_LONG === "1";
const ROUNDS = LONG ? 20 : 4;
const LIMIT = 3;
const CLIENTS = 4;
/** Submissions per client per round: bounds the backlog the last start has to drain. */
const PER_ROUND = 12;
const SEED = process.env.BATON_SOAK_SEED ? Number(process.env.BATON_SOAK_SEED) : LONG ? Math.floor(Math.random() * 2 ** 31) : 7;
if (!Number.isSafeInteger(SEED))
  throw new Error(`BATON_SOAK_SEED must be a whole number, got ${JSON.stringify(process.env.BATON_SOAK_SEED)}`);

const fastRetry = (maxAttempts: number) => ({ maxAttempts, intervalSeconds: 0.04, backoffRate: 1, jitterStrategy: "NONE" });

const DEFINITIONS = [
  {
    id: "soak-seq",
    tasks: [
      { id: "a", functionName: "sleep", params: { ms: 30 } },
      { id: "b", functionName: "echo" },
      { id: "c", functionName: "sleep", params: { ms: 30 } },
    ],
  },
  {
    id: "soak-retry",
    tasks: [
      { id: "flaky", functionName: "fail", params: { times: 2 }, retry: fastRetry(4) },
      { id: "after", functionName: "sleep", params: { ms: 20 } },
    ],
  },
  {
    id: "soak-dag",
    tasks: [
      { id: "root", functionName: "sleep", params: { ms: 20 } },
      { id: "x1", functionName: "sleep", params: { ms: 40 }, dependsOn: ["root"] },
      { id: "x2", functionName: "fail", params: { times: 1 }, retry: fastRetry(3), dependsOn: ["root"] },
      { id: "x3", functionName: "sleep", params: { ms: 25 }, dependsOn: ["root"] },
      { id: "x4", functionName: "echo", dependsOn: ["root"] },
      { id: "join", functionName: "noop", dependsOn: ["x1", "x2", "x3", "x4"] },
    ],
  },
  {
    id: "soak-doomed",
    tasks: [
      { id: "a", functionName: "sleep", params: { ms: 15 } },
      { id: "b", functionName: "fail", retry: fastRetry(2) },
      { id: "c", functionName: "noop" },
    ],
  },
];

/** How each definition ends, whatever crashes it went through: the status and the attempts of each task. */
const EXPECTED: Record<string, { status: string; tasks: Record<string, [status: string, attempts: number]> }> = {
  "soak-seq": { status: "COMPLETED", tasks: { a: ["COMPLETED", 1], b: ["COMPLETED", 1], c: ["COMPLETED", 1] } },
  "soak-retry": { status: "COMPLETED", tasks: { flaky: ["COMPLETED", 3], after: ["COMPLETED", 1] } },
  "soak-dag": {
    status: "COMPLETED",
    tasks: {
      root: ["COMPLETED", 1],
      x1: ["COMPLETED", 1],
      x2: ["COMPLETED", 2],
      x3: ["COMPLETED", 1],
      x4: ["COMPLETED", 1],
      join: ["COMPLETED", 1],
    },
  },
  "soak-doomed": { status: "FAILED", tasks: { a: ["COMPLETED", 1], b: ["FAILED", 2], c: ["SKIPPED", 0] } },
};

const count = (events: readonly ExecutionEvent[], type: string) => events.filter((e) => e.type === type).length;

/** What is wrong with one execution's stored end and history; empty when nothing is. */
function judgeExecution({ state, events }: StoredSnapshot["executions"][number]): string[] {
  const wrong: string[] = [];
  const expected = EXPECTED[state.definitionId];
  if (!expected) return [`unexpected definition ${state.definitionId}`];
  if (state.status !== expected.status) wrong.push(`status ${state.status}, expected ${expected.status}`);
  const terminal = { COMPLETED: "ExecutionCompleted", FAILED: "ExecutionFailed" }[expected.status]!;
  for (const [type, n] of [
    ["ExecutionQueued", 1],
    ["ExecutionStarted", 1],
    [terminal, 1],
    ["ExecutionRequeued", 0],
    ["ExecutionCancelled", 0],
  ] as const) {
    if (count(events, type) !== n) wrong.push(`${count(events, type)} ${type} events, expected ${n}`);
  }
  // The stored times and the history agree.
  const started = events.find((e) => e.type === "ExecutionStarted");
  const ended = events.find((e) => e.type === terminal);
  if (started?.timestamp !== state.startedAt)
    wrong.push(`startedAt ${state.startedAt} is not the ExecutionStarted time ${started?.timestamp}`);
  if (ended?.timestamp !== state.endTime) wrong.push(`endTime ${state.endTime} is not the ${terminal} time ${ended?.timestamp}`);
  const tasks = state.tasks as { id: string; status: string; attempts: number }[];
  if (tasks.map((t) => t.id).join() !== Object.keys(expected.tasks).join()) wrong.push(`tasks ${tasks.map((t) => t.id).join()}`);
  for (const task of tasks) {
    const [status, attempts] = expected.tasks[task.id] ?? ["?", -1];
    const where = `task ${task.id}`;
    if (task.status !== status || task.attempts !== attempts)
      wrong.push(`${where} ${task.status} after ${task.attempts} attempt(s), expected ${status} after ${attempts}`);
    const mine = events.filter((e) => e.taskId === task.id);
    const completed = mine.filter((e) => e.type === "TaskCompleted");
    if (completed.length !== (status === "COMPLETED" ? 1 : 0)) wrong.push(`${where}: ${completed.length} TaskCompleted events`);
    const failed = mine.filter((e) => e.type === "TaskFailed").length;
    if (failed !== (status === "FAILED" ? 1 : 0)) wrong.push(`${where}: ${failed} TaskFailed events`);
    if (completed[0] && completed[0].attempt !== task.attempts)
      wrong.push(`${where} completed with attempt ${completed[0].attempt} but stores ${task.attempts}`);
    if (completed[0] && mine.some((e) => e.type === "TaskStarted" && e.seq > completed[0]!.seq))
      wrong.push(`${where} started again after it completed`);
    // Each attempt starts once, plus once more per crash that interrupted it (marked resumed), and a retry follows every attempt but the last.
    for (let n = 1; n <= task.attempts; n++) {
      const starts = mine.filter((e) => e.type === "TaskStarted" && e.attempt === n);
      if (starts.filter((e) => e.resumed !== true).length !== 1)
        wrong.push(`${where} attempt ${n}: ${starts.filter((e) => e.resumed !== true).length} first starts`);
      const retries = mine.filter((e) => e.type === "TaskRetrying" && e.attempt === n).length;
      if (retries !== (n < task.attempts ? 1 : 0)) wrong.push(`${where} attempt ${n}: ${retries} TaskRetrying events`);
    }
    if (mine.some((e) => e.type === "TaskStarted" && (e.attempt! < 1 || e.attempt! > task.attempts)))
      wrong.push(`${where}: a start beyond its ${task.attempts} attempt(s)`);
  }
  return wrong.map((w) => `${state.definitionId} ${state.id}: ${w}`);
}

/** What the kills interrupted, from the histories: a resumed execution, a re-run attempt, a retry wait across a restart. */
function whatTheKillsHit(stored: StoredSnapshot) {
  let attempts = 0;
  let fanOut = 0;
  let backoffs = 0;
  for (const { events } of stored.executions) {
    const resumedStarts = events.filter((e) => e.type === "TaskStarted" && e.resumed === true).length;
    attempts += resumedStarts;
    if (resumedStarts > 1) fanOut++;
    // A restart between a TaskRetrying and the start of the next attempt: the wait was persisted and kept.
    const sorted = [...events].sort((a, b) => a.seq - b.seq);
    const waiting = new Set<string>();
    for (const e of sorted) {
      if (e.type === "TaskRetrying") waiting.add(e.taskId!);
      else if (e.type === "TaskStarted") waiting.delete(e.taskId!);
      else if (e.type === "ExecutionResumed") {
        backoffs += waiting.size;
        waiting.clear();
      }
    }
  }
  return {
    executions: stored.executions.filter((e) => e.events.some((x) => x.type === "ExecutionResumed")).length,
    attempts,
    fanOut,
    backoffs,
  };
}

test(
  `SIGKILL soak, ${ROUNDS} rounds with --max-concurrent-jobs ${LIMIT} (seed ${SEED}): acknowledged work ends as defined, nothing runs twice, the limit held`,
  async () => {
    const g = gen(seededRng(SEED));
    const db = join(tempDir(), "baton.db");
    const args = ["--max-concurrent-jobs", String(LIMIT)];
    const accepted: Submission[] = [];
    const refused: string[] = [];
    let baton = await startBaton({ db, args, jobs: null });
    for (const def of DEFINITIONS) await register(baton, def);

    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) baton = await startBaton({ db, args, jobs: null });
      const picks = Array.from({ length: CLIENTS }, () => Array.from({ length: PER_ROUND }, () => g.pick(DEFINITIONS).id));
      const pauses = Array.from({ length: CLIENTS }, () => g.int(5, 40));
      const load = startSubmitters(baton, {
        clients: CLIENTS,
        next: (c, i) => (i < PER_ROUND ? { definitionId: picks[c]![i]!, input: { round, c, i } } : null),
        pauseMs: (c) => pauses[c]!,
      });
      await Bun.sleep(g.int(100, 700));
      await baton.kill9();
      await load.stop();
      accepted.push(...load.accepted);
      refused.push(...load.refused);
    }

    baton = await startBaton({ db, args, jobs: null });
    try {
      await waitForIdle(baton, LONG ? 240_000 : 60_000);
      const stored = await snapshotStoredState(baton);
      expect(refused).toEqual([]);
      expect(accepted.length).toBeGreaterThan(ROUNDS * CLIENTS);

      // (a) Every acknowledged execution exists and ended as its definition says; so did every
      // execution whose answer the kill cut off.
      const byId = new Map(stored.executions.map((e) => [e.id, e]));
      expect(accepted.filter((s) => byId.get(s.id)?.state.definitionId !== s.definitionId).map((s) => s.id)).toEqual([]);
      // (b) No task completed twice, attempts and events agree, no retry budget spent on a crash.
      expect(stored.executions.flatMap(judgeExecution)).toEqual([]);

      // (c) The limit held at every instant, judged from the stored startedAt and endTime.
      const overlap = maxOverlap(stored.executions.flatMap((e) => slotIntervals(e.state, e.events)));
      // …and it was reached: the load kept every slot busy, so a breach had every chance to show.
      const peak = { mostAtOnce: overlap.max, at: overlap.at === null ? null : new Date(overlap.at).toISOString(), ids: overlap.ids };
      expect(peak).toEqual({ mostAtOnce: LIMIT, at: expect.any(String), ids: expect.any(Array) });

      // The kills did cut into running work, or (b) and (c) proved little.
      const hit = whatTheKillsHit(stored);
      expect(hit.executions).toBeGreaterThan(0);
      console.log(
        `soak seed ${SEED}: ${ROUNDS} kills, ${accepted.length} acknowledged, ${stored.executions.length} stored; the kills interrupted ` +
          `${hit.executions} executions, ${hit.attempts} running attempts (${hit.fanOut} DAGs with several at once), ${hit.backoffs} retry waits`,
      );
    } finally {
      expect(await baton.stop()).toBe(0);
    }
  },
  LONG ? 600_000 : 60_000,
);
