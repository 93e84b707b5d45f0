/** `baton serve --config FILE` and `--print-config` on the compiled binary. */
import { describe, expect, test } from "bun:test";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, JOBS, runBaton, spawnBaton, tempDir, waitFor } from "./harness.ts";

describe("serve --config FILE", () => {
  test("listens where the file says, with the file's settings", async () => {
    const dir = tempDir();
    const port = freePort();
    const db = join(dir, "from-file.db");
    const file = join(dir, "baton.toml");
    writeFileSync(
      file,
      `# written by the test\nhost = "127.0.0.1"\nport = ${port}\ndb = "${db}"\njobs = "${JOBS}"\nmax-concurrent-jobs = 3\nlog-level = "warn"\n`,
    );
    const proc = spawnBaton(["serve", "--config", file]);
    const url = `http://127.0.0.1:${port}`;
    await waitFor("the server to answer on the file's port", async () => {
      if (proc.exitCode !== null) throw new Error(`baton exited with ${proc.exitCode}: ${await new Response(proc.stderr).text()}`);
      try {
        return (await fetch(`${url}/healthz`)).status === 200;
      } catch {
        return false;
      }
    });
    const system = (await (await fetch(`${url}/system/state`)).json()) as { maxConcurrentJobs: number };
    expect(system.maxConcurrentJobs).toBe(3);
    expect((await fetch(`${url}/job-definitions/example-job`)).status).toBe(200);
    expect(existsSync(db)).toBe(true);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(0);
    // log-level = "warn": the INFO line "baton is serving" was not written
    expect(await new Response(proc.stderr).text()).not.toContain("baton is serving");
  });

  test("--print-config prints the file, the variable and the flag with their sources, and exits 0 without serving", async () => {
    const dir = tempDir();
    const file = join(dir, "baton.toml");
    writeFileSync(file, "port = 9001\nmax-concurrent-jobs = 3\nallow-shell-api = true\n");
    const { code, stdout, stderr } = await runBaton(["serve", "--print-config", "--max-concurrent-jobs", "5"], {
      env: { BATON_CONFIG: file, BATON_LOG_LEVEL: "debug" },
    });
    expect([code, stderr]).toEqual([0, ""]);
    expect(stdout).toMatch(new RegExp(`^port = 9001 +# file ${file}$`, "m"));
    expect(stdout).toMatch(/^max-concurrent-jobs = 5 +# flag --max-concurrent-jobs$/m);
    expect(stdout).toMatch(/^log-level = "debug" +# env BATON_LOG_LEVEL$/m);
    expect(stdout).toMatch(/^allow-shell-api = true +# file /m);
    expect(stdout).toMatch(/^host = "127.0.0.1" +# default$/m);
    expect(existsSync(join(dir, "data"))).toBe(false);
  });
});

describe("a bad config file exits 2 with one line naming the file and the key", () => {
  const cases: [string, string | null, string][] = [
    ["a wrong type", 'port = "eighty"\n', '"port" must be a whole number from 0 to 65535, got "eighty"'],
    ["an unknown key", "max_concurrent_jobs = 3\n", 'unknown key "max_concurrent_jobs"; did you mean "max-concurrent-jobs"?'],
    ["a syntax error", "port = 8080\nhost = \n", "is not valid TOML: line 2, column 8: invalid value"],
    ["a missing file", null, "cannot read it: it does not exist"],
  ];
  for (const [what, text, message] of cases) {
    test(what, async () => {
      const file = join(tempDir(), "baton.toml");
      if (text !== null) writeFileSync(file, text);
      const { code, stdout, stderr } = await runBaton(["serve", "--config", file]);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(stderr).toStartWith(`baton: config file ${file}`);
      expect(stderr).toContain(message);
    });
  }
});
