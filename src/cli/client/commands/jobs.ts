/**
 * `baton run` and `baton jobs list|show|events|cancel|redrive|rerun`: executions through the
 * API. `run --wait` (and `rerun --wait`) follow the execution and exit 0, 1 or 3 by how it
 * settled; `events --follow` prints new events until it settles.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { UsageError } from "../../config.ts";
import { expectPositionals } from "../args.ts";
import { EXIT, printJson, type Session, seg, stringFlag } from "../session.ts";
import { table, when } from "../table.ts";
import {
  type ErrorInfo,
  type ExecutionState,
  errorText,
  executionText,
  exitCodeOf,
  nextPause,
  POLL_FIRST_MS,
  readInput,
  SETTLED,
  waitForSettled,
} from "./execution.ts";

export const STATUSES = ["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"];

interface Started {
  executionID: string;
  status: string;
  definitionVersion?: number;
  idempotentReplay?: boolean;
}

/** Prints the start (table mode), then either the answer or, with --wait, the settled state. */
async function startedThen(s: Session, started: Started, line: string): Promise<number> {
  if (s.values.wait !== true) {
    if (s.output === "json") printJson(s, started);
    else s.out(`${line}\n`);
    return EXIT.done;
  }
  if (s.output === "table") s.out(`${line}; waiting for it to finish…\n`);
  const settled = await waitForSettled(s, started.executionID);
  if (s.output === "json") printJson(s, settled);
  else s.out(`\n${executionText(settled)}`);
  return exitCodeOf(settled.status);
}

export async function run(s: Session): Promise<number> {
  const [def] = expectPositionals("run", s.positionals, ["a definition id"], "baton run example-job --input '{}'");
  const input = readInput(stringFlag(s, "input", "'{\"orderId\": 42}'"));
  const key = stringFlag(s, "idempotency-key", "order-42");
  const query = new URLSearchParams();
  const priority = stringFlag(s, "priority", "10");
  if (priority !== undefined) {
    if (!/^-?\d{1,4}$/.test(priority) || Math.abs(Number(priority)) > 1000)
      throw new UsageError(`--priority="${priority}" must be a whole number from -1000 to 1000 (higher starts first)`);
    query.set("priority", priority);
  }
  const delay = stringFlag(s, "delay-seconds", "3600");
  if (delay !== undefined) {
    if (!/^\d{1,9}$/.test(delay)) throw new UsageError(`--delay-seconds="${delay}" must be a whole number of seconds`);
    query.set("delaySeconds", delay);
  }
  const { body } = await s.api.post<Started>(
    `/jobs/${seg(def!)}/execute${query.size > 0 ? `?${query}` : ""}`,
    input ?? {},
    key === undefined ? {} : { "idempotency-key": key },
  );
  const what = `${def} v${body.definitionVersion}`;
  const line = body.idempotentReplay
    ? `already started ${body.executionID} (${what}) with idempotency key "${key}": ${body.status}`
    : `started ${body.executionID} (${what}): ${body.status}`;
  return startedThen(s, body, line);
}

export async function jobsList(s: Session): Promise<number> {
  expectPositionals("jobs list", s.positionals, [], "baton jobs list --status FAILED");
  const status = stringFlag(s, "status", "FAILED");
  if (status !== undefined && !STATUSES.includes(status.toUpperCase()))
    throw new UsageError(`--status="${status}" must be one of ${STATUSES.join(", ")}`);
  const limit = stringFlag(s, "limit", "20");
  if (limit !== undefined && !(/^\d{1,3}$/.test(limit) && Number(limit) >= 1 && Number(limit) <= 500))
    throw new UsageError(`--limit="${limit}" must be a whole number from 1 to 500`);
  const query = new URLSearchParams();
  if (status !== undefined) query.set("status", status.toUpperCase());
  const definition = stringFlag(s, "definition", "example-job");
  if (definition !== undefined) query.set("definitionId", definition);
  if (limit !== undefined) query.set("limit", limit);
  const cursor = stringFlag(s, "cursor", "7");
  if (cursor !== undefined) query.set("cursor", cursor);
  const q = query.toString();
  const { body } = await s.api.get<{ jobs: (ExecutionState & { error: ErrorInfo | null })[]; nextCursor: string | null }>(
    `/jobs${q === "" ? "" : `?${q}`}`,
  );
  if (s.output === "json") {
    printJson(s, body);
    return EXIT.done;
  }
  s.out(
    table(
      body.jobs,
      [
        { header: "ID", cell: (x) => x.id },
        { header: "DEFINITION", cell: (x) => `${x.definitionId} v${x.definitionVersion}` },
        { header: "STATUS", cell: (x) => x.status },
        { header: "CREATED", cell: (x) => when(x.createdAt) },
        { header: "ENDED", cell: (x) => when(x.endTime) },
        { header: "ERROR", cell: (x) => errorText(x.error) },
      ],
      "no executions match",
    ),
  );
  if (body.nextCursor !== null) s.out(`more: add --cursor ${body.nextCursor}\n`);
  return EXIT.done;
}

export async function jobsShow(s: Session): Promise<number> {
  const [id] = expectPositionals("jobs show", s.positionals, ["an execution id"], "baton jobs show 01a223c0-…");
  const { body } = await s.api.get<ExecutionState>(`/jobs/${seg(id!)}/state`);
  if (s.output === "json") printJson(s, body);
  else s.out(executionText(body));
  return EXIT.done;
}

interface Event {
  seq: number;
  timestamp: string;
  type: string;
  taskId?: string;
  attempt?: number;
  error?: ErrorInfo;
  nextAttemptAt?: string;
}

/** One event as one line: seq, time, type, task#attempt, error or next attempt. */
export function eventLine(e: Event): string {
  const task = e.taskId === undefined ? "" : `${e.taskId}${e.attempt === undefined ? "" : `#${e.attempt}`}`;
  const detail = [errorText(e.error), e.nextAttemptAt ? `next attempt ${when(e.nextAttemptAt, true)}` : null].filter(Boolean).join("; ");
  return `${String(e.seq).padStart(6)}  ${when(e.timestamp, true)}  ${e.type.padEnd(24)}  ${task.padEnd(12)}  ${detail}`.trimEnd();
}

export async function jobsEvents(s: Session): Promise<number> {
  const [id] = expectPositionals("jobs events", s.positionals, ["an execution id"], "baton jobs events 01a223c0-… --follow");
  const path = `/jobs/${seg(id!)}/events`;
  if (s.values.follow !== true) {
    const { body } = await s.api.get<{ events: Event[] }>(path);
    if (s.output === "json") printJson(s, body);
    else for (const e of body.events) s.out(`${eventLine(e)}\n`);
    return EXIT.done;
  }
  // Following: one JSON event per line for scripts, one text line per event for a person.
  let last = 0;
  let pause = POLL_FIRST_MS;
  for (;;) {
    // The state is read before the events, so the events read after a settled state are complete.
    const settled = SETTLED.has((await s.api.get<ExecutionState>(`/jobs/${seg(id!)}/state`)).body.status);
    const { body } = await s.api.get<{ events: Event[] }>(path);
    for (const e of body.events.filter((x) => x.seq > last)) {
      s.out(s.output === "json" ? `${JSON.stringify(e)}\n` : `${eventLine(e)}\n`);
      last = e.seq;
    }
    if (settled) return EXIT.done;
    await sleep(pause);
    pause = nextPause(pause);
  }
}

export async function jobsCancel(s: Session): Promise<number> {
  const [id] = expectPositionals("jobs cancel", s.positionals, ["an execution id"], "baton jobs cancel 01a223c0-…");
  const { body } = await s.api.post<{ executionID: string; status: string }>(`/jobs/${seg(id!)}/cancel`);
  if (s.output === "json") printJson(s, body);
  else if (body.status === "CANCELLED") s.out(`cancelled ${body.executionID}\n`);
  else s.out(`cancel requested for ${body.executionID}; its running attempts are being stopped (now ${body.status})\n`);
  return EXIT.done;
}

export async function jobsRedrive(s: Session): Promise<number> {
  const [id] = expectPositionals("jobs redrive", s.positionals, ["an execution id"], "baton jobs redrive 01a223c0-…");
  const { body } = await s.api.post<Started & { resetTasks: string[] }>(`/jobs/${seg(id!)}/redrive`);
  return startedThen(s, body, `redriven ${body.executionID}: ${body.status}, tasks run again: ${body.resetTasks.join(", ") || "none"}`);
}

export async function jobsRerun(s: Session): Promise<number> {
  const [id] = expectPositionals("jobs rerun", s.positionals, ["an execution id"], "baton jobs rerun 01a223c0-… --from task3");
  const from = stringFlag(s, "from", "task3");
  if (from === undefined) throw new UsageError("jobs rerun needs --from TASK, the first task to run again, e.g. --from task3");
  const input = readInput(stringFlag(s, "input", "'{\"orderId\": 42}'"));
  const { body } = await s.api.post<Started & { rerunOf: string }>(`/jobs/${seg(id!)}/rerun`, {
    fromTask: from,
    ...(input === undefined ? {} : { input }),
  });
  return startedThen(s, body, `started ${body.executionID}, a rerun of ${body.rerunOf} from task ${from}: ${body.status}`);
}
