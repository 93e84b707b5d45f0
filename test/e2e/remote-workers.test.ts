/**
 * Remote workers end to end: the two example workers (`examples/workers/worker.mjs` under
 * Node, or Bun where Node is missing, and `worker.sh` under dash/sh with curl) against the
 * compiled binary. A worker SIGKILLed holding a lease loses it, and another worker gets the
 * retry; a stale complete answers 409; Baton SIGKILLed while workers hold leases comes back
 * and they heartbeat and complete; a cancel reaches a worker through its heartbeat; outcomes
 * reported in a batch answer each on its own, a stale one among good ones included.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { type Baton, execute, freePort, ROOT, register, runBaton, startBaton, state, tempDir, waitFor, waitForStatus } from "./harness.ts";

const WORKERS = join(ROOT, "examples", "workers");
const JS_RUNTIME = Bun.which("node") ?? process.execPath;
const SH = Bun.which("dash") ?? "/bin/sh";

interface Worker {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  out(): string;
}

const spawned: Worker[] = [];
afterEach(() => {
  for (const w of spawned.splice(0)) killGroup(w);
});

/** SIGKILL to the worker and everything it started (its commands, the sh worker's heartbeat loop). */
function killGroup(w: Worker): void {
  try {
    process.kill(-w.proc.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Each worker leads a process group of its own (setsid), so a SIGKILL reaches its children too. */
function spawnWorker(cmd: string[], env: Record<string, string>): Worker {
  const proc = Bun.spawn(["setsid", ...cmd], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: process.env.HOME ?? "/tmp", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let out = "";
  const decoder = new TextDecoder();
  for (const stream of [proc.stdout, proc.stderr])
    void (async () => {
      for await (const chunk of stream) out += decoder.decode(chunk);
    })();
  const worker = { proc, out: () => out };
  spawned.push(worker);
  return worker;
}

/** The JavaScript example, running `echo` and `sleep`; `token` is sent as BATON_TOKEN. */
const jsWorker = (baton: Baton, id: string, token?: string) =>
  spawnWorker([JS_RUNTIME, join(WORKERS, "worker.mjs")], { BATON_URL: baton.url, WORKER_ID: id, ...(token ? { BATON_TOKEN: token } : {}) });

/** The sh example, running `command` for `fn`. */
const shWorker = (baton: Baton, id: string, fn: string, command: string, token?: string) =>
  spawnWorker([SH, join(WORKERS, "worker.sh"), fn, SH, "-c", command], {
    BATON_URL: baton.url,
    WORKER_ID: id,
    HEARTBEAT_SECONDS: "1",
    ...(token ? { BATON_TOKEN: token } : {}),
  });

/** Waits until `workerId` holds `n` leases, as `GET /workers` says. */
const holding = (baton: Baton, workerId: string, n = 1) =>
  waitFor(`${workerId} to hold ${n} lease(s)`, async () => {
    const { body } = await baton.json("GET", "/workers");
    return body.workers.some((w: { workerId: string; leases: number }) => w.workerId === workerId && w.leases === n);
  });

describe("remote workers", () => {
  test("a JavaScript worker and an sh worker run a two-task execution, passing data along", async () => {
    const baton = await startBaton({ jobs: null });
    await register(baton, {
      id: "resize-image",
      tasks: [
        { id: "resize", functionName: "echo", remote: true, params: { width: "{{input.width}}" } },
        { id: "count", functionName: "count", remote: true },
      ],
    });
    jsWorker(baton, "js1");
    shWorker(baton, "sh1", "count", `wc -c | sed 's/ //g; s/.*/{"bytes":&}/'`);
    const id = await execute(baton, "resize-image", { width: 64 });
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
    expect(done.status).toBe("COMPLETED");
    expect(done.tasks[0].output).toEqual({ params: { width: 64 }, input: { width: 64 }, attempt: 1 });
    expect(done.tasks[1].output.bytes).toBeGreaterThan(100);
    const { body } = await baton.json("GET", "/workers");
    expect(body.workers.map((w: { workerId: string; functions: string[] }) => [w.workerId, w.functions])).toEqual([
      ["js1", ["echo", "sleep", "notify"]],
      ["sh1", ["count"]],
    ]);
    await baton.kill9();
  });

  test("with tokens, both example workers use a worker token from BATON_TOKEN", async () => {
    const dir = tempDir();
    const made = await Promise.all(
      (["admin", "worker"] as const).map((role) => runBaton(["token", "create", "--name", `${role}-bot`, "--role", role])),
    );
    const [admin, worker] = made.map((m) => m.stdout.split("\n")[0]!);
    const file = join(dir, "tokens");
    writeFileSync(file, `${made.map((m) => m.stdout.trimEnd().split("\n").at(-1)).join("\n")}\n`);
    chmodSync(file, 0o600);
    const baton = await startBaton({ jobs: null, args: ["--tokens", file] });
    const as = { authorization: `Bearer ${admin}` };
    const definition = {
      id: "two-kinds",
      tasks: [
        { id: "first", functionName: "echo", remote: true },
        { id: "second", functionName: "count", remote: true },
      ],
    };
    expect((await baton.request("POST", "/job-definitions", definition, as)).status).toBe(201);
    jsWorker(baton, "js-auth", worker);
    shWorker(baton, "sh-auth", "count", `echo '{"counted":true}'`, worker);
    const started = await baton.request("POST", "/jobs/two-kinds/execute", {}, as);
    const { executionID } = (await started.json()) as { executionID: string };
    const done = await waitFor("the execution to settle", async () => {
      const s = (await (await baton.request("GET", `/jobs/${executionID}/state`, undefined, as)).json()) as { status: string };
      return s.status === "COMPLETED" || s.status === "FAILED" ? s : undefined;
    });
    expect(done).toMatchObject({ status: "COMPLETED", tasks: [{ status: "COMPLETED" }, { output: { counted: true } }] });
    await baton.kill9();
  });

  test("a worker SIGKILLed holding a lease: after expiry another worker gets the retry; the stale complete is 409", async () => {
    const baton = await startBaton({ jobs: null, args: ["--lease-seconds", "2"] });
    await register(baton, {
      id: "slow",
      tasks: [
        {
          id: "nap",
          functionName: "sleep",
          remote: true,
          params: { seconds: 60 },
          retry: { maxAttempts: 2, intervalSeconds: 0, errorEquals: ["States.Timeout"] },
        },
      ],
    });
    const doomed = jsWorker(baton, "doomed");
    const id = await execute(baton, "slow");
    await holding(baton, "doomed");
    const leaseId = await waitFor("the worker to print its lease", async () => /lease (\S+)/.exec(doomed.out())?.[1]);
    killGroup(doomed);
    await doomed.proc.exited;
    shWorker(baton, "rescuer", "sleep", `echo '{"by":"rescuer"}'`);
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
    expect(done.tasks[0]).toMatchObject({ status: "COMPLETED", attempts: 2, output: { by: "rescuer" } });
    const events = (await baton.json("GET", `/jobs/${id}/events`)).body.events;
    const retrying = events.find((e: { type: string }) => e.type === "TaskRetrying");
    expect(retrying.error.name).toBe("States.HeartbeatTimeout");
    const stale = await baton.request("POST", `/workers/leases/${leaseId}/complete`, { output: { late: true } });
    expect(stale.status).toBe(409);
    expect(stale.headers.get("content-type")).toBe("application/problem+json");
    expect(((await stale.json()) as { detail: string }).detail).toContain("it ended (expired)");
    expect((await state(baton, id)).tasks[0].output).toEqual({ by: "rescuer" });
    await baton.kill9();
  });

  test("Baton SIGKILLed while workers hold leases: after the restart they heartbeat and complete the same attempts", async () => {
    const db = join(tempDir(), "baton.db");
    const port = freePort();
    const args = ["--lease-seconds", "5"];
    let baton = await startBaton({ db, port, jobs: null, args });
    await register(baton, {
      id: "held",
      tasks: [
        { id: "js", functionName: "sleep", remote: true, params: { seconds: 3 } },
        { id: "sh", functionName: "nap", remote: true, dependsOn: [] },
      ],
    });
    jsWorker(baton, "js1");
    shWorker(baton, "sh1", "nap", `sleep 3; echo '{"napped":3}'`);
    const id = await execute(baton, "held");
    await holding(baton, "js1");
    await holding(baton, "sh1");
    await baton.kill9();
    baton = await startBaton({ db, port, jobs: null, args });
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
    expect(done.status).toBe("COMPLETED");
    expect(done.tasks.map((t: { attempts: number; output: unknown }) => [t.attempts, t.output])).toEqual([
      [1, { slept: 3 }],
      [1, { napped: 3 }],
    ]);
    await baton.kill9();
  });

  test("a poll whose worker hung up takes nothing: the attempt goes to the next poll", async () => {
    const baton = await startBaton({ jobs: null });
    await register(baton, { id: "hello", tasks: [{ id: "say", functionName: "echo", remote: true }] });
    const hangUp = new AbortController();
    const poll = { workerId: "gone", functions: ["echo"], waitSeconds: 30 };
    const abandoned = fetch(`${baton.url}/workers/poll`, { method: "POST", body: JSON.stringify(poll), signal: hangUp.signal });
    await waitFor("the poll to be seen", async () => (await baton.json("GET", "/workers")).body.workers.length === 1);
    hangUp.abort();
    await abandoned.catch(() => {});
    const id = await execute(baton, "hello");
    const next = await baton.json("POST", "/workers/poll", { workerId: "w2", functions: ["echo"], waitSeconds: 5 });
    expect(next.body.tasks).toMatchObject([{ executionId: id, attempt: 1 }]);
    await baton.kill9();
  });

  test("a cancel reaches the worker through its heartbeat; the execution ends CANCELLED", async () => {
    const baton = await startBaton({ jobs: null, args: ["--lease-seconds", "2", "--cancel-grace-seconds", "1"] });
    await register(baton, { id: "long", tasks: [{ id: "nap", functionName: "sleep", remote: true, params: { seconds: 60 } }] });
    const worker = jsWorker(baton, "js1");
    const id = await execute(baton, "long");
    await holding(baton, "js1");
    expect((await baton.request("POST", `/jobs/${id}/cancel`)).status).toBe(202);
    const done = await waitForStatus(baton, id, ["CANCELLED", "COMPLETED", "FAILED"]);
    expect(done.status).toBe("CANCELLED");
    expect(done.tasks[0].status).toBe("CANCELLED");
    // The worker stopped without completing, and polls on.
    expect(worker.out()).not.toContain("complete");
    await holding(baton, "js1", 0);
    await baton.kill9();
  });

  test("a batch of outcomes: each answered on its own, a stale one among good ones; repeats answer the same", async () => {
    const baton = await startBaton({ jobs: null, args: ["--lease-seconds", "2"] });
    await register(baton, { id: "hello", tasks: [{ id: "say", functionName: "echo", remote: true }] });
    for (let i = 0; i < 3; i++) await execute(baton, "hello", { i });
    const held: { leaseId: string; executionId: string }[] = [];
    while (held.length < 3)
      held.push(...(await baton.json("POST", "/workers/poll", { workerId: "w1", functions: ["echo"], max: 3, waitSeconds: 5 })).body.tasks);
    const [a, b, stale] = held as [(typeof held)[0], (typeof held)[0], (typeof held)[0]];
    // a and b are kept alive; the third lease expires and fails its attempt.
    await waitFor("the unheld lease to expire", async () => {
      for (const { leaseId } of [a, b]) expect((await baton.request("POST", `/workers/leases/${leaseId}/heartbeat`)).status).toBe(200);
      return (await state(baton, stale.executionId)).status === "FAILED";
    });
    const results = [
      { leaseId: a.leaseId, output: { said: "a" } },
      { leaseId: stale.leaseId, output: { said: "late" } },
      { leaseId: b.leaseId, error: { name: "Mute", message: "no voice" } },
    ];
    const first = await baton.json("POST", "/workers/leases/report", { results });
    expect(first.status).toBe(200);
    expect(first.body.results).toEqual([
      { leaseId: a.leaseId, executionId: a.executionId, taskId: "say", attempt: 1, status: "COMPLETED" },
      {
        leaseId: stale.leaseId,
        problem: {
          type: "urn:baton:problem:conflict",
          title: "Conflict",
          status: 409,
          detail: `lease ${stale.leaseId} is not held any more: it ended (expired); nothing was recorded`,
        },
      },
      { leaseId: b.leaseId, executionId: b.executionId, taskId: "say", attempt: 1, status: "FAILED" },
    ]);
    // The same outcomes again, as a report or carried by a poll, answer the same and change nothing.
    expect((await baton.json("POST", "/workers/leases/report", { results })).body).toEqual(first.body);
    const polled = await baton.json("POST", "/workers/poll", { workerId: "w1", functions: ["echo"], results });
    expect(polled.body).toEqual({ tasks: [], results: first.body.results });
    expect((await state(baton, a.executionId)).tasks[0]).toMatchObject({ status: "COMPLETED", output: { said: "a" } });
    expect((await state(baton, b.executionId)).tasks[0]).toMatchObject({ status: "FAILED", error: { name: "Mute" } });
    expect((await state(baton, stale.executionId)).tasks[0].error.name).toBe("States.HeartbeatTimeout");
    await baton.kill9();
  });
});
