/**
 * An execution as the client commands show it and wait for it: the human view of
 * `GET /jobs/{id}/state`, the exit code of a settled status, and the wait itself (polling the
 * state at a modest, growing interval until it settles).
 */

import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { UsageError } from "../../config.ts";
import { EXIT, type Session, seg } from "../session.ts";
import { fields, table, when } from "../table.ts";

export interface ErrorInfo {
  taskId?: string;
  name?: string;
  message?: string;
}

export interface TaskState {
  id: string;
  status: string;
  attempts: number;
  startedAt: string | null;
  endTime: string | null;
  nextAttemptAt: string | null;
  error: ErrorInfo | null;
  carriedOver?: boolean;
}

export interface ExecutionState {
  id: string;
  definitionId: string;
  definitionVersion: number;
  status: string;
  createdAt: string;
  startedAt: string | null;
  endTime: string | null;
  runAt: string | null;
  waitingFor: string | null;
  error: ErrorInfo | null;
  rerunOf: string | null;
  reruns: string[];
  scheduleId: string | null;
  tasks: TaskState[];
}

export const SETTLED = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/** 0 for COMPLETED, 1 for FAILED, 3 for CANCELLED. */
export function exitCodeOf(status: string): number {
  return status === "FAILED" ? EXIT.failed : status === "CANCELLED" ? EXIT.cancelled : EXIT.done;
}

/** "PaymentDeclined: card refused" (with "in charge" for an execution's error). */
export function errorText(e: ErrorInfo | null | undefined): string | null {
  if (!e) return null;
  const what = [e.name, e.message].filter(Boolean).join(": ");
  return e.taskId ? `${what} (task ${e.taskId})` : what;
}

export function executionText(x: ExecutionState): string {
  const head = fields([
    ["id", x.id],
    ["definition", `${x.definitionId} v${x.definitionVersion}`],
    ["status", x.waitingFor ? `${x.status} (waiting for ${x.waitingFor})` : x.status],
    ["created", when(x.createdAt)],
    ["started", when(x.startedAt)],
    ["ended", when(x.endTime)],
    ...(x.runAt ? [["run at", when(x.runAt)] as [string, unknown]] : []),
    ...(x.scheduleId ? [["schedule", x.scheduleId] as [string, unknown]] : []),
    ["error", errorText(x.error)],
    ...(x.rerunOf ? [["rerun of", x.rerunOf] as [string, unknown]] : []),
    ...(x.reruns.length > 0 ? [["reruns", x.reruns] as [string, unknown]] : []),
  ]);
  const tasks = table(
    x.tasks,
    [
      { header: "TASK", cell: (t) => t.id },
      { header: "STATUS", cell: (t) => (t.carriedOver ? `${t.status} (carried over)` : t.status) },
      { header: "ATTEMPTS", cell: (t) => t.attempts },
      { header: "STARTED", cell: (t) => when(t.startedAt) },
      { header: "ENDED", cell: (t) => when(t.endTime ?? t.nextAttemptAt) },
      { header: "ERROR", cell: (t) => errorText(t.error) },
    ],
    "no tasks",
  );
  return `${head}\n${tasks}`;
}

/** The first and the longest pause between two polls of a waiting command. */
export const POLL_FIRST_MS = 200;
export const POLL_MAX_MS = 1_000;

/** The next pause: half as long again, up to POLL_MAX_MS. */
export const nextPause = (ms: number): number => Math.min(POLL_MAX_MS, Math.round(ms * 1.5));

/** Polls the state until it settles; returns the settled state. */
export async function waitForSettled(s: Session, id: string): Promise<ExecutionState> {
  let pause = POLL_FIRST_MS;
  for (;;) {
    const { body } = await s.api.get<ExecutionState>(`/jobs/${seg(id)}/state`);
    if (SETTLED.has(body.status)) return body;
    await sleep(pause);
    pause = nextPause(pause);
  }
}

/** `--input`: inline JSON, `@file` for a JSON file, `-` for stdin. Bad JSON is bad usage. */
export function readInput(raw: string | undefined, stdin: () => string = () => readFileSync(0, "utf8")): unknown {
  if (raw === undefined) return undefined;
  let text: string;
  let where: string;
  if (raw === "-") {
    text = stdin();
    where = "stdin";
  } else if (raw.startsWith("@")) {
    where = raw.slice(1);
    try {
      text = readFileSync(where, "utf8");
    } catch (err) {
      throw new UsageError(`--input ${raw}: cannot read ${where} (${(err as NodeJS.ErrnoException).code ?? "error"})`);
    }
  } else {
    text = raw;
    where = "its value";
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(
      `--input: ${where} is not valid JSON (${(err as Error).message}); e.g. --input '{"orderId": 42}' or --input @input.json`,
    );
  }
}
