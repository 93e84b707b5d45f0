/**
 * SIGKILL while executions are submitted over HTTP at full rate, through the group-commit
 * write path: every execution whose POST got a 2xx exists after restart and completes, and
 * no task shows two completions.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { register, startBaton, tempDir, waitFor } from "./harness.ts";
import { eventsOf, listAllExecutions, waitForIdle } from "./stored-state.ts";
import { startSubmitters } from "./submitters.ts";

const CONNECTIONS = 32;

test("SIGKILL at full submission rate: every acknowledged execution survives and completes once", async () => {
  const db = join(tempDir(), "baton.db");
  const args = ["--max-concurrent-jobs", "100"];
  let baton = await startBaton({ db, args, jobs: null });
  await register(baton, {
    id: "pair",
    tasks: [
      { id: "a", functionName: "echo" },
      { id: "b", functionName: "noop" },
    ],
  });
  const load = startSubmitters(baton, { clients: CONNECTIONS, next: (c, i) => ({ definitionId: "pair", input: { c, i } }) });
  await waitFor("a few thousand acknowledged submissions", async () => load.accepted.length >= 4_000, 60_000);
  await baton.kill9();
  await load.stop();
  const accepted = load.accepted.map((s) => s.id);
  expect(new Set(accepted).size).toBe(accepted.length);

  baton = await startBaton({ db, args, jobs: null });
  try {
    await waitForIdle(baton, 120_000);
    // Every acknowledged execution exists and completed.
    for (let i = 0; i < accepted.length; i += 64) {
      const states = await Promise.all(
        accepted.slice(i, i + 64).map(async (id) => ({ id, ...(await baton.json("GET", `/jobs/${id}/state`)) })),
      );
      for (const s of states)
        expect({ id: s.id, status: s.status, state: s.body.status }).toEqual({ id: s.id, status: 200, state: "COMPLETED" });
    }
    // No task completed twice, in any execution, acknowledged or not (walk the whole list).
    const all = await listAllExecutions(baton);
    for (let i = 0; i < all.length; i += 64) {
      const histories = await Promise.all(all.slice(i, i + 64).map((e) => eventsOf(baton, e.id)));
      for (const events of histories) {
        const completions = events.filter((e) => e.type === "TaskCompleted").map((e) => e.taskId);
        expect(completions.sort()).toEqual(["a", "b"]);
        expect(events.filter((e) => e.type === "ExecutionCompleted")).toHaveLength(1);
      }
    }
    expect(all.length).toBeGreaterThanOrEqual(accepted.length);
  } finally {
    await baton.stop();
  }
}, 240_000);
