/** The command line and the process lifecycle of the compiled binary. */
import { describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  BINARY,
  E2E_RUNTIME,
  execute,
  JOBS,
  register,
  runBaton,
  spawnBaton,
  startBaton,
  tempDir,
  waitFor,
  waitForStatus,
} from "./harness.ts";

/** What only the compiled binary has: `npm run test:deno` runs this file without them. */
const binaryOnly = test.skipIf(E2E_RUNTIME === "deno");

describe("usage", () => {
  // The version and commit are embedded by scripts/build.ts; `deno run` prints package.json's, with -dev.
  binaryOnly("version prints the embedded version and commit", async () => {
    const { code, stdout } = await runBaton(["version"]);
    expect(code).toBe(0);
    expect(stdout.trim()).toMatch(/^\d+\.\d+\.\d+\+[0-9a-f]{4,}(\.dirty)?$|^\d+\.\d+\.\d+\+unknown$/);
  });

  test("--help and serve --help describe the commands and every flag", async () => {
    const main = await runBaton(["--help"]);
    expect(main.code).toBe(0);
    for (const word of ["serve", "validate", "version"]) expect(main.stdout).toContain(word);
    const serve = await runBaton(["serve", "--help"]);
    expect(serve.code).toBe(0);
    for (const flag of ["--host", "--port", "--db", "--jobs", "--max-concurrent-jobs", "--shutdown-grace-seconds", "BATON_PORT"]) {
      expect(serve.stdout).toContain(flag);
    }
  });

  const bad: [string, string[], Record<string, string>][] = [
    ["an unknown flag", ["serve", "--bogus"], {}],
    ["a port that is not a number", ["serve", "--port", "abc"], {}],
    ["a port out of range", ["serve", "--port", "70000"], {}],
    ["a zero concurrency limit", ["serve", "--max-concurrent-jobs", "0"], {}],
    ["a bad environment variable", ["serve"], { BATON_MAX_CONCURRENT_JOBS: "many" }],
    ["an unknown command", ["frobnicate"], {}],
    ["validate without files", ["validate"], {}],
  ];
  for (const [what, args, env] of bad) {
    test(`${what} exits 2 with one line on stderr`, async () => {
      const { code, stdout, stderr } = await runBaton(args, { env });
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr.trim().split("\n")).toHaveLength(1);
      expect(stderr).toStartWith("baton: ");
    });
  }

  test("a flag wins over its environment variable", async () => {
    const baton = await startBaton({ args: ["--max-concurrent-jobs", "4"], env: { BATON_MAX_CONCURRENT_JOBS: "7" } });
    expect((await baton.json("GET", "/system/state")).body.maxConcurrentJobs).toBe(4);
    expect(await baton.stop()).toBe(0);
  });
});

describe("validate", () => {
  test("accepts the shipped examples", async () => {
    const { code, stdout } = await runBaton([
      "validate",
      join(JOBS, "example-job.json"),
      join(JOBS, "dag-example.json"),
      join(JOBS, "flaky-example.json"),
    ]);
    expect(code).toBe(0);
    expect(stdout).toContain("example-job");
  });

  test("names the file and the field of every problem", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "bad.json"),
      JSON.stringify({
        id: "x",
        tasks: [
          { id: "a", functionName: "nope" },
          { id: "b", functionName: "noop", dependsOn: ["zz"] },
        ],
      }),
    );
    writeFileSync(join(dir, "negative.json"), JSON.stringify({ id: "y", tasks: [{ id: "b", functionName: "noop", maxRetry: -1 }] }));
    writeFileSync(join(dir, "broken.json"), "{ not json");
    const { code, stderr } = await runBaton(["validate", join(dir, "bad.json"), join(dir, "negative.json"), join(dir, "broken.json")]);
    expect(code).toBe(1);
    expect(stderr).toContain(`${join(dir, "bad.json")}: $.tasks[0].functionName`);
    expect(stderr).toContain(`${join(dir, "bad.json")}: $.tasks[1].dependsOn[0]`);
    expect(stderr).toContain(`${join(dir, "negative.json")}: $.tasks[0].maxRetry`);
    expect(stderr).toContain(`${join(dir, "broken.json")}: not valid JSON`);
  });
});

describe("start", () => {
  test("an invalid file in the jobs folder stops the start and loads nothing", async () => {
    const jobs = tempDir();
    writeFileSync(join(jobs, "a-good.json"), JSON.stringify({ id: "good", tasks: [{ id: "t", functionName: "noop" }] }));
    writeFileSync(join(jobs, "b-typo.json"), JSON.stringify({ id: "typo", tasks: [{ id: "t", functionName: "noop", dependOn: [] }] }));
    const db = join(tempDir(), "baton.db");
    const { code, stderr } = await runBaton(["serve", "--port", "0", "--db", db, "--jobs", jobs]);
    expect(code).toBe(1);
    expect(stderr).toContain("b-typo.json");
    expect(stderr).toContain("$.tasks[0].dependOn");
    // nothing was half-loaded: a start on the same database without that folder knows no "good"
    const baton = await startBaton({ db, jobs: tempDir() });
    expect((await baton.json("GET", "/job-definitions/good")).status).toBe(404);
    expect(await baton.stop()).toBe(0);
  });

  test("a missing jobs folder named explicitly stops the start", async () => {
    const { code, stderr } = await runBaton(["serve", "--port", "0", "--db", join(tempDir(), "x.db"), "--jobs", "/nonexistent/jobs"]);
    expect(code).toBe(1);
    expect(stderr).toContain("/nonexistent/jobs");
  });

  // The compiled binary's own file and its autoload switches: nothing of Deno's to check here.
  binaryOnly("the binary alone in an empty folder serves, ignoring a stray .env and bunfig.toml", async () => {
    const dir = tempDir();
    const alone = join(dir, "baton");
    copyFileSync(BINARY, alone);
    writeFileSync(join(dir, ".env"), "BATON_MAX_CONCURRENT_JOBS=3\nBATON_DB=./elsewhere.db\n");
    writeFileSync(join(dir, "preload.ts"), `require("node:fs").writeFileSync("${join(dir, "preloaded")}", "yes");\n`);
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    const baton = await startBaton({ binary: alone, cwd: dir, db: "./data/baton.db", jobs: null });
    const system = (await baton.json("GET", "/system/state")).body;
    expect(system.maxConcurrentJobs).toBe(10);
    expect(existsSync(join(dir, "data", "baton.db"))).toBe(true);
    expect(existsSync(join(dir, "elsewhere.db"))).toBe(false);
    expect(existsSync(join(dir, "preloaded"))).toBe(false);
    expect(await baton.stop()).toBe(0);
    // The checkpoint worker is compiled in: it started, and closed before the writer (who removed the WAL).
    expect(baton.logs()).not.toContain("background checkpoints stopped");
    expect(existsSync(join(dir, "data", "baton.db-wal"))).toBe(false);
  });

  test("a second server on the same database refuses to start", async () => {
    const db = join(tempDir(), "baton.db");
    const first = await startBaton({ db });
    const { code, stderr } = await runBaton(["serve", "--port", "0", "--db", db, "--jobs", JOBS]);
    expect(code).toBe(1);
    expect(stderr).toContain("in use");
    expect((await first.json("GET", "/healthz")).status).toBe(200);
    expect(await first.stop()).toBe(0);
  });
});

describe("shutdown", () => {
  test("SIGTERM waits for a running attempt within the grace period, records it, exits 0", async () => {
    const db = join(tempDir(), "baton.db");
    let baton = await startBaton({ db, args: ["--shutdown-grace-seconds", "10"] });
    await register(baton, {
      id: "short",
      tasks: [
        { id: "t", functionName: "sleep", params: { ms: 600 } },
        { id: "u", functionName: "noop" },
      ],
    });
    const id = await execute(baton, "short");
    await waitFor("t to run", async () => (await baton.json("GET", `/jobs/${id}/state`)).body.tasks[0].status === "RUNNING");
    const exited = baton.stop("SIGTERM");
    await Bun.sleep(100);
    // admission is closed while running attempts finish
    expect((await baton.request("POST", "/jobs/short/execute", {}).catch(() => null))?.status ?? 503).toBe(503);
    expect(await exited).toBe(0);
    baton = await startBaton({ db });
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
    expect(done.status).toBe("COMPLETED");
    const events = (await baton.json("GET", `/jobs/${id}/events`)).body.events as { type: string; taskId?: string }[];
    // t finished during the grace period: it ran exactly once
    expect(events.filter((e) => e.type === "TaskStarted" && e.taskId === "t")).toHaveLength(1);
    expect(await baton.stop()).toBe(0);
  });

  test("after the grace period the attempt is interrupted and re-runs at next start with the same attempt number", async () => {
    const db = join(tempDir(), "baton.db");
    let baton = await startBaton({ db, args: ["--shutdown-grace-seconds", "0.2"] });
    await register(baton, { id: "long", tasks: [{ id: "t", functionName: "sleep", params: { ms: 30_000 } }] });
    const id = await execute(baton, "long");
    await waitFor("t to run", async () => (await baton.json("GET", `/jobs/${id}/state`)).body.tasks[0].status === "RUNNING");
    const t0 = Date.now();
    expect(await baton.stop("SIGINT")).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    baton = await startBaton({ db });
    const s = (await baton.json("GET", `/jobs/${id}/state`)).body;
    expect(s.status).toBe("RUNNING");
    expect(s.tasks[0]).toMatchObject({ status: "RUNNING", attempts: 1 });
    const events = (await baton.json("GET", `/jobs/${id}/events`)).body.events as { type: string; attempt?: number; resumed?: boolean }[];
    const starts = events.filter((e) => e.type === "TaskStarted");
    expect(starts.map((e) => [e.attempt, e.resumed ?? false])).toEqual([
      [1, false],
      [1, true],
    ]);
    await baton.kill9();
  });
});

test("data/ is created under the working directory by default", async () => {
  const dir = tempDir();
  mkdirSync(join(dir, "jobs"));
  const proc = spawnBaton(["serve", "--port", "0"], { cwd: dir });
  await waitFor("the database file", async () => existsSync(join(dir, "data", "baton.db")), 10_000);
  proc.kill("SIGTERM");
  expect(await proc.exited).toBe(0);
});
