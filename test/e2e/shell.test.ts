/**
 * The `shell` task kind against the compiled binary: JSON data flow between commands, retry by
 * exit code, the process group killed on timeout and cancel (grandchild included), 100 MB of
 * output without a hang, the clean environment, and the API refusal without --allow-shell-api.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Baton, execute, register, startBaton, state, tempDir, waitFor, waitForStatus } from "./harness.ts";

let baton: Baton;
let locked: Baton;
const work = tempDir();
const jobs = tempDir();

beforeAll(async () => {
  writeFileSync(
    join(jobs, "from-folder.json"),
    JSON.stringify({
      id: "from-folder",
      tasks: [{ id: "hello", functionName: "shell", params: { command: ["echo", "hello from the jobs folder"] } }],
    }),
  );
  [baton, locked] = await Promise.all([
    startBaton({
      jobs: null,
      args: ["--allow-shell-api", "--cancel-grace-seconds", "1"],
      env: { LANG: "C.UTF-8", TZ: "UTC", TMPDIR: work, BATON_E2E_SECRET: "must-not-leak", AWS_SECRET_ACCESS_KEY: "nor-this" },
    }),
    startBaton({ jobs }),
  ]);
});
afterAll(async () => {
  await Promise.all([baton?.stop(), locked?.stop()]);
});

/** A pid is gone when /proc no longer has it or it is a zombie (dead, waiting to be reaped). */
function isGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.startsWith("Z");
  } catch {
    return true;
  }
}

const readPid = (file: string) =>
  waitFor(`${file} to be written`, async () => {
    try {
      return Number(readFileSync(file, "utf8").trim()) || undefined;
    } catch {
      return undefined; // not written yet
    }
  });

describe("shell", () => {
  test("stdout that is JSON flows downstream as {{tasks.ID.output.json.field}}", async () => {
    await register(baton, {
      id: "sh-flow",
      tasks: [
        {
          id: "produce",
          functionName: "shell",
          params: { command: ["sh", "-c", 'printf \'{"count": %s, "who": "%s"}\' 3 "$WHO"'], env: { WHO: "{{input.who}}" } },
        },
        {
          id: "consume",
          functionName: "shell",
          params: { command: ["echo", "{{tasks.produce.output.json.count}} rows for {{tasks.produce.output.json.who}}"] },
        },
      ],
    });
    const done = await waitForStatus(baton, await execute(baton, "sh-flow", { who: "ada" }), ["COMPLETED", "FAILED"]);
    expect(done.status).toBe("COMPLETED");
    expect(done.tasks[0].output).toEqual({ exitCode: 0, stdout: '{"count": 3, "who": "ada"}', stderr: "", json: { count: 3, who: "ada" } });
    expect(done.output).toEqual({ consume: { exitCode: 0, stdout: "3 rows for ada\n", stderr: "" } });
  });

  test("a non-zero exit fails as Shell.ExitCode.<n>; Shell.ExitCode.* in errorEquals retries it, other entries do not", async () => {
    const counter = join(work, "attempts");
    await register(baton, {
      id: "sh-retry",
      tasks: [
        {
          id: "flaky",
          functionName: "shell",
          params: {
            command:
              'n=$(($(cat "$COUNTER" 2>/dev/null || echo 0) + 1)); echo $n > "$COUNTER"; [ $n -ge 3 ] || { echo "busy ($n)" >&2; exit 75; }; echo ok',
            shell: true,
            env: { COUNTER: counter },
          },
          retry: { maxAttempts: 3, intervalSeconds: 0, errorEquals: ["Shell.ExitCode.*"] },
        },
        {
          id: "broken",
          functionName: "shell",
          params: { command: ["sh", "-c", "echo no such table >&2; exit 3"] },
          retry: { maxAttempts: 5, intervalSeconds: 0, errorEquals: ["Shell.Signal.*", "Shell.ExitCode.75"] },
        },
      ],
    });
    const done = await waitForStatus(baton, await execute(baton, "sh-retry"), ["COMPLETED", "FAILED"]);
    expect(done.tasks[0]).toMatchObject({ status: "COMPLETED", attempts: 3, output: { exitCode: 0, stdout: "ok\n", stderr: "" } });
    expect(done.tasks[1]).toMatchObject({
      status: "FAILED",
      attempts: 1,
      error: { name: "Shell.ExitCode.3", message: "the command exited with code 3; stderr ends with: no such table" },
    });
  });

  test("on timeout the whole group goes, a grandchild that ignores SIGTERM included, and the error stays States.Timeout", async () => {
    const dir = tempDir();
    await register(baton, {
      id: "sh-timeout",
      tasks: [
        {
          id: "hang",
          functionName: "shell",
          timeoutSeconds: 1,
          params: { command: "(trap '' TERM; sleep 300) & echo $! > child.pid; sleep 300", shell: true, cwd: dir, killGraceSeconds: 1 },
        },
      ],
    });
    const id = await execute(baton, "sh-timeout");
    const grandchild = await readPid(join(dir, "child.pid"));
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
    expect(done.tasks[0].error.name).toBe("States.Timeout");
    await waitFor(`grandchild ${grandchild} to be killed`, async () => isGone(grandchild), 10_000);
  });

  test("on cancel the whole group goes", async () => {
    const dir = tempDir();
    await register(baton, {
      id: "sh-cancel",
      tasks: [
        {
          id: "hang",
          functionName: "shell",
          params: { command: "sleep 300 & echo $! > child.pid; echo $$ > leader.pid; wait", shell: true, cwd: dir },
        },
      ],
    });
    const id = await execute(baton, "sh-cancel");
    const [grandchild, leader] = [await readPid(join(dir, "child.pid")), await readPid(join(dir, "leader.pid"))];
    expect(isGone(grandchild)).toBe(false);
    expect((await baton.request("POST", `/jobs/${id}/cancel`)).status).toBe(202);
    expect((await waitForStatus(baton, id, ["CANCELLED"])).status).toBe("CANCELLED");
    await waitFor("the command's processes to be killed", async () => isGone(grandchild) && isGone(leader), 10_000);
  });

  test("on shutdown the whole group goes too, before Baton exits", async () => {
    const dir = tempDir();
    const own = await startBaton({ jobs: null, args: ["--allow-shell-api", "--shutdown-grace-seconds", "0.5"] });
    await register(own, {
      id: "sh-shutdown",
      tasks: [
        {
          id: "hang",
          functionName: "shell",
          params: { command: "(trap '' TERM; sleep 300) & echo $! > child.pid; wait", shell: true, cwd: dir },
        },
      ],
    });
    await execute(own, "sh-shutdown");
    const grandchild = await readPid(join(dir, "child.pid"));
    expect(isGone(grandchild)).toBe(false);
    expect(await own.stop("SIGTERM")).toBe(0);
    await waitFor(`grandchild ${grandchild} to be killed`, async () => isGone(grandchild), 10_000);
  });

  test("a command that exits leaving a background process completes at once, and the background process is killed", async () => {
    const dir = tempDir();
    await register(baton, {
      id: "sh-leftover",
      tasks: [
        { id: "leave", functionName: "shell", params: { command: "sleep 300 & echo $! > child.pid; echo started", shell: true, cwd: dir } },
      ],
    });
    const done = await waitForStatus(baton, await execute(baton, "sh-leftover"), ["COMPLETED", "FAILED"]);
    expect(done.tasks[0].output).toEqual({ exitCode: 0, stdout: "started\n", stderr: "" });
    const leftover = await readPid(join(dir, "child.pid"));
    await waitFor(`background process ${leftover} to be killed`, async () => isGone(leftover), 10_000);
  });

  test("a program that is not on PATH fails as Shell.SpawnFailed, saying where it was looked for", async () => {
    await register(baton, { id: "sh-missing", tasks: [{ id: "x", functionName: "shell", params: { command: ["no-such-program-here"] } }] });
    const done = await waitForStatus(baton, await execute(baton, "sh-missing"), ["COMPLETED", "FAILED"]);
    expect(done.tasks[0].error.name).toBe("Shell.SpawnFailed");
    expect(done.tasks[0].error.message).toStartWith('cannot start "no-such-program-here" (looked up on PATH=');
  });

  test("100 MB on stdout does not hang: it is drained, and head and tail are kept with a marker", async () => {
    await register(baton, {
      id: "sh-flood",
      tasks: [
        { id: "flood", functionName: "shell", params: { command: "head -c 100000000 /dev/zero | tr '\\0' a; echo done >&2", shell: true } },
      ],
    });
    const done = await waitForStatus(baton, await execute(baton, "sh-flood"), ["COMPLETED", "FAILED"], 60_000);
    expect(done.status).toBe("COMPLETED");
    const { stdout, stderr } = done.tasks[0].output;
    const [, head, dropped, tail] = stdout.match(/^(a+)\n…\[(\d+) bytes truncated\]…\n(a+)$/) ?? [];
    expect(head.length + Number(dropped) + tail.length).toBe(100_000_000);
    expect(stderr).toBe("done\n");
    // 1 MiB kept of stdout (the default cap), well inside the 4 MiB limit of a task output.
    expect(JSON.stringify(done.tasks[0].output).length).toBeLessThanOrEqual(1024 * 1024 + 1024);
  });

  test("the command sees PATH, HOME, LANG, TZ, TMPDIR, its env and the BATON_* variables, nothing else of Baton's", async () => {
    await register(baton, {
      id: "sh-env",
      tasks: [{ id: "show", functionName: "shell", params: { command: ["env"], env: { MINE: "{{input.mine}}" } } }],
    });
    const id = await execute(baton, "sh-env", { mine: "yes" });
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
    const seen = Object.fromEntries(
      (done.tasks[0].output.stdout as string)
        .trimEnd()
        .split("\n")
        .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
    );
    expect(Object.keys(seen).sort()).toEqual(
      ["BATON_ATTEMPT", "BATON_EXECUTION_ID", "BATON_INPUT", "BATON_TASK_ID", "HOME", "LANG", "MINE", "PATH", "TMPDIR", "TZ"].sort(),
    );
    expect(seen).toMatchObject({
      BATON_ATTEMPT: "1",
      BATON_EXECUTION_ID: id,
      BATON_TASK_ID: "show",
      BATON_INPUT: '{"mine":"yes"}',
      MINE: "yes",
      LANG: "C.UTF-8",
      TZ: "UTC",
      TMPDIR: work,
    });
  });

  test("without --allow-shell-api the API refuses shell with a 400 naming the flag; the jobs folder may still use it", async () => {
    const res = await locked.json("POST", "/job-definitions", {
      id: "sneaky",
      tasks: [{ id: "x", functionName: "shell", params: { command: ["id"] } }],
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain("--allow-shell-api");
    expect((await locked.json("GET", "/job-definitions/sneaky")).status).toBe(404);
    const done = await waitForStatus(locked, await execute(locked, "from-folder"), ["COMPLETED", "FAILED"]);
    expect(done.output).toEqual({ hello: { exitCode: 0, stdout: "hello from the jobs folder\n", stderr: "" } });
    expect((await state(locked, done.id)).status).toBe("COMPLETED");
  });
});
