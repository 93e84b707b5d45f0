/**
 * The Deno side of platform/process.ts: the only `Deno.Command`. `detached` starts the child
 * in a new session (`setsid`), as `Bun.spawn`'s does, so it leads a process group of its own.
 */
import type { SpawnChild } from "./sides.ts";

export const spawnChild: SpawnChild = (request) => {
  const [program, ...args] = request.argv;
  const child = new Deno.Command(program ?? "", {
    args,
    env: request.env,
    clearEnv: true,
    ...(request.cwd === undefined ? {} : { cwd: request.cwd }),
    stdin: request.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    detached: true,
  }).spawn();
  if (request.stdin !== undefined) {
    const stdin = request.stdin;
    // A child that exits without reading its stdin closes the pipe: that is not an error of the attempt.
    void (async () => {
      const writer = child.stdin.getWriter();
      try {
        await writer.write(new TextEncoder().encode(stdin));
        await writer.close();
      } catch {
        // EPIPE: the child is gone or closed its stdin
      }
    })();
  }
  return {
    pid: child.pid,
    stdout: child.stdout,
    stderr: child.stderr,
    exited: child.status.then((s) => (s.signal === null ? { exitCode: s.code, signal: null } : { exitCode: null, signal: s.signal })),
  };
};
