/** `/workers`: polls validated and answered, the lease calls' answers (200, the same again, 409, 404), and the list of workers. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type Setup, setup } from "../../test/helpers/api.ts";

let t: Setup;
beforeEach(async () => {
  t = await setup();
  await t.define({ id: "remote", tasks: [{ id: "resize", functionName: "resize", remote: true, timeoutSeconds: 300 }] });
});
afterEach(() => t.close());

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Starts an execution and takes its attempt with a poll that waits for it. */
async function leased() {
  const polled = t.call("POST", "/workers/poll", { workerId: "w1", functions: ["resize"], max: 1, waitSeconds: 20 });
  const id = await t.execute("remote", { image: "cat.png" });
  const res = await polled;
  expect(res.status).toBe(200);
  return { id, task: res.body.tasks[0] };
}

describe("POST /workers/poll", () => {
  test("a waiting poll gets the attempt the moment it is offered, with ISO times", async () => {
    const { id, task } = await leased();
    expect(task).toEqual({
      leaseId: expect.any(String),
      executionId: id,
      taskId: "resize",
      attempt: 1,
      functionName: "resize",
      input: { image: "cat.png" },
      params: {},
      results: {},
      leaseExpiresAt: expect.stringMatching(ISO),
      deadline: expect.stringMatching(ISO),
    });
  });

  test("nothing to take and no wait: 200 with no tasks", async () => {
    const res = await t.call("POST", "/workers/poll", { workerId: "w1", functions: ["resize"] });
    expect(res).toMatchObject({ status: 200, body: { tasks: [] } });
  });

  test("bad polls are 400s naming the field", async () => {
    const bad: [unknown, string][] = [
      [{ workerId: "w1", functions: ["resize"], waitSeconds: 61 }, "$.waitSeconds"],
      [{ workerId: "w1", functions: ["resize"], max: 0 }, "$.max"],
      [{ workerId: "w1", functions: [] }, "$.functions"],
      [{ functions: ["resize"] }, "$.workerId"],
      [{ workerId: "w1", functions: ["resize"], wait: 1 }, "$.wait"],
    ];
    for (const [body, path] of bad) {
      const res = await t.call("POST", "/workers/poll", body);
      expect(res.status).toBe(400);
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const over = await t.call("POST", "/workers/poll", { workerId: "w1", functions: ["resize"], waitSeconds: 61 });
    expect(over.body.detail).toBe('invalid request body: "$.waitSeconds" must be from 0 to 60');
  });
});

describe("the lease calls", () => {
  test("heartbeat, complete, the same complete again, then 409 for anything else", async () => {
    const { id, task } = await leased();
    const hb = await t.call("POST", `/workers/leases/${task.leaseId}/heartbeat`);
    expect(hb).toMatchObject({ status: 200, body: { leaseExpiresAt: expect.stringMatching(ISO), cancelRequested: false } });
    const done = await t.call("POST", `/workers/leases/${task.leaseId}/complete`, { output: { width: 64 } });
    expect(done).toMatchObject({ status: 200, body: { executionId: id, taskId: "resize", attempt: 1, status: "COMPLETED" } });
    expect((await t.call("POST", `/workers/leases/${task.leaseId}/complete`, { output: { width: 64 } })).body).toEqual(done.body);
    for (const [call, body] of [
      ["complete", { output: { width: 65 } }],
      ["fail", { error: { name: "E", message: "m" } }],
      ["heartbeat", undefined],
    ] as const) {
      const res = await t.call("POST", `/workers/leases/${task.leaseId}/${call}`, body);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ type: "urn:baton:problem:conflict", status: 409 });
    }
    expect((await t.call("GET", `/jobs/${id}/state`)).body).toMatchObject({ status: "COMPLETED", output: { resize: { width: 64 } } });
  });

  test("fail records the error; a cancel is told through the heartbeat and a complete after it is 409", async () => {
    const first = await leased();
    const failed = await t.call("POST", `/workers/leases/${first.task.leaseId}/fail`, {
      error: { name: "BadImage", message: "not a PNG" },
    });
    expect(failed).toMatchObject({ status: 200, body: { status: "FAILED" } });
    const { id, task } = await leased();
    expect((await t.call("POST", `/jobs/${id}/cancel`)).status).toBe(202);
    expect((await t.call("POST", `/workers/leases/${task.leaseId}/heartbeat`)).body).toMatchObject({ cancelRequested: true });
    const late = await t.call("POST", `/workers/leases/${task.leaseId}/complete`, { output: 1 });
    expect(late.status).toBe(409);
    expect(late.body.detail).toContain("was cancelled");
  });

  test("an unknown lease is 404; a fail without an error name is 400", async () => {
    expect((await t.call("POST", "/workers/leases/nope/complete", {})).status).toBe(404);
    const res = await t.call("POST", "/workers/leases/nope/fail", { error: { message: "m" } });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: "$.error.name", message: "is required" }]);
  });
});

describe("GET /workers", () => {
  test("lists the workers seen, their functions and the leases they hold", async () => {
    await leased();
    const res = await t.call("GET", "/workers");
    expect(res.body).toEqual({ workers: [{ workerId: "w1", functions: ["resize"], lastSeenAt: expect.stringMatching(ISO), leases: 1 }] });
  });
});

describe("registration", () => {
  test("an unknown functionName is a 400 unless the task is remote", async () => {
    const res = await t.call("POST", "/job-definitions", { id: "local", tasks: [{ id: "a", functionName: "resize" }] });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: "$.tasks[0].functionName", message: 'names no registered function: "resize"' }]);
  });
});
