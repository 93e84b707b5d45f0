/**
 * `shell`: runs a command in a clean environment and a process group of its own (through the
 * `ProcessRunner` it is given), keeps the head and tail of stdout and stderr, and returns
 * `{exitCode, stdout, stderr, json?}`. A non-zero exit fails the attempt as
 * `Shell.ExitCode.<n>`, death by a signal as `Shell.Signal.<NAME>`; a timeout, cancel or
 * shutdown is decided by the attempt's signal (the runner kills the group).
 */
import { HeadTailCapture } from "../domain/capture.ts";
import { NonRetryableError } from "../domain/errors.ts";
import { MAX_OUTPUT_BYTES, type TaskContext, type TaskFunction } from "../domain/function.ts";
import type { ProcessExit, ProcessRunner } from "../domain/process.ts";
import { checkShellParams, parseShellParams, type ShellParams } from "../domain/shell-params.ts";

export interface ShellDeps {
  run: ProcessRunner;
  /** The variables of Baton's own environment every child gets (PATH, HOME, LANG, TZ, TMPDIR). */
  baseEnv: Readonly<Record<string, string>>;
  /** Cap of each captured stream, in bytes; a task may lower it with `params.maxOutputBytes`. */
  maxOutputBytes: number;
}

/** The output of a command that exited 0. */
export interface ShellOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when it is JSON (and was not truncated). */
  json?: unknown;
}

/** Linux refuses a single environment string above 128 KiB (MAX_ARG_STRLEN), name included. */
const MAX_ENV_VALUE_BYTES = 128 * 1024 - "BATON_INPUT=".length - 1;
/** How much of stderr (or stdout) a failure's message quotes. */
const MESSAGE_TAIL_CHARS = 2000;

const byteLength = (s: string) => new TextEncoder().encode(s).length;

export function shellTask(deps: ShellDeps): TaskFunction {
  const shell = async (ctx: TaskContext): Promise<ShellOutput> => {
    const params = parseShellParams(ctx.params);
    const cap = Math.min(params.maxOutputBytes ?? deps.maxOutputBytes, deps.maxOutputBytes);
    const stdout = new HeadTailCapture(cap);
    const stderr = new HeadTailCapture(cap);
    const env = childEnv(deps.baseEnv, params, ctx);
    let exit: ProcessExit;
    try {
      exit = await deps.run({
        argv: params.argv,
        env,
        ...(params.cwd === undefined ? {} : { cwd: params.cwd }),
        ...(params.stdin === undefined ? {} : { stdin: params.stdin }),
        onStdout: (chunk) => stdout.push(chunk),
        onStderr: (chunk) => stderr.push(chunk),
        signal: ctx.signal,
        killGraceMs: params.killGraceSeconds * 1000,
      });
    } catch (err) {
      throw named("Shell.SpawnFailed", (err as Error).message);
    }
    // Killed for a timeout, cancel or shutdown: the signal's reason is the outcome, not the kill.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const out = stdout.text();
    const err = stderr.text();
    if (exit.signal !== null) throw named(`Shell.Signal.${exit.signal}`, `the command was killed by ${exit.signal}${said(out, err)}`);
    if (exit.exitCode !== 0)
      throw named(`Shell.ExitCode.${exit.exitCode}`, `the command exited with code ${exit.exitCode}${said(out, err)}`);
    return fitOutput(0, stdout, stderr, parsedJson(out, stdout.truncated));
  };
  return Object.assign(shell, { checkParams: checkShellParams });
}

/** The base variables, then `params.env`, then the task's own `BATON_*` (which win). */
function childEnv(base: Readonly<Record<string, string>>, params: ShellParams, ctx: TaskContext): Record<string, string> {
  const input = JSON.stringify(ctx.input);
  if (byteLength(input) > MAX_ENV_VALUE_BYTES) {
    throw new NonRetryableError(
      `the execution input is ${byteLength(input)} bytes of JSON, more than one environment variable can hold (128 KiB), so BATON_INPUT cannot be set; pass it on stdin instead: "stdin": "{{input}}"`,
    );
  }
  return {
    ...base,
    ...params.env,
    BATON_EXECUTION_ID: ctx.executionId,
    BATON_TASK_ID: ctx.taskId,
    BATON_ATTEMPT: String(ctx.attempt),
    BATON_INPUT: input,
  };
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** The end of what the command said (stderr, else stdout), for the failure's message. */
function said(stdout: string, stderr: string): string {
  const text = (stderr.trim() === "" ? stdout : stderr).trimEnd();
  if (text === "") return "";
  const tail = text.length > MESSAGE_TAIL_CHARS ? `…${text.slice(-MESSAGE_TAIL_CHARS)}` : text;
  return `; ${stderr.trim() === "" ? "stdout" : "stderr"} ends with: ${tail}`;
}

function parsedJson(stdout: string, truncated: boolean): { json?: unknown } {
  if (truncated || stdout.trim() === "") return {};
  try {
    return { json: JSON.parse(stdout) };
  } catch {
    return {};
  }
}

const jsonBytes = (value: unknown) => byteLength(JSON.stringify(value));

/**
 * The output, fitted into a task output's limit (`MAX_OUTPUT_BYTES` of JSON). The `json` field is the data
 * passed downstream, so it stays whole; the `stdout` and `stderr` texts keep less of their
 * head and tail, each at least half of the room left when it needs it, and their markers still
 * count every byte dropped. If `json` alone is too large the output stays over the limit, and
 * the attempt fails as States.DataLimitExceeded.
 */
export function fitOutput(
  exitCode: number,
  stdout: HeadTailCapture,
  stderr: HeadTailCapture,
  json: { json?: unknown },
  limit = MAX_OUTPUT_BYTES,
): ShellOutput {
  const whole = { exitCode, stdout: stdout.text(), stderr: stderr.text(), ...json };
  if (jsonBytes(whole) <= limit) return whole;
  // A marker takes under 100 bytes.
  const room = Math.max(0, limit - jsonBytes({ ...whole, stdout: "", stderr: "" }) - 200);
  const forOut = Math.min(jsonBytes(whole.stdout), Math.max(room / 2, room - jsonBytes(whole.stderr)));
  return { ...whole, stdout: shrink(stdout, whole.stdout, forOut), stderr: shrink(stderr, whole.stderr, room - forOut) };
}

/** The capture's text in at most `maxBytes` of JSON (a byte may escape to six: shrink until it fits). */
function shrink(capture: HeadTailCapture, text: string, maxBytes: number): string {
  let bytes = jsonBytes(text);
  let keep = Math.min(capture.capBytes, capture.totalBytes);
  while (bytes > maxBytes && keep > 0) {
    keep = Math.floor(keep * Math.min(0.95, maxBytes / bytes));
    text = capture.text(keep);
    bytes = jsonBytes(text) - 100;
  }
  return text;
}
