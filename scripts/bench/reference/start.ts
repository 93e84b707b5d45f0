/**
 * Starts one of the benchmark's reference servers (`naive.ts`, `raw.ts`, `framework.ts`, `floor.ts`) as its
 * own Bun process on 127.0.0.1, on a port the server picks itself (it prints its URL once
 * listening), and kills it at exit whatever happens.
 */
import { join } from "node:path";
import type { Subprocess } from "bun";
import { atExit, BUN } from "../common.ts";

export type ReferenceKind = "naive" | "raw" | "framework" | "floor";

export interface ReferenceServer {
  kind: ReferenceKind;
  url: string;
  proc: Subprocess;
  stop(): Promise<void>;
}

/** `args` go to the server: for `naive`, the database path, the slot count and the sync level; for `floor`, its mode and database path. */
export async function startReference(kind: ReferenceKind, args: string[] = []): Promise<ReferenceServer> {
  const proc = Bun.spawn([BUN, join(import.meta.dir, `${kind}.ts`), ...args], { stdout: "pipe", stderr: "inherit" });
  atExit(() => proc.kill("SIGKILL"));
  const timer = setTimeout(() => proc.kill("SIGKILL"), 30_000);
  let text = "";
  const decoder = new TextDecoder();
  for await (const chunk of proc.stdout) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes("\n")) break;
  }
  clearTimeout(timer);
  const url = text.split("\n")[0]!;
  if (!url.startsWith("http://127.0.0.1:"))
    throw new Error(`the ${kind} reference server exited before serving (code ${await proc.exited})`);
  return {
    kind,
    url,
    proc,
    async stop() {
      proc.kill("SIGTERM");
      const kill = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await proc.exited;
      clearTimeout(kill);
    },
  };
}
