/**
 * One database file, two runtimes: dist/baton (Bun) and `npm run start:deno`'s line (Deno) take
 * turns on it. What one committed, the other serves; an execution one was killed in the middle
 * of, the other resumes and finishes; the definitions keep their versions.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { batonCommand, execute, JOBS, register, runBaton, startBaton, state, tempDir, waitForStatus } from "./harness.ts";

const original = JSON.parse(readFileSync(join(JOBS, "example-job.json"), "utf8"));
/** The example's three tasks, each sleeping `ms`. */
const definition = (id: string, ms: number) => ({ ...original, id, tasks: original.tasks.map((t: object) => ({ ...t, params: { ms } })) });

const summary = (s: { status: string; definitionVersion: number; tasks: { id: string; status: string }[] }) => ({
  status: s.status,
  definitionVersion: s.definitionVersion,
  tasks: s.tasks.map((t) => [t.id, t.status]),
});

test("a database written by Bun opens under Deno, and the other way round; an execution Bun was killed in resumes under Deno", async () => {
  const db = join(tempDir(), "baton.db");
  const bun = await startBaton({ db, command: batonCommand("bun") });
  await register(bun, definition("fast", 20));
  await register(bun, definition("slow", 1_500));
  const done = await execute(bun, "fast", { by: "bun" });
  await waitForStatus(bun, done, ["COMPLETED"]);
  const cut = await execute(bun, "slow", { by: "bun" });
  await waitForStatus(bun, cut, ["RUNNING"]);
  await bun.kill9();

  const deno = await startBaton({ db, command: batonCommand("deno") });
  expect(summary(await state(deno, done))).toEqual({
    status: "COMPLETED",
    definitionVersion: 1,
    tasks: [
      ["task1", "COMPLETED"],
      ["task2", "COMPLETED"],
      ["task3", "COMPLETED"],
    ],
  });
  expect(summary(await waitForStatus(deno, cut, ["COMPLETED", "FAILED"]))).toMatchObject({ status: "COMPLETED", definitionVersion: 1 });
  expect(deno.logs()).toContain("resumed=1");
  await register(deno, definition("fast", 20)); // unchanged: the same version
  const byDeno = await execute(deno, "fast", { by: "deno" });
  await waitForStatus(deno, byDeno, ["COMPLETED"]);
  expect(await deno.stop("SIGTERM")).toBe(0);

  const again = await startBaton({ db, command: batonCommand("bun") });
  for (const id of [done, cut, byDeno]) expect((await state(again, id)).status).toBe("COMPLETED");
  expect((await again.json("GET", "/job-definitions/fast")).body.version).toBe(1);
  expect(await again.stop("SIGTERM")).toBe(0);
});

test("under Deno, a permission left out of the command line is refused naming the flag to add", async () => {
  const deno = batonCommand("deno");
  const without = (flag: string) => ({ command: deno.filter((w) => w !== flag), env: { NO_COLOR: "1" } });
  const dir = tempDir();
  // No write permission: the database's folder cannot be created or written (it was "input/output error").
  const db = join(dir, "data", "baton.db");
  const write = await runBaton(["serve", "--port", "0", "--db", db, "--jobs", JOBS], without("--allow-write"));
  expect(write.code).toBe(1);
  expect(write.stderr.trim().split("\n")).toEqual([
    `baton: cannot start: cannot open the database ${db}: Requires write access to "${join(dir, "data")}", run again with the --allow-write flag`,
  ]);
  const read = await runBaton(["serve", "--port", "0", "--db", join(dir, "baton.db"), "--jobs", JOBS], without("--allow-read"));
  expect(read.code).toBe(1);
  expect(read.stderr.trim().split("\n").at(-1)).toContain("run again with the --allow-read flag");
});
