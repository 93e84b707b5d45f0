/**
 * Structured logs, black box: the compiled binary with `--log-format json --access-log` and
 * tokens writes nothing but JSON objects on stderr, one per line; the lines about an execution
 * carry `executionId`, `taskId` and `attempt` (a retried built-in `fail` task, and a function
 * module's `ctx.log`); the access log names the token but never contains it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Baton, runBaton, startBaton, tempDir, waitFor } from "./harness.ts";

const MODULE = [
  "export function talk(ctx) {",
  '  ctx.log("talking,\\nattempt " + ctx.attempt, { task: "not-me", note: "a \\"quoted\\" word" });',
  '  if (ctx.attempt < 2) throw Object.assign(new Error("not yet"), { name: "NotYet" });',
  "  return { ok: true };",
  "}",
  "",
].join("\n");

let baton: Baton;
let token: string;
let auth: Record<string, string>;

beforeAll(async () => {
  const created = await runBaton(["token", "create", "--name", "log-bot", "--role", "admin"]);
  expect(created.code).toBe(0);
  token = created.stdout.split("\n")[0]!;
  auth = { Authorization: `Bearer ${token}` };
  const dir = tempDir();
  writeFileSync(join(dir, "tokens"), `${created.stdout.trimEnd().split("\n").at(-1)!}\n`);
  chmodSync(join(dir, "tokens"), 0o600);
  mkdirSync(join(dir, "functions"));
  writeFileSync(join(dir, "functions", "talk.mjs"), MODULE);
  baton = await startBaton({
    jobs: null,
    args: [
      "--tokens",
      join(dir, "tokens"),
      "--functions",
      join(dir, "functions"),
      "--log-format",
      "json",
      "--access-log",
      "--log-level",
      "debug",
    ],
  });
});
afterAll(async () => {
  await baton?.stop();
});

async function run(definition: Record<string, unknown>): Promise<string> {
  expect((await baton.request("POST", "/job-definitions", definition, auth)).status).toBe(201);
  const res = await baton.request("POST", `/jobs/${definition.id}/execute?note=query-value`, {}, auth);
  expect(res.status).toBe(202);
  const id = ((await res.json()) as { executionID: string }).executionID;
  await waitFor(`${id} to end`, async () => {
    const body = (await (await baton.request("GET", `/jobs/${id}/state`, undefined, auth)).json()) as { status: string };
    return ["COMPLETED", "FAILED"].includes(body.status) ? body.status : undefined;
  });
  return id;
}

/** Every stderr line, each parsed as JSON: a line that does not parse fails the test. */
function lines(): Record<string, any>[] {
  const text = baton.logs();
  expect(text.endsWith("\n")).toBe(true);
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
}

test("every line is a JSON object starting time, level, msg; execution lines carry executionId, taskId, attempt", async () => {
  const failed = await run({
    id: "logs-fail",
    tasks: [{ id: "charge", functionName: "fail", params: { times: 5 }, retry: { maxAttempts: 2, intervalSeconds: 0 } }],
  });
  const talked = await run({
    id: "logs-talk",
    tasks: [{ id: "speak", functionName: "talk", retry: { maxAttempts: 3, intervalSeconds: 0, errorEquals: ["NotYet"] } }],
  });
  await waitFor("the access log of the last state read", async () => baton.logs().includes(`"path":"/jobs/${talked}/state"`));
  const all = lines();
  for (const l of all) {
    expect(Object.keys(l).slice(0, 3)).toEqual(["time", "level", "msg"]);
    expect(new Date(l.time).toISOString()).toBe(l.time);
    expect(["debug", "info", "warn", "error"]).toContain(l.level);
    expect(l).not.toHaveProperty("execution");
    expect(l).not.toHaveProperty("task");
  }
  const about = (id: string) => all.filter((l) => l.executionId === id).map(({ time, ...rest }) => rest);
  expect(about(failed)).toEqual([
    {
      level: "debug",
      msg: "attempt failed",
      executionId: failed,
      taskId: "charge",
      attempt: 1,
      error: "TaskFailed: failing on purpose (attempt 1)",
    },
    {
      level: "debug",
      msg: "attempt failed",
      executionId: failed,
      taskId: "charge",
      attempt: 2,
      error: "TaskFailed: failing on purpose (attempt 2)",
    },
    {
      level: "info",
      msg: "execution failed",
      executionId: failed,
      definition: "logs-fail",
      taskId: "charge",
      attempt: 2,
      error: "TaskFailed: failing on purpose (attempt 2)",
    },
  ]);
  // ctx.log: the function's own `task` field cannot hide which task logged; the newline stays inside the line.
  expect(about(talked)).toEqual([
    { level: "info", msg: "talking,\nattempt 1", executionId: talked, taskId: "speak", attempt: 1, note: 'a "quoted" word' },
    { level: "debug", msg: "attempt failed", executionId: talked, taskId: "speak", attempt: 1, error: "NotYet: not yet" },
    { level: "info", msg: "talking,\nattempt 2", executionId: talked, taskId: "speak", attempt: 2, note: 'a "quoted" word' },
  ]);
});

test("the access log: method, path without the query, status, durationMs, token name; never the token", async () => {
  expect((await baton.request("GET", "/jobs?limit=3", undefined, { Authorization: "Bearer not-a-real-token-at-all" })).status).toBe(401);
  await waitFor("the 401's access line", async () => baton.logs().includes('"status":401'));
  const access = lines().filter((l) => l.msg === "http request");
  for (const l of access) {
    expect(Object.keys(l)).toEqual(
      l.token === undefined
        ? ["time", "level", "msg", "method", "path", "status", "durationMs"]
        : ["time", "level", "msg", "method", "path", "status", "durationMs", "token"],
    );
    expect(typeof l.durationMs).toBe("number");
  }
  const shown = access.map((l) => `${l.method} ${l.path} ${l.status} ${l.token ?? "-"}`);
  expect(shown).toContain("POST /job-definitions 201 log-bot");
  expect(shown).toContain("POST /jobs/logs-fail/execute 202 log-bot");
  expect(shown).toContain("GET /jobs 401 -");
  expect(shown[0]).toBe("GET /healthz 200 -");
  const text = baton.logs();
  expect(text).not.toContain(token);
  expect(text).not.toContain("not-a-real-token-at-all");
  expect(text).not.toContain("query-value");
  expect(text).not.toContain("limit=3");
});

test("a refused start is one JSON line too, its stack a field only with BATON_DEBUG=1", async () => {
  const missing = join(tempDir(), "no-such-jobs");
  const args = ["serve", "--host", "127.0.0.1", "--port", "0", "--db", join(tempDir(), "b.db"), "--jobs", missing, "--log-format", "json"];
  for (const debug of [false, true]) {
    const { code, stderr } = await runBaton(args, { env: debug ? { BATON_DEBUG: "1" } : {} });
    expect(code).toBe(1);
    expect(stderr.endsWith("\n") && stderr.indexOf("\n") === stderr.length - 1).toBe(true);
    const line = JSON.parse(stderr);
    expect(line.level).toBe("error");
    expect(line.msg).toBe(
      `cannot start: the jobs folder ${missing} does not exist; create it, or name another with --jobs or BATON_JOBS_DIR`,
    );
    expect(typeof line.stack === "string" && line.stack.includes("StartError")).toBe(debug);
  }
});
