/** The Bun side of platform/process.ts: the only `Bun.spawn`. */
import { constants } from "node:os";
import type { SpawnChild } from "./sides.ts";

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export const spawnChild: SpawnChild = (request) => {
  const child = Bun.spawn(request.argv, {
    env: request.env,
    ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
    stdin: request.stdin === undefined ? "ignore" : new Blob([request.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    // setsid: the child leads a process group of its own.
    detached: true,
  });
  return {
    pid: child.pid,
    stdout: child.stdout,
    stderr: child.stderr,
    exited: child.exited.then(() => {
      if (child.exitCode !== null) return { exitCode: child.exitCode, signal: null };
      const code = child.signalCode;
      return { exitCode: null, signal: typeof code === "number" ? (SIGNAL_NAMES.get(code) ?? `SIG${code}`) : String(code) };
    }),
  };
};
