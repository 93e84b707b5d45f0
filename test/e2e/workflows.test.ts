/**
 * Cancel, redrive, rerun, idempotent and delayed starts, against the compiled binary over
 * HTTP, including SIGKILL in the middle of a cancel and of a redrive.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type Baton, execute, register, startBaton, state, tempDir, waitFor, waitForStatus } from "./harness.ts";

let baton: Baton;

beforeAll(async () => {
  baton = await startBaton({ jobs: null, args: ["--cancel-grace-seconds", "1"] });
  await register(baton, {
    id: "slow",
    tasks: [
      { id: "wait", functionName: "sleep", params: { ms: 60_000 } },
      { id: "after", functionName: "noop" },
    ],
  });
  await register(baton, {
    id: "flaky",
    tasks: [
      { id: "first", functionName: "echo" },
      { id: "once", functionName: "fail", params: { times: 1 } },
      { id: "last", functionName: "noop" },
    ],
  });
  await register(baton, {
    id: "chain",
    tasks: [
      { id: "a", functionName: "echo" },
      { id: "b", functionName: "echo" },
      { id: "c", functionName: "echo" },
    ],
  });
});

afterAll(async () => {
  await baton.stop();
});

const eventTypes = async (b: Baton, id: string): Promise<string[]> =>
  ((await b.json("GET", `/jobs/${id}/events`)).body.events as { type: string; taskId?: string }[]).map((e) =>
    e.taskId ? `${e.type}:${e.taskId}` : e.type,
  );

describe("cancel", () => {
  test("a RUNNING execution: 202, its attempt is aborted, it ends CANCELLED and frees its slot", async () => {
    const id = await execute(baton, "slow");
    await waitFor("the task to run", async () => (await state(baton, id)).tasks[0].status === "RUNNING");
    const res = await baton.json("POST", `/jobs/${id}/cancel`);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ executionID: id, cancelRequested: true });
    const done = await waitForStatus(baton, id, ["CANCELLED"], 10_000);
    expect(done.tasks.map((t: { status: string }) => t.status)).toEqual(["CANCELLED", "CANCELLED"]);
    expect(done.cancelRequestedAt).not.toBeNull();
    expect(await eventTypes(baton, id)).toEqual(
      expect.arrayContaining(["ExecutionCancelRequested", "TaskCancelled:wait", "ExecutionCancelled"]),
    );
    // Cancelling again is a conflict, as is cancelling anything finished.
    const again = await baton.request("POST", `/jobs/${id}/cancel`);
    expect(again.status).toBe(409);
    expect(again.headers.get("content-type")).toBe("application/problem+json");
    expect((await baton.request("POST", "/jobs/does-not-exist/cancel")).status).toBe(404);
    expect((await baton.request("GET", `/jobs/${id}/cancel`)).status).toBe(405);
  });

  test("a delayed (QUEUED) execution: 200 CANCELLED at once", async () => {
    const res = await baton.json("POST", "/jobs/chain/execute?delaySeconds=3600", {});
    expect(res.status).toBe(202);
    const cancelled = await baton.json("POST", `/jobs/${res.body.executionID}/cancel`);
    expect(cancelled).toMatchObject({ status: 200, body: { status: "CANCELLED" } });
  });
});

describe("redrive and rerun", () => {
  test("redrive keeps completed tasks and runs the failed one as attempt 2; only FAILED or CANCELLED", async () => {
    const id = await execute(baton, "flaky");
    const failed = await waitForStatus(baton, id, ["FAILED"]);
    const firstOutput = failed.tasks[0].output;
    expect(failed.tasks.map((t: { status: string }) => t.status)).toEqual(["COMPLETED", "FAILED", "SKIPPED"]);
    const res = await baton.json("POST", `/jobs/${id}/redrive`);
    expect(res.status).toBe(202);
    const done = await waitForStatus(baton, id, ["COMPLETED"]);
    expect(done.tasks.map((t: { id: string; status: string; attempts: number }) => [t.id, t.status, t.attempts])).toEqual([
      ["first", "COMPLETED", 1],
      ["once", "COMPLETED", 2],
      ["last", "COMPLETED", 1],
    ]);
    expect(done.tasks[0].output).toEqual(firstOutput);
    const history = await eventTypes(baton, id);
    expect(history.filter((t) => t === "TaskStarted:first")).toHaveLength(1);
    expect(history).toContain("ExecutionRedriven");
    expect((await baton.request("POST", `/jobs/${id}/redrive`)).status).toBe(409);
  });

  test("rerun from a task carries the upstream over and links both executions", async () => {
    const id = await execute(baton, "chain", { v: 1 });
    const original = await waitForStatus(baton, id, ["COMPLETED"]);
    const res = await baton.json("POST", `/jobs/${id}/rerun`, { fromTask: "b", input: { v: 2 } });
    expect(res.status).toBe(202);
    const rerun = await waitForStatus(baton, res.body.executionID, ["COMPLETED"]);
    expect(rerun).toMatchObject({ rerunOf: id, input: { v: 2 } });
    expect(rerun.tasks[0]).toMatchObject({ id: "a", status: "COMPLETED", carriedOver: true, output: original.tasks[0].output });
    expect(rerun.tasks[1].output.input).toEqual({ v: 2 });
    expect((await state(baton, id)).reruns).toEqual([res.body.executionID]);
    const bad = await baton.json("POST", `/jobs/${id}/rerun`, { fromTask: "zzz" });
    expect(bad.status).toBe(400);
    expect((await baton.json("POST", `/jobs/${id}/rerun`, {})).status).toBe(400);
  });
});

describe("idempotent and delayed starts", () => {
  test("two concurrent requests with one key create exactly one execution; another body is 409", async () => {
    const headers = { "Idempotency-Key": `key-${Date.now()}` };
    const post = (body: unknown) => baton.request("POST", "/jobs/chain/execute", body, headers);
    const [a, b] = await Promise.all([post({ n: 1 }), post({ n: 1 })]);
    const bodies = [(await a.json()) as { executionID: string }, (await b.json()) as { executionID: string }];
    expect([a.status, b.status].sort()).toEqual([200, 202]);
    expect(bodies[0]!.executionID).toBe(bodies[1]!.executionID);
    const list = (await baton.json("GET", "/jobs?definitionId=chain&limit=500")).body.jobs as { id: string }[];
    expect(list.filter((j) => j.id === bodies[0]!.executionID)).toHaveLength(1);
    const other = await post({ n: 2 });
    expect(other.status).toBe(409);
    expect(other.headers.get("content-type")).toBe("application/problem+json");
  });

  test("runAt: QUEUED with runAt shown until then; bad values are 400", async () => {
    const at = new Date(Date.now() + 1500).toISOString();
    const res = await baton.json("POST", `/jobs/chain/execute?runAt=${encodeURIComponent(at)}`, {});
    expect(res.status).toBe(202);
    expect(res.body.runAt).toBe(at);
    const waiting = await state(baton, res.body.executionID);
    expect(waiting).toMatchObject({ status: "QUEUED", runAt: at });
    const done = await waitForStatus(baton, res.body.executionID, ["COMPLETED"]);
    expect(Date.parse(done.startedAt)).toBeGreaterThanOrEqual(Date.parse(at));
    for (const q of ["runAt=tomorrow", "delaySeconds=-1", "delaySeconds=1&runAt=2030-01-01T00:00:00Z"]) {
      expect((await baton.request("POST", `/jobs/chain/execute?${q}`, {})).status).toBe(400);
    }
  });
});

describe("SIGKILL in the middle of an operation", () => {
  test("cancel: after restart it happened completely (an acknowledged cancel always did) or not at all", async () => {
    for (let round = 0; round < 3; round++) {
      const db = join(tempDir(), "baton.db");
      let b = await startBaton({ db, jobs: null, args: ["--cancel-grace-seconds", "0"] });
      await register(b, {
        id: "slow",
        tasks: [
          { id: "wait", functionName: "sleep", params: { ms: 400 } },
          { id: "after", functionName: "noop" },
        ],
      });
      const id = await execute(b, "slow");
      await waitFor("the task to run", async () => (await state(b, id)).tasks[0].status === "RUNNING");
      const cancel = b.request("POST", `/jobs/${id}/cancel`).then(
        (r) => r.status,
        () => 0,
      );
      await Bun.sleep(round); // kill before, around or after the commit
      await b.kill9();
      const acknowledged = (await cancel) === 202;
      b = await startBaton({ db, jobs: null });
      const done = await waitForStatus(b, id, ["CANCELLED", "COMPLETED"]);
      const history = await eventTypes(b, id);
      if (acknowledged) expect(done.status).toBe("CANCELLED");
      if (history.includes("ExecutionCancelRequested")) {
        expect(done.status).toBe("CANCELLED");
        expect(done.tasks.map((t: { status: string }) => t.status)).toEqual(["CANCELLED", "CANCELLED"]);
      } else {
        expect(done.status).toBe("COMPLETED");
      }
      await b.stop();
    }
  });

  test("redrive: after restart it happened completely (an acknowledged redrive always did) or not at all", async () => {
    for (let round = 0; round < 3; round++) {
      const db = join(tempDir(), "baton.db");
      let b = await startBaton({ db, jobs: null });
      await register(b, {
        id: "flaky",
        tasks: [
          { id: "first", functionName: "echo" },
          { id: "once", functionName: "fail", params: { times: 1 } },
        ],
      });
      const id = await execute(b, "flaky");
      await waitForStatus(b, id, ["FAILED"]);
      const redrive = b.request("POST", `/jobs/${id}/redrive`).then(
        (r) => r.status,
        () => 0,
      );
      await Bun.sleep(round);
      await b.kill9();
      const acknowledged = (await redrive) === 202;
      b = await startBaton({ db, jobs: null });
      const history = await eventTypes(b, id);
      if (acknowledged) expect(history).toContain("ExecutionRedriven");
      if (history.includes("ExecutionRedriven")) {
        const done = await waitForStatus(b, id, ["COMPLETED"]);
        expect(done.tasks.map((t: { status: string; attempts: number }) => [t.status, t.attempts])).toEqual([
          ["COMPLETED", 1],
          ["COMPLETED", 2],
        ]);
      } else {
        const s = await state(b, id);
        expect(s.status).toBe("FAILED");
        expect(s.tasks.map((t: { status: string }) => t.status)).toEqual(["COMPLETED", "FAILED"]);
      }
      await b.stop();
    }
  });
});

describe("continueOnFailure, handlers and the execution timeout", () => {
  test("dependents of a continueOnFailure task run and see its error; handlers are recorded in the history", async () => {
    await register(baton, {
      id: "tolerant",
      tasks: [
        { id: "optional", functionName: "fail", params: { errorName: "Unavailable" }, continueOnFailure: true },
        { id: "report", functionName: "echo" },
      ],
      handlers: { onSuccess: { functionName: "echo", params: { notify: "team" } }, onExit: { functionName: "noop" } },
    });
    const id = await execute(baton, "tolerant");
    const done = await waitForStatus(baton, id, ["COMPLETED"]);
    expect(done.failedTasks).toEqual(["optional"]);
    expect(done.tasks[1].output.results.optional.error.name).toBe("Unavailable");
    await waitFor("handlers to finish", async () => !(await state(baton, id)).handlersPending);
    const events = (await baton.json("GET", `/jobs/${id}/events`)).body.events as { type: string; handler?: string; status?: string }[];
    expect(events.filter((e) => e.type === "HandlerFinished").map((e) => [e.handler, e.status])).toEqual([
      ["onSuccess", "COMPLETED"],
      ["onExit", "COMPLETED"],
    ]);
  });

  test("a definition-level timeoutSeconds ends the execution FAILED with States.Timeout", async () => {
    await register(baton, { id: "bounded", timeoutSeconds: 0.3, tasks: [{ id: "long", functionName: "sleep", params: { ms: 30_000 } }] });
    const id = await execute(baton, "bounded");
    const done = await waitForStatus(baton, id, ["FAILED"], 10_000);
    expect(done.error).toMatchObject({ name: "States.Timeout" });
    expect(done.tasks[0].status).toBe("CANCELLED");
    expect(await eventTypes(baton, id)).toContain("ExecutionTimedOut");
  });
});

describe("data flow between tasks", () => {
  test("templates pass upstream outputs and input along; reading a non-upstream task is a 400 at registration", async () => {
    await register(baton, {
      id: "flow",
      tasks: [
        { id: "fetch", functionName: "echo", params: { user: { id: 7, name: "ada" } } },
        {
          id: "greet",
          functionName: "echo",
          params: {
            id: "{{tasks.fetch.output.params.user.id}}",
            text: "hello {{tasks.fetch.output.params.user.name}} from {{input.city}}",
          },
        },
      ],
    });
    const id = await execute(baton, "flow", { city: "Paris" });
    const done = await waitForStatus(baton, id, ["COMPLETED"]);
    expect(done.tasks[1].output.params).toEqual({ id: 7, text: "hello ada from Paris" });
    expect(done.output).toEqual({ greet: done.tasks[1].output });

    const bad = await baton.json("POST", "/job-definitions", {
      id: "bad-flow",
      tasks: [
        { id: "a", functionName: "echo", dependsOn: [] },
        { id: "b", functionName: "echo", dependsOn: [], params: { x: "{{tasks.a.output}}" } },
      ],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe("$.tasks[1].params.x");
    expect((await baton.json("GET", "/job-definitions/bad-flow")).status).toBe(404);
  });
});
