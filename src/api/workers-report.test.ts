/**
 * Outcomes in batches: `POST /workers/leases/report` and a poll's `results`. Each item answers
 * what its own complete or fail would (status, repeat, 404, 409 after expiry or cancel, the
 * retry policy); one bad item never fails the others; a malformed item is a 400 naming it.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type Setup, setup } from "../../test/helpers/api.ts";

let t: Setup;
beforeEach(async () => {
  t = await setup();
  await t.define({
    id: "remote",
    tasks: [
      {
        id: "resize",
        functionName: "resize",
        remote: true,
        retry: { maxAttempts: 2, intervalSeconds: 0, errorEquals: ["ImageBusy"] },
      },
    ],
  });
});
afterEach(() => t.close());

interface Task {
  leaseId: string;
  executionId: string;
}

/** Starts `n` executions and takes their attempts, polling until it holds all of them. */
async function leased(n: number): Promise<Task[]> {
  for (let i = 0; i < n; i++) await t.execute("remote", { n: i });
  const tasks: Task[] = [];
  while (tasks.length < n) {
    const res = await t.call("POST", "/workers/poll", { workerId: "w1", functions: ["resize"], max: n, waitSeconds: 5 });
    expect(res.status).toBe(200);
    tasks.push(...res.body.tasks);
  }
  return tasks;
}

const answer = (task: Task, status: string, attempt = 1) => ({
  leaseId: task.leaseId,
  executionId: task.executionId,
  taskId: "resize",
  attempt,
  status,
});
const problem = (leaseId: string, status: number, detail: unknown) => ({
  leaseId,
  problem: { type: expect.stringMatching(/^urn:baton:problem:/), title: expect.any(String), status, detail },
});

describe("POST /workers/leases/report", () => {
  test("each item answers in order as its single call would; a bad one fails nothing else; a repeat answers the same", async () => {
    const [a, b, c, d] = await leased(4);
    expect((await t.call("POST", `/jobs/${d!.executionId}/cancel`)).status).toBe(202);
    const results = [
      { leaseId: a!.leaseId, output: { width: 64 } },
      { leaseId: "nope" },
      { leaseId: b!.leaseId, error: { name: "ImageBusy", message: "locked" } },
      { leaseId: c!.leaseId, error: { name: "BadImage" } },
      { leaseId: d!.leaseId, output: 1 },
    ];
    const res = await t.call("POST", "/workers/leases/report", { results });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      results: [
        answer(a!, "COMPLETED"),
        problem("nope", 404, "there is no lease nope"),
        answer(b!, "RETRYING"),
        answer(c!, "FAILED"),
        problem(d!.leaseId, 409, `the execution of lease ${d!.leaseId} was cancelled; nothing was recorded`),
      ],
    });
    // The same items again (and again one by one) answer the same; another outcome for an ended lease is a 409.
    const again = await t.call("POST", "/workers/leases/report", { results: results.slice(0, 4) });
    expect(again.body.results).toEqual(res.body.results.slice(0, 4));
    const single = await t.call("POST", `/workers/leases/${a!.leaseId}/complete`, { output: { width: 64 } });
    expect(single.body).toEqual({ executionId: a!.executionId, taskId: "resize", attempt: 1, status: "COMPLETED" });
    const other = await t.call("POST", "/workers/leases/report", { results: [{ leaseId: a!.leaseId, output: { width: 65 } }] });
    expect(other.body.results).toEqual([problem(a!.leaseId, 409, expect.stringContaining("it ended (completed)"))]);
    expect((await t.call("GET", `/jobs/${a!.executionId}/state`)).body).toMatchObject({
      status: "COMPLETED",
      output: { resize: { width: 64 } },
    });
    expect((await t.call("GET", `/jobs/${c!.executionId}/state`)).body.status).toBe("FAILED");
  });

  test("a lease that expired among good ones: its item is a 409 and nothing of it is recorded", async () => {
    const [stale] = await leased(1);
    expect(await t.engine.expireLeases(Date.now() + 60_000)).toBe(1);
    // The expiry failed the attempt with States.HeartbeatTimeout, not retried (only ImageBusy is).
    const fresh = (await leased(1))[0]!;
    const res = await t.call("POST", "/workers/leases/report", {
      results: [
        { leaseId: fresh.leaseId, output: "ok" },
        { leaseId: stale!.leaseId, output: "late" },
      ],
    });
    expect(res.body.results).toEqual([
      answer(fresh, "COMPLETED"),
      problem(stale!.leaseId, 409, expect.stringContaining("it ended (expired); nothing was recorded")),
    ]);
    const state = (await t.call("GET", `/jobs/${stale!.executionId}/state`)).body;
    expect(state.tasks[0]).toMatchObject({ status: "FAILED", error: { name: "States.HeartbeatTimeout" } });
  });

  test("a malformed item is a 400 for the whole request naming it, and nothing is recorded", async () => {
    const [a] = await leased(1);
    const ok = { leaseId: a!.leaseId, output: 1 };
    const bad: [unknown, string, string][] = [
      [{ results: [ok, ok, ok, { leaseId: 7 }] }, "$.results[3].leaseId", "must be a lease id (a string)"],
      [{ results: [{ leaseId: "x", output: 1, error: { name: "E" } }] }, "$.results[0]", "must carry output or error, not both"],
      [{ results: [{ leaseId: "x", outcome: 1 }] }, "$.results[0].outcome", "is not a field here (leaseId, output, error)"],
      [{ results: [{ leaseId: "x", error: { message: "m" } }] }, "$.results[0].error.name", "is required"],
      [{ results: Array(257).fill(ok) }, "$.results", "must hold at most 256 outcomes; send the rest in another request"],
      [{}, "$.results", "is required"],
    ];
    for (const [body, path, message] of bad) {
      const res = await t.call("POST", "/workers/leases/report", body);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([{ path, message }]);
    }
    expect((await t.call("GET", `/jobs/${a!.executionId}/state`)).body.status).toBe("RUNNING");
  });
});

describe("POST /workers/poll with results", () => {
  test("records the outcomes and takes the next attempts in one request; without results the answer has none", async () => {
    const [a] = await leased(1);
    const next = await t.execute("remote", { n: 9 });
    const res = await t.call("POST", "/workers/poll", {
      workerId: "w1",
      functions: ["resize"],
      max: 4,
      waitSeconds: 5,
      results: [{ leaseId: a!.leaseId, output: { done: true } }],
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([answer(a!, "COMPLETED")]);
    expect(res.body.tasks).toMatchObject([{ executionId: next, attempt: 1 }]);
    expect((await t.call("GET", `/jobs/${a!.executionId}/state`)).body.output).toEqual({ resize: { done: true } });
    const plain = await t.call("POST", "/workers/poll", { workerId: "w1", functions: ["resize"] });
    expect(plain.body).toEqual({ tasks: [] });
  });

  test("a malformed outcome makes the whole poll a 400: nothing recorded, nothing taken", async () => {
    const [a] = await leased(1);
    await t.execute("remote");
    const res = await t.call("POST", "/workers/poll", {
      workerId: "w1",
      functions: ["resize"],
      results: [{ leaseId: a!.leaseId, output: 1 }, { output: 2 }],
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe('invalid request body: "$.results[1].leaseId" is required');
    expect((await t.call("GET", `/jobs/${a!.executionId}/state`)).body.status).toBe("RUNNING");
    expect((await t.call("GET", "/workers")).body.workers[0].leases).toBe(1);
  });
});
