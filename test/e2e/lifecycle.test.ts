/** The life of executions over HTTP against the compiled binary. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type Baton, execute, JOBS, register, startBaton, waitForStatus } from "./harness.ts";

let baton: Baton;
beforeAll(async () => {
  baton = await startBaton();
});
afterAll(async () => {
  expect(await baton.stop("SIGTERM")).toBe(0);
});

describe("the original example definition", () => {
  test("is loaded from jobs/ at start", async () => {
    const { status, body } = await baton.json("GET", "/job-definitions/example-job");
    expect(status).toBe(200);
    expect(body.tasks.map((t: { id: string }) => t.id)).toEqual(["task1", "task2", "task3"]);
  });

  test("runs its three tasks in order to COMPLETED (with params.ms short)", async () => {
    const original = JSON.parse(readFileSync(join(JOBS, "example-job.json"), "utf8"));
    const fast = { ...original, id: "example-job-fast", tasks: original.tasks.map((t: object) => ({ ...t, params: { ms: 30 } })) };
    await register(baton, fast);
    const id = await execute(baton, "example-job-fast", { param1: "value1" });
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
    expect(done).toMatchObject({
      id,
      definitionId: "example-job-fast",
      definitionVersion: 1,
      status: "COMPLETED",
      error: null,
      input: { param1: "value1" },
    });
    expect(done.tasks.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([
      ["task1", "COMPLETED"],
      ["task2", "COMPLETED"],
      ["task3", "COMPLETED"],
    ]);
    for (const key of ["startTime", "createdAt", "startedAt", "endTime"]) expect(Number.isNaN(Date.parse(done[key]))).toBe(false);
    expect(done.startTime).toBe(done.createdAt);
    // a sequence: each task starts after the previous one ended
    expect(Date.parse(done.tasks[1].startedAt)).toBeGreaterThanOrEqual(Date.parse(done.tasks[0].endTime));
    expect(Date.parse(done.tasks[2].startedAt)).toBeGreaterThanOrEqual(Date.parse(done.tasks[1].endTime));
    expect(done.output).toEqual({ task3: done.tasks[2].output });

    const events = (await baton.json("GET", `/jobs/${id}/events`)).body.events as { seq: number; type: string; taskId?: string }[];
    expect(events.map((e) => `${e.type}${e.taskId ? `:${e.taskId}` : ""}`)).toEqual([
      "ExecutionQueued",
      "ExecutionStarted",
      "TaskStarted:task1",
      "TaskCompleted:task1",
      "TaskStarted:task2",
      "TaskCompleted:task2",
      "TaskStarted:task3",
      "TaskCompleted:task3",
      "ExecutionCompleted",
    ]);
    const seqs = events.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);

    const system = (await baton.json("GET", "/system/state")).body;
    expect(system.executedJobs).toBeGreaterThanOrEqual(1);
    expect(system.maxConcurrentJobs).toBe(10);
  });
});

test("retries are visible in the state document and the events", async () => {
  const id = await execute(baton, "flaky-example");
  const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
  expect(done.status).toBe("COMPLETED");
  const flaky = done.tasks.find((t: { id: string }) => t.id === "flaky");
  expect(flaky).toMatchObject({ status: "COMPLETED", attempts: 3, error: null, nextAttemptAt: null, output: { attempt: 3 } });
  const events = (await baton.json("GET", `/jobs/${id}/events`)).body.events as any[];
  const retrying = events.filter((e) => e.type === "TaskRetrying");
  expect(retrying.map((e) => e.attempt)).toEqual([1, 2]);
  for (const e of retrying) {
    expect(e.taskId).toBe("flaky");
    expect(e.error.name).toBe("FlakyUpstream");
    // FULL jitter: the wait lies in [0, interval × rate^(attempt−1)]
    const wait = Date.parse(e.nextAttemptAt) - Date.parse(e.timestamp);
    expect(wait).toBeGreaterThanOrEqual(0);
    expect(wait).toBeLessThanOrEqual(500 * 2 ** (e.attempt - 1) + 1);
  }
});

test("a retry in progress shows RETRYING with nextAttemptAt", async () => {
  await register(baton, {
    id: "slow-retry",
    tasks: [{ id: "t", functionName: "fail", params: { times: 1 }, retry: { maxAttempts: 2, intervalSeconds: 2, jitterStrategy: "NONE" } }],
  });
  const id = await execute(baton, "slow-retry");
  const waiting = await waitForStatus(baton, id, ["RUNNING"]).then(async () => {
    for (;;) {
      const s = (await baton.json("GET", `/jobs/${id}/state`)).body;
      if (s.tasks[0].status === "RETRYING") return s;
      await Bun.sleep(20);
    }
  });
  expect(waiting.tasks[0]).toMatchObject({ status: "RETRYING", attempts: 1, error: { name: "TaskFailed" } });
  expect(Date.parse(waiting.tasks[0].nextAttemptAt)).toBeGreaterThan(Date.now());
  const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
  expect(done.tasks[0]).toMatchObject({ status: "COMPLETED", attempts: 2 });
});

test("a DAG's parallel branches overlap in time and the join sees both outputs", async () => {
  const id = await execute(baton, "dag-example", { orders: 3 });
  const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
  expect(done.status).toBe("COMPLETED");
  const byId = Object.fromEntries(done.tasks.map((t: { id: string }) => [t.id, t]));
  const a = byId["transform-a"];
  const b = byId["transform-b"];
  expect(Date.parse(a.startedAt)).toBeLessThan(Date.parse(b.endTime));
  expect(Date.parse(b.startedAt)).toBeLessThan(Date.parse(a.endTime));
  expect(Object.keys(byId.publish.output.results).sort()).toEqual(["transform-a", "transform-b"]);
  expect(done.output).toEqual({ publish: byId.publish.output });
});

test("a task that fails for good skips its dependents and fails the execution", async () => {
  await register(baton, {
    id: "doomed",
    tasks: [
      { id: "ok", functionName: "noop" },
      {
        id: "boom",
        functionName: "fail",
        params: { errorName: "Kaput", message: "upstream said no" },
        maxRetry: 1,
        retry: { intervalSeconds: 0.05 },
      },
      { id: "after", functionName: "noop" },
      { id: "side", functionName: "noop", dependsOn: ["ok"] },
    ],
  });
  const id = await execute(baton, "doomed");
  const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
  expect(done.status).toBe("FAILED");
  expect(done.error).toEqual({ taskId: "boom", name: "Kaput", message: "upstream said no" });
  expect(done.tasks.map((t: { id: string; status: string; attempts: number }) => [t.id, t.status, t.attempts])).toEqual([
    ["ok", "COMPLETED", 1],
    ["boom", "FAILED", 2],
    ["after", "SKIPPED", 0],
    ["side", "COMPLETED", 1],
  ]);
});

test("a timed-out attempt fails with States.Timeout", async () => {
  await register(baton, { id: "too-slow", tasks: [{ id: "t", functionName: "sleep", params: { ms: 5000 }, timeoutSeconds: 0.2 }] });
  const id = await execute(baton, "too-slow");
  const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"], 5_000);
  expect(done.status).toBe("FAILED");
  expect(done.tasks[0].error.name).toBe("States.Timeout");
});

test("GET /jobs lists newest first with filters and cursor paging", async () => {
  await register(baton, { id: "lister", tasks: [{ id: "t", functionName: "noop" }] });
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) ids.push(await execute(baton, "lister"));
  for (const id of ids) await waitForStatus(baton, id, ["COMPLETED"]);
  const seen: string[] = [];
  let cursor: string | null = null;
  do {
    const page: { body: { jobs: { id: string; status: string; definitionId: string }[]; nextCursor: string | null } } = await baton.json(
      "GET",
      `/jobs?definitionId=lister&status=COMPLETED&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(page.body.jobs.length).toBeLessThanOrEqual(2);
    for (const j of page.body.jobs) expect(j).toMatchObject({ definitionId: "lister", status: "COMPLETED" });
    seen.push(...page.body.jobs.map((j) => j.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  expect(seen).toEqual([...ids].reverse());
});
