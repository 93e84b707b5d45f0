/**
 * `GET /metrics` on the compiled binary: a known workload (successes, failures after a retry,
 * an attempt's timeout, a QUEUED execution cancelled) gives exact counter values and histogram
 * counts; `promtool check metrics` accepts the text (and `promtool check rules` the example
 * alert rules); it is open with tokens unless `--metrics-auth`, which without `--tokens`
 * refuses to start.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Baton, E2E_RUNTIME, execute, freePort, register, runBaton, startBaton, tempDir, waitForStatus } from "./harness.ts";

const PROMTOOL = "/usr/bin/promtool";

/** The value of one series of the text, or undefined when absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let baton: Baton;
let text: string;
let contentType: string | null;

beforeAll(async () => {
  baton = await startBaton({ jobs: null });
  await register(baton, { id: "ok", name: "ok", tasks: [{ id: "a", functionName: "noop" }] });
  await register(baton, {
    id: "flaky",
    name: "flaky",
    tasks: [{ id: "a", functionName: "fail", params: { errorName: "Flaky" }, retry: { maxAttempts: 2, intervalSeconds: 0 } }],
  });
  await register(baton, {
    id: "slow",
    name: "slow",
    tasks: [{ id: "a", functionName: "sleep", params: { ms: 30_000 }, timeoutSeconds: 0.2, retry: { maxAttempts: 1 } }],
  });
  const ids = [
    ...(await Promise.all([1, 2, 3].map(() => execute(baton, "ok")))),
    ...(await Promise.all([1, 2].map(() => execute(baton, "flaky")))),
    await execute(baton, "slow"),
  ];
  const later = (await baton.json("POST", "/jobs/ok/execute?delaySeconds=3600", {})).body.executionID as string;
  expect((await baton.request("POST", `/jobs/${later}/cancel`)).status).toBe(200);
  for (const id of ids) await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
  const res = await baton.request("GET", "/metrics");
  expect(res.status).toBe(200);
  contentType = res.headers.get("content-type");
  text = await res.text();
});
afterAll(async () => {
  await baton?.stop();
});

describe("GET /metrics after a known workload", () => {
  test("the text format's content type", () => {
    expect(contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  test("counters: executions by status, attempts by outcome, retries, timeouts", () => {
    const expected: Record<string, number> = {
      'baton_executions_total{definition="ok",status="COMPLETED"}': 3,
      'baton_executions_total{definition="ok",status="FAILED"}': 0,
      'baton_executions_total{definition="ok",status="CANCELLED"}': 1,
      'baton_executions_total{definition="flaky",status="FAILED"}': 2,
      'baton_executions_total{definition="slow",status="FAILED"}': 1,
      'baton_task_attempts_total{definition="ok",outcome="completed"}': 3,
      'baton_task_attempts_total{definition="flaky",outcome="failed"}': 4,
      'baton_task_attempts_total{definition="flaky",outcome="completed"}': 0,
      'baton_task_attempts_total{definition="slow",outcome="timed_out"}': 1,
      'baton_task_retries_total{definition="flaky"}': 2,
      'baton_task_retries_total{definition="slow"}': 0,
      'baton_task_timeouts_total{definition="slow"}': 1,
      'baton_task_timeouts_total{definition="flaky"}': 0,
    };
    expect(Object.fromEntries(Object.keys(expected).map((series) => [series, value(text, series)]))).toEqual(expected);
  });

  test("histogram counts: one attempt duration per attempt, one queue wait per start, one duration per execution that ran", () => {
    const expected: Record<string, number> = {
      'baton_task_attempt_duration_seconds_count{definition="ok"}': 3,
      'baton_task_attempt_duration_seconds_count{definition="flaky"}': 4,
      'baton_task_attempt_duration_seconds_count{definition="slow"}': 1,
      'baton_task_attempt_duration_seconds_bucket{definition="flaky",le="+Inf"}': 4,
      'baton_execution_queue_wait_seconds_count{definition="ok"}': 3,
      'baton_execution_queue_wait_seconds_count{definition="flaky"}': 2,
      'baton_execution_duration_seconds_count{definition="ok",status="COMPLETED"}': 3,
      'baton_execution_duration_seconds_count{definition="flaky",status="FAILED"}': 2,
      'baton_execution_duration_seconds_count{definition="slow",status="FAILED"}': 1,
    };
    expect(Object.fromEntries(Object.keys(expected).map((series) => [series, value(text, series)]))).toEqual(expected);
    // The cancelled execution never ran: counted above, no duration.
    expect(value(text, 'baton_execution_duration_seconds_count{definition="ok",status="CANCELLED"}')).toBeUndefined();
  });

  test("slot time: the slow task's timeout alone held a slot 0.2 s; the functions ran within the slots' time", () => {
    const busy = value(text, "baton_slots_busy_seconds_total")!;
    const functions = value(text, "baton_task_function_seconds_total")!;
    expect(functions).toBeGreaterThanOrEqual(0.2);
    expect(busy).toBeGreaterThanOrEqual(functions);
  });

  test("gauges: nothing left queued, running or retrying; no workers; the database's files; the build", async () => {
    expect(["queued", "running", "retrying"].map((g) => value(text, `baton_executions_${g}`))).toEqual([0, 0, 0]);
    expect([value(text, "baton_workers_connected"), value(text, "baton_leases_held")]).toEqual([0, 0]);
    expect(value(text, "baton_database_size_bytes")).toBeGreaterThan(0);
    expect(value(text, "baton_database_wal_size_bytes")).toBeGreaterThanOrEqual(0);
    const { version } = (await baton.json("GET", "/healthz")).body as { version: string };
    expect(text).toMatch(
      new RegExp(`^baton_build_info\\{version="${version.replace(/[.+]/g, "\\$&")}",runtime="${E2E_RUNTIME} [0-9.]+"\\} 1$`, "m"),
    );
  });

  test("no series is labelled with an execution id", async () => {
    const { jobs } = (await baton.json("GET", "/jobs?limit=100")).body as { jobs: { id: string }[] };
    expect(jobs.length).toBe(7);
    for (const { id } of jobs) expect(text).not.toContain(id);
  });

  test("promtool check metrics accepts the text", async () => {
    if (!existsSync(PROMTOOL))
      throw new Error(`${PROMTOOL} is missing: install Debian's prometheus package (apt-get install prometheus), which has promtool`);
    const proc = Bun.spawn([PROMTOOL, "check", "metrics"], { stdin: new Blob([text]), stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ out, err, code }).toEqual({ out: "", err: "", code: 0 });
  });
});

test("the example alert rules of docs/operations.md pass promtool check rules", async () => {
  if (!existsSync(PROMTOOL))
    throw new Error(`${PROMTOOL} is missing: install Debian's prometheus package (apt-get install prometheus), which has promtool`);
  const rules = join(import.meta.dir, "..", "..", "examples", "prometheus", "baton-alerts.yml");
  const proc = Bun.spawn([PROMTOOL, "check", "rules", rules], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  expect({ out, err, code }).toEqual({ out: `Checking ${rules}\n  SUCCESS: 6 rules found\n\n`, err: "", code: 0 });
});

describe("who may read /metrics", () => {
  async function tokenFile(): Promise<{ file: string; token: string }> {
    const { code, stdout } = await runBaton(["token", "create", "--name", "prometheus", "--role", "read"]);
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split("\n");
    const [token, line] = [lines[0]!, lines.at(-1)!];
    const file = join(tempDir(), "tokens");
    writeFileSync(file, `${line}\n`);
    chmodSync(file, 0o600);
    return { file, token };
  }

  test("with tokens it stays open; --metrics-auth makes it need a token with read", async () => {
    const { file, token } = await tokenFile();
    const open = await startBaton({ jobs: null, args: ["--tokens", file] });
    try {
      expect((await open.request("GET", "/metrics")).status).toBe(200);
      expect((await open.request("GET", "/jobs")).status).toBe(401);
    } finally {
      await open.stop();
    }
    const closed = await startBaton({ jobs: null, args: ["--tokens", file, "--metrics-auth"] });
    try {
      const refused = await closed.request("GET", "/metrics");
      expect(refused.status).toBe(401);
      expect(((await refused.json()) as { detail: string }).detail).toStartWith("GET /metrics needs a token");
      const read = await closed.request("GET", "/metrics", undefined, { Authorization: `Bearer ${token}` });
      expect([read.status, (await read.text()).includes("# TYPE baton_build_info gauge")]).toEqual([200, true]);
    } finally {
      await closed.stop();
    }
  });

  test("--metrics-auth without --tokens: exit 2 and one line, before anything is opened", async () => {
    const db = join(tempDir(), "baton.db");
    const { code, stdout, stderr } = await runBaton(["serve", "--port", String(freePort()), "--db", db, "--metrics-auth"]);
    expect({ code, stdout, stderr }).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "baton: --metrics-auth (flag --metrics-auth) protects /metrics with tokens, but no token file is named; add --tokens FILE (see 'baton token create'), or drop --metrics-auth to leave /metrics open (see 'baton --help')\n",
    });
    expect(existsSync(db)).toBe(false);
  });
});
