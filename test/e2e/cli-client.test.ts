/**
 * The client commands of the compiled binary (`defs`, `run`, `jobs`, `workers`, `schedules`)
 * against a running server: their JSON (stdout is not a terminal here; tables are unit-tested
 * in src/cli/client/table.test.ts), one human line where it matters, and every exit code.
 * One server serves the whole file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Baton, freePort, runBaton, startBaton, tempDir, waitFor } from "./harness.ts";

let baton: Baton;
let defs: string;

const DEFINITIONS = {
  "always-fails": { id: "always-fails", tasks: [{ id: "boom", functionName: "fail", params: { errorName: "PaymentDeclined" } }] },
  quick: {
    id: "quick",
    tasks: [
      { id: "a", functionName: "echo" },
      { id: "b", functionName: "noop" },
    ],
  },
  slow: { id: "slow", tasks: [{ id: "nap", functionName: "sleep", params: { ms: 30_000 } }] },
  ticking: {
    id: "ticking",
    tasks: [{ id: "t", functionName: "noop" }],
    schedules: [{ id: "yearly", cron: "0 0 1 1 *", timezone: "Europe/Berlin" }],
  },
};

/** Runs a client command against the server; BATON_URL names it unless `url` is given. */
const cli = (args: string[], env: Record<string, string> = {}) => runBaton(args, { env: { BATON_URL: baton.url, ...env } });

/** Runs a command that must succeed and parses its JSON. */
async function json(args: string[]): Promise<any> {
  const { code, stdout, stderr } = await cli(args);
  if (code !== 0) throw new Error(`baton ${args.join(" ")} exited ${code}: ${stderr}`);
  return JSON.parse(stdout);
}

beforeAll(async () => {
  baton = await startBaton({ jobs: null });
  defs = tempDir();
  for (const [name, def] of Object.entries(DEFINITIONS)) writeFileSync(join(defs, `${name}.json`), JSON.stringify(def));
  writeFileSync(join(defs, "notes.txt"), "not a definition");
});

afterAll(async () => {
  await baton.stop();
});

describe("defs", () => {
  test("apply DIR registers every *.json in name order; again, unchanged; a changed file, a new version", async () => {
    const first = await json(["defs", "apply", defs]);
    expect(first.map((a: any) => [a.id, a.version, a.result])).toEqual([
      ["always-fails", 1, "created"],
      ["quick", 1, "created"],
      ["slow", 1, "created"],
      ["ticking", 1, "created"],
    ]);
    const again = await cli(["defs", "apply", join(defs, "quick.json"), "--table"]);
    expect(again).toMatchObject({ code: 0, stdout: `unchanged quick v1 (${join(defs, "quick.json")})\n`, stderr: "" });
    const changed = join(tempDir(), "quick.json");
    writeFileSync(changed, JSON.stringify({ ...DEFINITIONS.quick, name: "Quick" }));
    expect((await cli(["defs", "apply", changed, "--table"])).stdout).toBe(`new version quick v2 (${changed})\n`);
  });

  test("a file the server refuses exits 4 naming the file; a file that is not JSON exits 2 and sends nothing", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ id: "bad", tasks: [{ id: "a", functionName: "nope" }] }));
    const refused = await cli(["defs", "apply", join(dir, "bad.json")]);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toBe(
      `baton: ${join(dir, "bad.json")}: invalid definition: $.tasks[0].functionName names no registered function: "nope" (HTTP 400)\n`,
    );
    writeFileSync(join(dir, "a-good.json"), JSON.stringify({ id: "never-sent", tasks: [{ id: "a", functionName: "noop" }] }));
    writeFileSync(join(dir, "b-broken.json"), "{ not json");
    const broken = await cli(["defs", "apply", dir]);
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain("b-broken.json: not valid JSON");
    expect((await baton.json("GET", "/job-definitions/never-sent")).status).toBe(404);
  });

  test("list and show answer the server's JSON; an unknown id exits 4 with the server's detail", async () => {
    expect((await json(["defs", "list"])).map((d: any) => d.id)).toEqual(["always-fails", "quick", "slow", "ticking"]);
    expect(await json(["defs", "show", "quick", "--version", "1"])).toMatchObject({ id: "quick", version: 1, versions: [1, 2] });
    const missing = await cli(["defs", "show", "nope"]);
    expect(missing.code).toBe(4);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toStartWith('baton: no job definition with id "nope"');
    expect(missing.stderr.trim().split("\n")).toHaveLength(1);
  });
});

describe("run and jobs", () => {
  test("run --priority and --delay-seconds reach the server; a bad value is exit 2 before anything is sent", async () => {
    const later = await json(["run", "quick", "--delay-seconds", "3600", "--priority=-5", "--json"]);
    expect(later).toMatchObject({ status: "QUEUED", priority: -5 });
    const state = await json(["jobs", "show", later.executionID, "--json"]);
    expect(state).toMatchObject({ priority: -5, waitingFor: "runAt" });
    // runAt is counted from when the server read the request, a moment before it stored the execution.
    const ahead = Date.parse(state.runAt) - Date.parse(state.createdAt);
    expect(ahead).toBeLessThanOrEqual(3_600_000);
    expect(ahead).toBeGreaterThan(3_590_000);
    expect((await cli(["jobs", "cancel", later.executionID, "--json"])).code).toBe(0);
    const bad = await cli(["run", "quick", "--priority", "urgent"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--priority="urgent" must be a whole number from -1000 to 1000');
  });

  test("run --wait exits 0 for COMPLETED and prints the final state", async () => {
    const input = join(tempDir(), "input.json");
    writeFileSync(input, '{"orderId": 42}');
    const { code, stdout } = await cli(["run", "quick", "--input", `@${input}`, "--wait"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ definitionId: "quick", status: "COMPLETED", input: { orderId: 42 } });
  });

  test("run --wait exits 1 for FAILED", async () => {
    const { code, stdout } = await cli(["run", "always-fails", "--wait"]);
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ status: "FAILED", error: { taskId: "boom", name: "PaymentDeclined" } });
  });

  test("run --wait exits 3 when another command cancels the execution; cancel, events, redrive", async () => {
    const waiting = cli(["run", "slow", "--wait"]);
    const id = await waitFor(
      "the slow execution",
      async () => (await json(["jobs", "list", "--definition", "slow", "--status", "running"])).jobs[0]?.id,
    );
    expect(await json(["jobs", "cancel", id])).toMatchObject({ executionID: id, cancelRequested: true });
    const { code, stdout } = await waiting;
    expect(code).toBe(3);
    expect(JSON.parse(stdout)).toMatchObject({ id, status: "CANCELLED" });
    const again = await cli(["jobs", "cancel", id]);
    expect(again.code).toBe(4);
    expect(again.stderr).toBe(
      `baton: execution ${id} is already CANCELLED; only QUEUED or RUNNING executions can be cancelled (HTTP 409)\n`,
    );
    const types = (await json(["jobs", "events", id])).events.map((e: any) => e.type);
    expect(types).toContain("ExecutionCancelled");
    expect(await json(["jobs", "redrive", id])).toMatchObject({ executionID: id, resetTasks: ["nap"] });
    expect(await json(["jobs", "cancel", id])).toMatchObject({ executionID: id });
  });

  test("run with an idempotency key returns the first execution on a resend", async () => {
    const first = await json(["run", "quick", "--idempotency-key", "cli-1", "--input", '{"n": 1}']);
    const second = await json(["run", "quick", "--idempotency-key", "cli-1", "--input", '{"n": 1}']);
    expect(second).toMatchObject({ executionID: first.executionID, idempotentReplay: true });
    expect((await cli(["run", "quick", "--idempotency-key", "cli-1", "--input", '{"n": 2}'])).code).toBe(4);
  });

  test("jobs list filters, jobs show answers the state, rerun --from --wait runs a new execution", async () => {
    const list = await json(["jobs", "list", "--status", "COMPLETED", "--definition", "quick", "--limit", "1"]);
    expect(list.jobs).toHaveLength(1);
    expect(list.jobs[0]).toMatchObject({ definitionId: "quick", status: "COMPLETED" });
    const id = list.jobs[0].id;
    expect(await json(["jobs", "show", id])).toMatchObject({ id, tasks: [{ id: "a" }, { id: "b" }] });
    const { code, stdout } = await cli(["jobs", "rerun", id, "--from", "b", "--wait"]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ rerunOf: id, status: "COMPLETED", tasks: [{ id: "a", carriedOver: true }, { id: "b" }] });
  });

  test("jobs events --follow prints one JSON event per line until the execution ends", async () => {
    const short = join(tempDir(), "short.json");
    writeFileSync(short, JSON.stringify({ id: "short", tasks: [{ id: "nap", functionName: "sleep", params: { ms: 400 } }] }));
    await cli(["defs", "apply", short]);
    const { executionID } = await json(["run", "short"]);
    const { code, stdout } = await cli(["jobs", "events", executionID, "--follow"]);
    expect(code).toBe(0);
    const events = stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(events[0].type).toBe("ExecutionQueued");
    expect(events.at(-1).type).toBe("ExecutionCompleted");
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...new Set(seqs)].sort((a, b) => a - b));
  });
});

describe("workers and schedules", () => {
  test("workers lists the workers seen (none here)", async () => {
    expect(await json(["workers"])).toEqual({ workers: [] });
  });

  test("schedules list, pause, resume, show and trigger", async () => {
    expect((await json(["schedules"])).schedules.map((s: any) => `${s.definitionId}/${s.id}`)).toEqual(["ticking/yearly"]);
    expect(await json(["schedules", "pause", "ticking", "yearly"])).toMatchObject({ paused: true, nextFireTimes: [] });
    expect(await json(["schedules", "resume", "ticking", "yearly"])).toMatchObject({ paused: false });
    expect((await json(["schedules", "show", "ticking", "yearly"])).nextFireTimes).toHaveLength(5);
    expect(await json(["schedules", "trigger", "ticking", "yearly"])).toMatchObject({ scheduleId: "yearly" });
    const missing = await cli(["schedules", "pause", "ticking", "weekly"]);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toContain('has no schedule "weekly"');
  });
});

describe("errors and usage", () => {
  test("a server that cannot be reached exits 4 with one line naming the URL", async () => {
    const url = `http://127.0.0.1:${freePort()}`;
    const { code, stdout, stderr } = await runBaton(["jobs", "list", "--url", url]);
    expect(code).toBe(4);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `baton: cannot reach Baton at ${url} (connection refused); is 'baton serve' running there? Set --url or BATON_URL to its address\n`,
    );
  });

  const bad: [string, string[]][] = [
    ["an unknown flag", ["jobs", "list", "--bogus"]],
    ["an unknown subcommand", ["jobs", "frobnicate"]],
    ["a missing id", ["jobs", "show"]],
    ["an extra argument", ["workers", "extra"]],
    ["rerun without --from", ["jobs", "rerun", "some-id"]],
    ["input that is not JSON", ["run", "quick", "--input", "{oops"]],
    ["a bad status", ["jobs", "list", "--status", "DONE"]],
    ["a limit out of range", ["jobs", "list", "--limit", "501"]],
    ["a URL that is not one", ["defs", "list", "--url", "localhost:8080"]],
    ["a missing file", ["defs", "apply", "/nonexistent/defs"]],
  ];
  for (const [what, args] of bad) {
    test(`${what} exits 2 with one line and sends nothing`, async () => {
      const { code, stdout, stderr } = await cli(args);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).toStartWith("baton: ");
    });
  }

  test("every group answers --help with its usage and exit 0", async () => {
    for (const group of ["defs", "run", "jobs", "workers", "schedules"]) {
      const { code, stdout } = await runBaton([group, "--help"]);
      expect(code).toBe(0);
      expect(stdout).toContain(`baton ${group}`);
      expect(stdout).toContain("BATON_TOKEN");
    }
  });
});

describe("against a server with tokens", () => {
  test("no token: exit 4 and one line saying how to pass one; --token or BATON_TOKEN: the command runs", async () => {
    const dir = tempDir();
    const made = await runBaton(["token", "create", "--name", "ops", "--role", "operate"]);
    const token = made.stdout.split("\n")[0]!;
    const file = join(dir, "tokens");
    writeFileSync(file, `${made.stdout.trimEnd().split("\n").at(-1)}\n`, { mode: 0o600 });
    const secured = await startBaton({ jobs: null, args: ["--tokens", file] });
    try {
      const env = { BATON_URL: secured.url };
      const refused = await runBaton(["jobs", "list", "--json"], { env });
      expect(refused.code).toBe(4);
      expect(refused.stderr).toEndWith("(HTTP 401); pass a token with --token or BATON_TOKEN\n");
      expect(refused.stderr.trimEnd().split("\n")).toHaveLength(1);
      const listed = await runBaton(["jobs", "list", "--json", "--token", token], { env });
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toMatchObject({ jobs: [] });
      const fromEnv = await runBaton(["workers", "--json"], { env: { ...env, BATON_TOKEN: token } });
      expect(fromEnv.code).toBe(0);
      // The operate role cannot register: 403, exit 4, the missing permission named.
      const forbidden = await runBaton(["defs", "apply", join(defs, "quick.json"), "--token", token], { env });
      expect(forbidden.code).toBe(4);
      expect(forbidden.stderr).toContain("lacks the permission definitions.register");
    } finally {
      await secured.stop();
    }
  });
});
