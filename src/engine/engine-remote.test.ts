/**
 * Remote tasks on the engine with the fake clock: polls woken by an offer, complete and fail
 * under a lease (idempotent, refused once the lease is gone), expiry with
 * `States.HeartbeatTimeout` and its retry rules, `timeoutSeconds` independent of heartbeats,
 * a cancel delivered through the heartbeat, and a lease that survives a restart.
 */
import { describe, expect, test } from "bun:test";
import { definitionOf, setupStarted, type TestWorld } from "../../test/helpers/setup.ts";
import { ErrorNames, LeaseLostError, StorageError } from "../domain/errors.ts";

const T0 = 1_700_000_000_000;
const LEASE_MS = 10_000;

const remoteJob = (task: Record<string, unknown> = {}) => definitionOf("j", { functionName: "resize", remote: true, ...task });

async function world(task: Record<string, unknown> = {}): Promise<TestWorld> {
  const w = await setupStarted({ leaseMs: LEASE_MS });
  await w.register(remoteJob(task));
  return w;
}

/** Submits one execution and takes its attempt with a poll that does not wait. */
async function leased(w: TestWorld, input: Record<string, unknown> = {}) {
  const { id } = await w.engine.submit("j", input);
  await w.clock.flush();
  const tasks = await w.engine.poll("w1", ["resize"], 1, 0);
  expect(tasks).toHaveLength(1);
  return { id, task: tasks[0]! };
}

const taskOf = async (w: TestWorld, id: string) => (await w.store.loadExecution(id))!.tasks[0]!;

describe("remote tasks", () => {
  test("a waiting poll is woken by the offer and gets the attempt with its context", async () => {
    const w = await setupStarted({ leaseMs: LEASE_MS });
    await w.register(
      definitionOf(
        "j",
        { functionName: "noop" },
        { functionName: "resize", remote: true, params: { size: "{{input.size}}" }, timeoutSeconds: 60 },
      ),
    );
    const poll = w.engine.poll("w1", ["other", "resize"], 4, 20_000);
    const { id } = await w.engine.submit("j", { size: 64 });
    await w.clock.flush();
    const tasks = await poll;
    expect(tasks).toEqual([
      {
        leaseId: expect.any(String),
        executionId: id,
        taskId: "t2",
        attempt: 1,
        functionName: "resize",
        input: { size: 64 },
        params: { size: 64 },
        results: { t1: null },
        leaseExpiresAt: T0 + LEASE_MS,
        deadline: T0 + 60_000,
      },
    ]);
    expect(await w.engine.workers()).toEqual([{ workerId: "w1", functions: ["other", "resize"], lastSeenAt: T0, leases: 1 }]);
  });

  test("a poll with nothing to take answers [] once its wait is over", async () => {
    const w = await world();
    let answer: unknown = null;
    void w.engine.poll("w1", ["resize"], 1, 20_000).then((t) => (answer = t));
    await w.clock.advance(19_999);
    expect(answer).toBeNull();
    await w.clock.advance(1);
    expect(answer).toEqual([]);
  });

  test("a poll whose worker hung up stops waiting and takes nothing", async () => {
    const w = await world();
    const hangUp = new AbortController();
    const poll = w.engine.poll("gone", ["resize"], 1, 20_000, hangUp.signal);
    await w.clock.flush();
    hangUp.abort();
    expect(await poll).toEqual([]);
    await w.engine.submit("j", {});
    await w.clock.flush();
    expect(await w.engine.poll("w2", ["resize"], 1, 0)).toMatchObject([{ attempt: 1 }]);
    expect((await w.engine.workers()).map((x) => [x.workerId, x.leases])).toEqual([
      ["gone", 0],
      ["w2", 1],
    ]);
  });

  test("a poll leases all it takes in one write; when the database refuses it, the poll fails and the attempts are offered again", async () => {
    const w = await world();
    const ids = [(await w.engine.submit("j", {})).id, (await w.engine.submit("j", {})).id, (await w.engine.submit("j", {})).id];
    await w.clock.flush();
    const grantLeases = w.store.grantLeases.bind(w.store);
    let writes = 0;
    w.store.grantLeases = async (...args) => {
      if (++writes === 1) throw new StorageError("the database refused the write: disk full", null, "disk full");
      return grantLeases(...args);
    };
    await expect(w.engine.poll("w1", ["resize"], 5, 0)).rejects.toThrow(StorageError);
    const tasks = await w.engine.poll("w1", ["resize"], 5, 0);
    expect(writes).toBe(2);
    expect(tasks.map((t) => t.executionId)).toEqual(ids);
    expect(new Set(tasks.map((t) => t.leaseId)).size).toBe(3);
    expect(await w.engine.workers()).toEqual([{ workerId: "w1", functions: ["resize"], lastSeenAt: T0, leases: 3 }]);
  });

  test("complete records the output and settles the execution; a repeat answers the same, another call is 409", async () => {
    const w = await world();
    const { id, task } = await leased(w);
    const answer = await w.engine.completeLease(task.leaseId, { url: "s3://x" });
    expect(answer).toEqual({ executionId: id, taskId: "t1", attempt: 1, status: "COMPLETED" });
    await w.clock.flush();
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "COMPLETED", output: { t1: { url: "s3://x" } } });
    expect(await w.engine.completeLease(task.leaseId, { url: "s3://x" })).toEqual(answer);
    await expect(w.engine.completeLease(task.leaseId, { url: "other" })).rejects.toThrow(LeaseLostError);
    await expect(w.engine.failLease(task.leaseId, { name: "E", message: "m" })).rejects.toThrow("it ended (completed)");
    await expect(w.engine.heartbeat(task.leaseId)).rejects.toThrow("the lease ended (completed)");
  });

  test("fail applies the retry policy to the error's name; the next poll gets attempt 2", async () => {
    const w = await world({ retry: { maxAttempts: 2, intervalSeconds: 1, jitterStrategy: "NONE", errorEquals: ["Flaky"] } });
    const { id, task } = await leased(w);
    expect(await w.engine.failLease(task.leaseId, { name: "Flaky", message: "try later" })).toMatchObject({ status: "RETRYING" });
    await w.clock.advance(1000);
    const [second] = await w.engine.poll("w2", ["resize"], 1, 0);
    expect(second).toMatchObject({ attempt: 2 });
    expect(await w.engine.failLease(second!.leaseId, { name: "Flaky", message: "again" })).toMatchObject({ status: "FAILED" });
    await w.clock.flush();
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "FAILED", error: { taskId: "t1", name: "Flaky" } });
  });

  test("heartbeats keep the lease; without them it expires with States.HeartbeatTimeout and the task retries", async () => {
    const w = await world({ retry: { maxAttempts: 2, intervalSeconds: 1, jitterStrategy: "NONE", errorEquals: ["States.Timeout"] } });
    const { id, task } = await leased(w);
    await w.clock.advance(LEASE_MS - 1);
    expect(await w.engine.heartbeat(task.leaseId)).toEqual({ leaseExpiresAt: T0 + 2 * LEASE_MS - 1, cancelRequested: false });
    await w.clock.advance(LEASE_MS - 1);
    expect((await taskOf(w, id)).status).toBe("RUNNING");
    // Expiry rounds run every second: the one at T0 + 20 s finds it expired.
    await w.clock.advance(2);
    expect(await taskOf(w, id)).toMatchObject({ status: "RETRYING", error: { name: ErrorNames.HeartbeatTimeout } });
    await expect(w.engine.heartbeat(task.leaseId)).rejects.toThrow(LeaseLostError);
    await expect(w.engine.completeLease(task.leaseId, {})).rejects.toThrow("it ended (expired)");
    expect((await taskOf(w, id)).status).toBe("RETRYING");
    await w.clock.advance(1000);
    expect(await w.engine.poll("w2", ["resize"], 1, 0)).toMatchObject([{ attempt: 2 }]);
  });

  test("an expired lease is not retried by States.TaskFailed", async () => {
    const w = await world({ retry: { maxAttempts: 3, errorEquals: ["States.TaskFailed"] } });
    const { id } = await leased(w);
    await w.clock.advance(LEASE_MS);
    await w.clock.flush();
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "FAILED", error: { name: ErrorNames.HeartbeatTimeout } });
  });

  test("a complete after the lease expired, before the expiry round ran, is 409 and the attempt fails", async () => {
    const w = await world();
    const { id, task } = await leased(w);
    await w.clock.advance(500);
    await w.engine.heartbeat(task.leaseId);
    // Expires at T0 + 10.5 s; the expiry rounds run every second from the grant at T0.
    await w.clock.advance(LEASE_MS);
    expect((await taskOf(w, id)).status).toBe("RUNNING");
    await expect(w.engine.completeLease(task.leaseId, { late: true })).rejects.toThrow("expired at");
    await w.clock.flush();
    expect(await taskOf(w, id)).toMatchObject({ status: "FAILED", output: null, error: { name: ErrorNames.HeartbeatTimeout } });
  });

  test("timeoutSeconds ends the attempt even while heartbeats keep the lease", async () => {
    const w = await world({ timeoutSeconds: 15 });
    const { id, task } = await leased(w);
    await w.clock.advance(8000);
    await w.engine.heartbeat(task.leaseId);
    await w.clock.advance(7000);
    await w.clock.flush();
    expect(await taskOf(w, id)).toMatchObject({ status: "FAILED", error: { name: ErrorNames.Timeout } });
    await expect(w.engine.heartbeat(task.leaseId)).rejects.toThrow("the lease ended (timedOut)");
  });

  test("a cancel reaches the worker through its heartbeat; the attempt ends CANCELLED after the grace period", async () => {
    const w = await world();
    const { id, task } = await leased(w);
    expect(await w.engine.cancel(id)).toEqual({ outcome: "requested" });
    expect(await w.engine.heartbeat(task.leaseId)).toMatchObject({ cancelRequested: true });
    await expect(w.engine.completeLease(task.leaseId, {})).rejects.toThrow("was cancelled");
    await w.clock.advance(10_000);
    await w.clock.flush();
    expect(await w.store.loadExecution(id)).toMatchObject({ status: "CANCELLED" });
    expect((await taskOf(w, id)).status).toBe("CANCELLED");
    await expect(w.engine.heartbeat(task.leaseId)).rejects.toThrow("the lease ended (cancelled)");
    expect((await w.engine.workers())[0]!.leases).toBe(0);
  });

  test("a lease outlives a restart: the worker heartbeats and completes against the new engine", async () => {
    const w = await world();
    const { id, task } = await leased(w);
    await w.engine.stop(0);
    const again = await setupStarted({ store: w.store, clock: w.clock, leaseMs: LEASE_MS });
    await w.clock.flush();
    expect(await again.engine.heartbeat(task.leaseId)).toMatchObject({ cancelRequested: false });
    expect(await again.engine.poll("w2", ["resize"], 1, 0)).toEqual([]);
    expect(await again.engine.completeLease(task.leaseId, 7)).toMatchObject({ status: "COMPLETED" });
    await again.drain();
    expect(await again.store.loadExecution(id)).toMatchObject({ status: "COMPLETED", output: { t1: 7 } });
  });

  test("after a restart, an attempt nobody had leased is offered again", async () => {
    const w = await world();
    const { id } = await w.engine.submit("j", {});
    await w.clock.flush();
    await w.engine.stop(0);
    const again = await setupStarted({ store: w.store, clock: w.clock, leaseMs: LEASE_MS });
    await w.clock.flush();
    expect(await again.engine.poll("w1", ["resize"], 1, 0)).toMatchObject([{ executionId: id, attempt: 1 }]);
  });
});
