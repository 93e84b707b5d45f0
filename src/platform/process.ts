/**
 * The one place Baton starts child processes, for the `shell` task kind, through the running
 * runtime's side (`process-bun.ts`: `Bun.spawn`; `process-deno.ts`: `Deno.Command`). Each
 * child leads a process group of its own (`setsid`), so a kill reaches everything it started:
 * on abort the group gets SIGTERM, then SIGKILL after the grace period; when the child exits
 * by itself, whatever it left in its group is killed at once (its pipes then close, so a
 * background process cannot hold the attempt open); and when Baton exits, every group still
 * running is killed.
 */
import { statSync } from "node:fs";
import type { ProcessExit, ProcessRequest, ProcessRunner } from "../domain/process.ts";
import { ON_DENO } from "./runtime.ts";
import type { Child, SpawnChild } from "./sides.ts";

const { spawnChild }: { spawnChild: SpawnChild } = ON_DENO ? await import("./process-deno.ts") : await import("./process-bun.ts");

/** The variables of Baton's own environment a child gets; nothing else is inherited. */
export const INHERITED_VARIABLES = ["PATH", "HOME", "LANG", "TZ", "TMPDIR"] as const;

/** `INHERITED_VARIABLES` as this process has them (unset ones are left out). */
export function baseEnvironment(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of INHERITED_VARIABLES) {
    const value = env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Process groups started and not yet known to be over, by their leader's pid. */
const groups = new Set<number>();
let exitHookInstalled = false;

/** Signals every process of a group; false when none is left. */
function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is empty
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Runs on process.exit too (the end of a shutdown): no child outlives Baton.
  process.on("exit", () => {
    for (const pgid of groups) signalGroup(pgid, "SIGKILL");
  });
}

export const runProcess: ProcessRunner = async (request: ProcessRequest): Promise<ProcessExit> => {
  let child: Child;
  try {
    child = spawnChild(request);
  } catch (err) {
    throw new Error(spawnProblem(request, err));
  }
  const pgid = child.pid;
  groups.add(pgid);
  installExitHook();
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const onAbort = () => {
    signalGroup(pgid, "SIGTERM");
    killTimer = setTimeout(() => signalGroup(pgid, "SIGKILL"), request.killGraceMs);
  };
  if (request.signal.aborted) onAbort();
  else request.signal.addEventListener("abort", onAbort, { once: true });
  // The leader exited by itself: what it left behind goes now. After an abort the grace
  // period still applies to the rest of the group (the timer above sends the SIGKILL).
  const exited = child.exited.then((exit) => {
    if (!request.signal.aborted) signalGroup(pgid, "SIGKILL");
    return exit;
  });
  try {
    const [, , exit] = await Promise.all([drain(child.stdout, request.onStdout), drain(child.stderr, request.onStderr), exited]);
    return exit;
  } finally {
    request.signal.removeEventListener("abort", onAbort);
    clearTimeout(killTimer);
    // Anything still alive in the group (a grandchild that closed its pipes) does not outlive the attempt.
    signalGroup(pgid, "SIGKILL");
    groups.delete(pgid);
  }
};

async function drain(stream: ReadableStream<Uint8Array>, onChunk: (chunk: Uint8Array) => void): Promise<void> {
  for await (const chunk of stream) onChunk(chunk);
}

/** Why a child could not start, in words an operator can act on. */
function spawnProblem(request: ProcessRequest, err: unknown): string {
  const reason = err instanceof Error ? err.message : String(err);
  if (request.cwd !== undefined) {
    try {
      if (!statSync(request.cwd).isDirectory()) return `cwd ${request.cwd} is not a directory`;
    } catch {
      return `cwd ${request.cwd} does not exist`;
    }
  }
  return `cannot start ${JSON.stringify(request.argv[0])} (looked up on PATH=${request.env.PATH ?? "(unset)"}): ${reason}`;
}
