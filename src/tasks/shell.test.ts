import { describe, expect, test } from "bun:test";
import { HeadTailCapture } from "../domain/capture.ts";
import { ErrorNames, TaskTimeoutError } from "../domain/errors.ts";
import { MAX_OUTPUT_BYTES, type TaskContext } from "../domain/function.ts";
import type { ProcessExit, ProcessRequest } from "../domain/process.ts";
import { fitOutput, type ShellOutput, shellTask } from "./shell.ts";

const enc = new TextEncoder();

/** A runner that records its request, writes the given output and ends as told. */
function fakeRunner(opts: {
  stdout?: string | Uint8Array[];
  stderr?: string;
  exit?: ProcessExit;
  fail?: Error;
  onRun?: (r: ProcessRequest) => void;
}) {
  const requests: ProcessRequest[] = [];
  const run = async (request: ProcessRequest): Promise<ProcessExit> => {
    requests.push(request);
    opts.onRun?.(request);
    if (opts.fail) throw opts.fail;
    const out = opts.stdout ?? "";
    for (const chunk of typeof out === "string" ? [enc.encode(out)] : out) request.onStdout(chunk);
    if (opts.stderr) request.onStderr(enc.encode(opts.stderr));
    return opts.exit ?? { exitCode: 0, signal: null };
  };
  return { run, requests };
}

const ctx = (params: Record<string, unknown>, signal = new AbortController().signal): TaskContext => ({
  executionId: "exec-1",
  taskId: "build",
  attempt: 2,
  input: { who: "ada" },
  params,
  results: {},
  signal,
  log: () => {},
});

const BASE = { PATH: "/usr/bin:/bin", HOME: "/home/baton" };

const outcome = async (p: Promise<unknown> | unknown) => {
  try {
    return { returned: await p };
  } catch (err) {
    return { threw: { name: (err as Error).name, message: (err as Error).message } };
  }
};

describe("shell", () => {
  test("runs the argv with the base env, params.env and the BATON_* variables (which win), and nothing else", async () => {
    const { run, requests } = fakeRunner({ stdout: "hello\n" });
    const shell = shellTask({ run, baseEnv: BASE, maxOutputBytes: 1024 });
    const out = await shell(
      ctx({ command: ["echo", "hello"], env: { PATH: "/opt/bin", BATON_TASK_ID: "mine", X: "1" }, cwd: "/srv", stdin: { a: 1 } }),
    );
    expect(out).toEqual({ exitCode: 0, stdout: "hello\n", stderr: "" });
    const [request] = requests;
    expect(request!.argv).toEqual(["echo", "hello"]);
    expect(request!.env).toEqual({
      PATH: "/opt/bin",
      HOME: "/home/baton",
      X: "1",
      BATON_EXECUTION_ID: "exec-1",
      BATON_TASK_ID: "build",
      BATON_ATTEMPT: "2",
      BATON_INPUT: '{"who":"ada"}',
    });
    expect(request!.cwd).toBe("/srv");
    expect(request!.stdin).toBe('{"a":1}');
    expect(request!.killGraceMs).toBe(5000);
  });

  test("stdout that is JSON is also given parsed, as json", async () => {
    const shell = shellTask({ run: fakeRunner({ stdout: ' {"count": 3}\n' }).run, baseEnv: BASE, maxOutputBytes: 1024 });
    expect(await shell(ctx({ command: ["x"] }))).toEqual({ exitCode: 0, stdout: ' {"count": 3}\n', stderr: "", json: { count: 3 } });
    const plain = shellTask({ run: fakeRunner({ stdout: "3 rows" }).run, baseEnv: BASE, maxOutputBytes: 1024 });
    expect(await plain(ctx({ command: ["x"] }))).not.toHaveProperty("json");
  });

  test("each stream keeps head and tail up to the cap; params.maxOutputBytes may only lower it; truncated JSON is not parsed", async () => {
    const big = `[${"1,".repeat(1000)}1]`;
    const shell = shellTask({ run: fakeRunner({ stdout: big, stderr: "e".repeat(500) }).run, baseEnv: BASE, maxOutputBytes: 100 });
    const out = (await shell(ctx({ command: ["x"], maxOutputBytes: 1_000_000 }))) as ShellOutput;
    expect(out.stdout).toStartWith(`[${"1,".repeat(24)}1\n…`);
    expect(out.stdout).toContain(`\n…[${big.length - 100} bytes truncated]…\n`);
    expect(out.stdout).toEndWith(`${"1,".repeat(24)}1]`);
    expect(out.stderr).toContain("…[400 bytes truncated]…");
    expect(out).not.toHaveProperty("json");
    const lowered = shellTask({ run: fakeRunner({ stdout: "x".repeat(50) }).run, baseEnv: BASE, maxOutputBytes: 100 });
    expect(((await lowered(ctx({ command: ["x"], maxOutputBytes: 10 }))) as ShellOutput).stdout).toBe(
      `xxxxx\n…[40 bytes truncated]…\nxxxxx`,
    );
  });

  test("a non-zero exit is Shell.ExitCode.<n>, a signal Shell.Signal.<NAME>, with the end of stderr (or stdout) in the message", async () => {
    const exit75 = shellTask({
      run: fakeRunner({ stderr: "try later\n", exit: { exitCode: 75, signal: null } }).run,
      baseEnv: BASE,
      maxOutputBytes: 1024,
    });
    expect(await outcome(exit75(ctx({ command: ["x"] })))).toEqual({
      threw: { name: "Shell.ExitCode.75", message: "the command exited with code 75; stderr ends with: try later" },
    });
    const killed = shellTask({
      run: fakeRunner({ stdout: "half", exit: { exitCode: null, signal: "SIGKILL" } }).run,
      baseEnv: BASE,
      maxOutputBytes: 1024,
    });
    expect(await outcome(killed(ctx({ command: ["x"] })))).toEqual({
      threw: { name: "Shell.Signal.SIGKILL", message: "the command was killed by SIGKILL; stdout ends with: half" },
    });
    const quiet = shellTask({ run: fakeRunner({ exit: { exitCode: 1, signal: null } }).run, baseEnv: BASE, maxOutputBytes: 1024 });
    expect(await outcome(quiet(ctx({ command: ["x"] })))).toEqual({
      threw: { name: "Shell.ExitCode.1", message: "the command exited with code 1" },
    });
  });

  test("aborted (timeout, cancel, shutdown): the signal's reason is the outcome, whatever the kill made the command exit with", async () => {
    const controller = new AbortController();
    const { run, requests } = fakeRunner({
      exit: { exitCode: null, signal: "SIGTERM" },
      onRun: () => controller.abort(new TaskTimeoutError(2)),
    });
    const shell = shellTask({ run, baseEnv: BASE, maxOutputBytes: 1024 });
    expect(await outcome(shell(ctx({ command: ["sleep", "60"], killGraceSeconds: 1 }, controller.signal)))).toMatchObject({
      threw: { name: ErrorNames.Timeout },
    });
    expect(requests[0]!.signal).toBe(controller.signal);
    expect(requests[0]!.killGraceMs).toBe(1000);
  });

  test("a command that cannot start is Shell.SpawnFailed; bad params and an input too big for BATON_INPUT are non-retryable", async () => {
    const { run, requests } = fakeRunner({ fail: new Error('cannot start "nope"') });
    const shell = shellTask({ run, baseEnv: BASE, maxOutputBytes: 1024 });
    expect(await outcome(shell(ctx({ command: ["nope"] })))).toEqual({
      threw: { name: "Shell.SpawnFailed", message: 'cannot start "nope"' },
    });
    expect(await outcome(shell(ctx({ command: "echo" })))).toMatchObject({ threw: { name: ErrorNames.NonRetryable } });
    const huge = { ...ctx({ command: ["x"] }), input: { blob: "x".repeat(128 * 1024) } };
    expect(await outcome(shell(huge))).toMatchObject({
      threw: { name: ErrorNames.NonRetryable, message: expect.stringContaining('"stdin": "{{input}}"') },
    });
    expect(requests).toHaveLength(1);
  });

  test("checks its params at registration", () => {
    const shell = shellTask({ run: fakeRunner({}).run, baseEnv: BASE, maxOutputBytes: 1024 });
    expect(shell.checkParams?.({ command: "ls" })).toEqual([
      { path: ".command", message: 'is a string, which runs only with "shell": true; or give an array like ["prog", "arg"]' },
    ]);
  });
});

describe("fitOutput", () => {
  const size = (o: unknown) => enc.encode(JSON.stringify(o)).length;
  const captured = (text: string, cap = MAX_OUTPUT_BYTES) => {
    const c = new HeadTailCapture(cap);
    c.push(enc.encode(text));
    return c;
  };

  test("leaves an output under the limit alone", () => {
    expect(fitOutput(0, captured("a"), captured("b"), { json: 1 })).toEqual({ exitCode: 0, stdout: "a", stderr: "b", json: 1 });
  });

  test("keeps json whole and less of stdout and stderr, whose markers count every byte dropped, until it fits", () => {
    const json = { rows: "r".repeat(MAX_OUTPUT_BYTES * 0.4) };
    const stdout = JSON.stringify(json);
    const out = fitOutput(0, captured(stdout), captured("\u0001".repeat(MAX_OUTPUT_BYTES * 2)), { json });
    expect(size(out)).toBeLessThanOrEqual(MAX_OUTPUT_BYTES);
    expect(out.json).toEqual(json);
    const [, head, dropped, tail] = out.stdout.match(/^(.*)\n…\[(\d+) bytes truncated\]…\n(.*)$/s) ?? [];
    expect(head).toStartWith('{"rows":"rrr');
    expect(tail).toEndWith('rrr"}');
    expect(head!.length + Number(dropped) + tail!.length).toBe(stdout.length);
    const [, errHead, errDropped, errTail] = out.stderr.match(/^(.*)\n…\[(\d+) bytes truncated\]…\n(.*)$/s) ?? [];
    expect(errHead!.length + Number(errDropped) + errTail!.length).toBe(MAX_OUTPUT_BYTES * 2);
    // Each text got about half of the room left beside json.
    expect(size(out.stdout)).toBeGreaterThan(MAX_OUTPUT_BYTES / 4);
    expect(size(out.stderr)).toBeGreaterThan(MAX_OUTPUT_BYTES / 4);
  });

  test("json alone over the limit stays over: the engine then fails the attempt as States.DataLimitExceeded", () => {
    const json = "j".repeat(MAX_OUTPUT_BYTES);
    expect(size(fitOutput(0, captured("x"), captured(""), { json }))).toBeGreaterThan(MAX_OUTPUT_BYTES);
  });
});
