/**
 * The client commands of `baton` (`defs`, `run`, `jobs`, `workers`, `schedules`): which
 * subcommand takes which flags, and the session each one runs with. They talk to a server
 * over its HTTP API only and never open a database.
 */
import { UsageError } from "../config.ts";
import { parseClientArgs } from "./args.ts";
import { schedules, workers } from "./commands/admin.ts";
import { defsApply, defsList, defsShow } from "./commands/defs.ts";
import { jobsCancel, jobsEvents, jobsList, jobsRedrive, jobsRerun, jobsShow, run } from "./commands/jobs.ts";
import { CLIENT_HELP } from "./help.ts";
import { client } from "./http.ts";
import type { Session } from "./session.ts";

type Flag = { type: "string" | "boolean" };
const str: Flag = { type: "string" };
const bool: Flag = { type: "boolean" };

interface Command {
  flags: Record<string, Flag>;
  handler: (s: Session) => Promise<number>;
}

/** Groups with subcommands; `run`, `workers` and `schedules` are groups of one (the key ""). */
const COMMANDS: Record<string, Record<string, Command>> = {
  defs: {
    apply: { flags: {}, handler: defsApply },
    list: { flags: {}, handler: defsList },
    show: { flags: { version: str }, handler: defsShow },
  },
  run: { "": { flags: { input: str, "idempotency-key": str, priority: str, "delay-seconds": str, wait: bool }, handler: run } },
  jobs: {
    list: { flags: { status: str, definition: str, limit: str, cursor: str }, handler: jobsList },
    show: { flags: {}, handler: jobsShow },
    events: { flags: { follow: bool }, handler: jobsEvents },
    cancel: { flags: {}, handler: jobsCancel },
    redrive: { flags: { wait: bool }, handler: jobsRedrive },
    rerun: { flags: { from: str, input: str, wait: bool }, handler: jobsRerun },
  },
  workers: { "": { flags: {}, handler: workers } },
  schedules: { "": { flags: {}, handler: schedules } },
};

export const CLIENT_COMMANDS = new Set(Object.keys(COMMANDS));

export interface ClientIo {
  env: Record<string, string | undefined>;
  isTTY: boolean;
  out(text: string): void;
}

/** Runs one client command; resolves to its exit code, throws UsageError (2) or ClientError (4). */
export async function runClient(group: string, args: string[], io: ClientIo): Promise<number> {
  const commands = COMMANDS[group]!;
  const isHelp = (a: string | undefined) => a === "--help" || a === "-h" || a === "help";
  let name = "";
  let rest = args;
  if (!("" in commands)) {
    if (args.length === 0 || isHelp(args[0])) {
      io.out(CLIENT_HELP[group]!);
      return 0;
    }
    name = args[0]!;
    rest = args.slice(1);
    if (!(name in commands)) throw new UsageError(`${group}: unknown command "${name}"; use ${Object.keys(commands).join(", ")}`);
  }
  const command = commands[name]!;
  const label = name === "" ? group : `${group} ${name}`;
  const parsed = parseClientArgs(label, rest, command.flags, io.env, io.isTTY);
  if (parsed.help) {
    io.out(CLIENT_HELP[group]!);
    return 0;
  }
  return command.handler({ ...parsed, api: client(parsed.connection), out: io.out });
}
