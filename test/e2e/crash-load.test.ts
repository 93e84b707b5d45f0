/**
 * SIGKILL while executions are submitted over HTTP at full rate, through the group-commit
 * write path: every execution whose POST got a 2xx exists after restart and completes, and
 * no task shows two completions.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { type Baton, register, startBaton, tempDir, waitFor } from "./harness.ts";

const CONNECTIONS = 32;

/** Keeps `CONNECTIONS` POST loops busy until `stop()`; collects the ids of 2xx answers. */
function loadGenerator(baton: Baton, definitionId: string) {
  const accepted: string[] = [];
  let running = true;
  const loops = Array.from({ length: CONNECTIONS }, async (_, c) => {
    for (let i = 0; running; i++) {
      try {
        const res = await baton.request("POST", `/jobs/${definitionId}/execute`, { c, i });
        if (res.status >= 200 && res.status < 300) accepted.push(((await res.json()) as { executionID: string }).executionID);
        else await res.arrayBuffer();
      } catch {
        return; // the server is gone: this connection's in-flight request got no answer
      }
    }
  });
  return {
    accepted,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

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
  const load = loadGenerator(baton, "pair");
  await waitFor("a few thousand acknowledged submissions", async () => load.accepted.length >= 4_000, 60_000);
  await baton.kill9();
  await load.stop();
  const accepted = [...load.accepted];
  expect(new Set(accepted).size).toBe(accepted.length);

  baton = await startBaton({ db, args, jobs: null });
  try {
    await waitFor(
      "every execution to finish after the restart",
      async () => {
        const s = (await baton.json("GET", "/system/state")).body;
        return s.queuedCount === 0 && s.activeJobs.length === 0;
      },
      120_000,
    );
    // Every acknowledged execution exists and completed.
    for (let i = 0; i < accepted.length; i += 64) {
      const states = await Promise.all(accepted.slice(i, i + 64).map(async (id) => ({ id, ...(await baton.json("GET", `/jobs/${id}/state`)) })));
      for (const s of states) expect({ id: s.id, status: s.status, state: s.body.status }).toEqual({ id: s.id, status: 200, state: "COMPLETED" });
    }
    // No task completed twice, in any execution, acknowledged or not (walk the whole list).
    let cursor: string | null = null;
    let checked = 0;
    do {
      const page: { body: { jobs: { id: string }[]; nextCursor: string | null } } = await baton.json("GET", `/jobs?limit=200${cursor ? `&cursor=${cursor}` : ""}`);
      const histories = await Promise.all(page.body.jobs.map(async (e) => (await baton.json("GET", `/jobs/${e.id}/events`)).body.events as { type: string; taskId?: string }[]));
      for (const events of histories) {
        const completions = events.filter((e) => e.type === "TaskCompleted").map((e) => e.taskId);
        expect(completions.sort()).toEqual(["a", "b"]);
        expect(events.filter((e) => e.type === "ExecutionCompleted")).toHaveLength(1);
      }
      checked += histories.length;
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(checked).toBeGreaterThanOrEqual(accepted.length);
  } finally {
    await baton.stop();
  }
}, 240_000);
