/**
 * The Bun and the Deno side of each doorway behave the same: test/helpers/runtime-probe.ts
 * drives HTTP, child processes and sd_notify through the doorway modules, run once by Bun and
 * once by `deno run` with the permissions of `npm run start:deno`, and both must report the same.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenForNotifications } from "../../test/helpers/notify-socket.ts";

const ROOT = join(import.meta.dir, "..", "..");
const PROBE = join(ROOT, "test", "helpers", "runtime-probe.ts");
const DENO = join(ROOT, "node_modules", ".bin", "deno");

/** The flags of `npm run start:deno` (package.json): what lies between `deno run` and `src/cli/main.ts serve`. */
const DENO_FLAGS: string[] = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"))
  .scripts["start:deno"].trim()
  .split(/\s+/)
  .slice(2, -2);

const RUNTIMES: Record<string, (probe: string, arg?: string) => string[]> = {
  bun: (probe, arg) => [process.execPath, PROBE, probe, ...(arg === undefined ? [] : [arg])],
  deno: (probe, arg) => [DENO, "run", ...DENO_FLAGS, PROBE, probe, ...(arg === undefined ? [] : [arg])],
};

/** Runs a probe to its end and reads its one JSON line; asynchronously, since the notify listener polls while it runs. */
async function probe(runtime: string, what: string, arg?: string): Promise<any> {
  const [cmd, ...args] = RUNTIMES[runtime]!(what, arg);
  const proc = Bun.spawn([cmd!, ...args], { cwd: ROOT, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" } });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`${runtime} probe ${what} exited with ${code}:\n${err}`);
  return JSON.parse(out);
}

for (const runtime of Object.keys(RUNTIMES)) {
  describe(`the ${runtime} side`, () => {
    test("names its runtime for baton_build_info", async () => {
      expect(await probe(runtime, "runtime")).toMatch(new RegExp(`^${runtime} \\d+\\.\\d+\\.\\d+`));
    });

    test("child processes: stdin, exit codes, the whole group killed on abort and when the leader exits, start failures in words", async () => {
      const r = await probe(runtime, "process");
      expect(r.stdin).toEqual({ exit: { exitCode: 0, signal: null }, stdout: "hello from stdin" });
      expect(r.code).toEqual({ exitCode: 3, signal: null });
      expect(r.group).toEqual({ exit: { exitCode: null, signal: "SIGTERM" }, grandchildAlive: false });
      expect(r.orphanAlive).toBe(false);
      expect(r.missing).toStartWith('cannot start "baton-no-such-program" (looked up on PATH=');
      expect(r.badCwd).toBe("cwd /nonexistent-baton-cwd does not exist");
    });

    test("HTTP: serves with the peer's address and the body, refuses a taken port with EADDRINUSE, stops listening on stop", async () => {
      expect(await probe(runtime, "http")).toEqual({
        answer: { path: "/x", peer: "127.0.0.1", body: "abc" },
        inUse: "EADDRINUSE",
        afterStop: "refused",
      });
    });

    test("sd_notify: datagrams reach the socket; a socket nobody listens on is libc's reason", async () => {
      const dir = mkdtempSync(join(tmpdir(), "baton-sides-"));
      const socket = join(dir, "notify.sock");
      const listener = listenForNotifications(socket);
      try {
        expect(await probe(runtime, "notify", socket)).toEqual({ sent: true });
        await listener.next((m) => m === "WATCHDOG=1");
        expect(listener.messages.map((m) => m.text)).toEqual(["READY=1", "WATCHDOG=1"]);
        expect(await probe(runtime, "notify", join(dir, "nobody.sock"))).toEqual({
          error: `sendto ${join(dir, "nobody.sock")} failed: No such file or directory`,
        });
      } finally {
        listener.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
