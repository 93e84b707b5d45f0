/**
 * Run by `bun` and by `deno run` from src/platform/sides.test.ts: drives the running runtime's side of the
 * doorways (HTTP, child processes, sd_notify) through the same doorway modules the server
 * uses, and prints what happened as one JSON object on stdout for the test to check.
 */
import { readFileSync } from "node:fs";
import { serveHttp } from "../../src/platform/http.ts";
import { runProcess } from "../../src/platform/process.ts";
import { RUNTIME } from "../../src/platform/runtime.ts";
import { openNotifySocket } from "../../src/platform/sd-notify.ts";

const [what, arg] = process.argv.slice(2);
const text = (chunks: Uint8Array[]) => Buffer.concat(chunks).toString("utf8");
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function run(argv: string[], options: { stdin?: string; abortOn?: RegExp; cwd?: string } = {}) {
  const out: Uint8Array[] = [];
  const controller = new AbortController();
  const exit = await runProcess({
    argv,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    onStdout: (chunk) => {
      out.push(chunk);
      if (options.abortOn?.test(text(out))) controller.abort();
    },
    onStderr: () => {},
    signal: controller.signal,
    killGraceMs: 5_000,
  });
  return { exit, stdout: text(out) };
}

/** Whether `pid` still runs (a zombie, killed and not yet reaped, does not), after a SIGKILL has had up to 5 s to land. */
async function alive(pid: number): Promise<boolean> {
  const running = () => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && running(); i++) await new Promise((r) => setTimeout(r, 50));
  return running();
}

const probes: Record<string, () => Promise<unknown>> = {
  runtime: async () => RUNTIME,
  notify: async () => {
    const send = openNotifySocket(arg!);
    try {
      send("READY=1");
      send("WATCHDOG=1");
      return { sent: true };
    } catch (err) {
      return { error: message(err) };
    }
  },
  process: async () => {
    const stdin = await run(["cat"], { stdin: "hello from stdin" });
    const code = await run(["sh", "-c", "exit 3"]);
    // The leader waits on a background grandchild; the abort must reach the grandchild too.
    const group = await run(["sh", "-c", "sleep 60 & echo grandchild=$!; wait"], { abortOn: /grandchild=\d+\n/ });
    const grandchild = Number(/grandchild=(\d+)/.exec(group.stdout)?.[1]);
    // A grandchild left behind when the leader exits by itself is killed at once.
    const leftBehind = await run(["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo grandchild=$!"]);
    const orphan = Number(/grandchild=(\d+)/.exec(leftBehind.stdout)?.[1]);
    const missing = await run(["baton-no-such-program"]).catch(message);
    const badCwd = await run(["true"], { cwd: "/nonexistent-baton-cwd" }).catch(message);
    return {
      stdin,
      code: code.exit,
      group: { exit: group.exit, grandchildAlive: await alive(grandchild) },
      orphanAlive: await alive(orphan),
      missing,
      badCwd,
    };
  },
  http: async () => {
    const server = serveHttp(
      async (req, peer) => Response.json({ path: new URL(req.url).pathname, peer: peer.remoteAddress, body: await req.text() }),
      "127.0.0.1",
      0,
    );
    const answer = await (await fetch(`http://127.0.0.1:${server.port}/x`, { method: "POST", body: "abc" })).json();
    let inUse: unknown;
    try {
      serveHttp(() => new Response(""), "127.0.0.1", server.port);
    } catch (err) {
      inUse = (err as { code?: string }).code;
    }
    await server.stop(false);
    const afterStop = await fetch(`http://127.0.0.1:${server.port}/x`).then(
      () => "answered",
      () => "refused",
    );
    return { answer, inUse, afterStop };
  },
};

const probe = probes[what ?? ""];
if (probe === undefined) throw new Error(`runtime-probe: unknown probe ${what}; one of ${Object.keys(probes).join(", ")}`);
process.stdout.write(`${JSON.stringify(await probe())}\n`);
process.exit(0);
