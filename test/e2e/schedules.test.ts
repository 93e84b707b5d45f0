/**
 * Schedules against the compiled binary, on the real clock: a schedule every second gives
 * executions with distinct nominal times; pause and resume; `skip` never overlaps a slow run;
 * a SIGKILL and restart inside the catch-up window starts the missed fires, outside it records
 * them as missed, and never starts a slot twice; a paused state set through the API survives
 * restarts that load the same definition file again.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Baton, register, startBaton, tempDir, waitFor } from "./harness.ts";

let running: Baton[] = [];
afterEach(async () => {
  for (const b of running) if (b.proc.exitCode === null) await b.kill9();
  running = [];
});

async function start(options: Parameters<typeof startBaton>[0] = {}): Promise<Baton> {
  const baton = await startBaton({ jobs: null, ...options });
  running.push(baton);
  return baton;
}

interface Job {
  id: string;
  status: string;
  scheduleId: string | null;
  scheduledFor: string | null;
  startedAt: string | null;
  endTime: string | null;
}

const jobs = async (baton: Baton, definitionId = "tick"): Promise<Job[]> =>
  (await baton.json("GET", `/jobs?definitionId=${definitionId}&limit=500`)).body.jobs;
const schedule = async (baton: Baton, id: string, definitionId = "tick") =>
  (await baton.json("GET", `/schedules/${definitionId}/${id}`)).body;
const slots = (list: Job[], scheduleId: string) =>
  list
    .filter((j) => j.scheduleId === scheduleId)
    .map((j) => Date.parse(j.scheduledFor!))
    .sort((a, b) => a - b);

const tick = (schedules: Record<string, unknown>[], tasks: Record<string, unknown>[] = [{ id: "t", functionName: "noop" }]) => ({
  id: "tick",
  tasks,
  schedules,
});

test("every second: one execution per slot, distinct scheduledFor on whole seconds; none while paused; resume fires again", async () => {
  const baton = await start();
  await register(baton, tick([{ id: "s", cron: "* * * * * *", overlap: "allow" }]));
  await waitFor("three fires", async () => (await jobs(baton)).length >= 3, 10_000);
  const paused = await baton.json("POST", "/schedules/tick/s/pause");
  expect(paused).toMatchObject({ status: 200, body: { paused: true, nextFireTimes: [], lastAction: { action: "pause", actor: null } } });
  const before = await jobs(baton);
  const fired = slots(before, "s");
  expect(new Set(fired).size).toBe(fired.length);
  for (const t of fired) expect(t % 1000).toBe(0);
  await Bun.sleep(2200);
  expect((await jobs(baton)).length).toBe(before.length);
  const resumedAt = Date.now();
  expect((await baton.json("POST", "/schedules/tick/s/resume")).body).toMatchObject({ paused: false, lastAction: { action: "resume" } });
  const after = await waitFor("a fire after resume", async () => {
    const list = await jobs(baton);
    return list.length > before.length ? list : undefined;
  });
  const newest = slots(after, "s").at(-1)!;
  expect(newest).toBeGreaterThan(resumedAt - 1000);
  expect(baton.logs()).toContain("schedule paused");
}, 30_000);

test("skip with a slow task: fires while it runs are skipped and counted; runs never overlap", async () => {
  const baton = await start();
  await register(baton, tick([{ id: "slow", cron: "* * * * * *" }], [{ id: "t", functionName: "sleep", params: { ms: 1500 } }]));
  await waitFor("two runs and two skips", async () => {
    const done = (await jobs(baton)).filter((j) => j.status === "COMPLETED").length;
    return done >= 2 && (await schedule(baton, "slow")).skippedCount >= 2;
  });
  await baton.json("POST", "/schedules/tick/slow/pause");
  const runs = (await jobs(baton))
    .filter((j) => j.startedAt !== null)
    .map((j) => [Date.parse(j.startedAt!), j.endTime === null ? Number.POSITIVE_INFINITY : Date.parse(j.endTime)] as const)
    .sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < runs.length; i++) expect(runs[i]![0]).toBeGreaterThanOrEqual(runs[i - 1]![1]);
  const events = (await baton.json("GET", "/schedules/tick/slow/events?limit=500")).body.events as { type: string }[];
  expect(events.filter((e) => e.type === "Skipped").length).toBe((await schedule(baton, "slow")).skippedCount);
}, 30_000);

test("SIGKILL and restart: inside the catch-up window the missed fires start, outside they are recorded; no slot twice", async () => {
  const db = join(tempDir(), "baton.db");
  const first = await start({ db });
  await register(
    first,
    tick([
      { id: "inside", cron: "* * * * * *", overlap: "allow", catchupWindowSeconds: 3600 },
      { id: "outside", cron: "* * * * * *", overlap: "allow" },
    ]),
  );
  await waitFor("two fires of each", async () => {
    const list = await jobs(first);
    return slots(list, "inside").length >= 2 && slots(list, "outside").length >= 2;
  });
  await first.kill9();
  await Bun.sleep(3000);
  const second = await start({ db });
  await waitFor("a fire after the restart", async () => slots(await jobs(second), "outside").length >= 3);
  await second.kill9();
  const third = await start({ db }); // a restart at once: nothing is replayed
  const list = await jobs(third);
  const inside = slots(list, "inside");
  const outside = slots(list, "outside");
  expect(new Set(inside).size).toBe(inside.length);
  expect(new Set(outside).size).toBe(outside.length);
  // Inside the window: every second from the first fire to the last has exactly one execution.
  expect(inside.length).toBe((inside.at(-1)! - inside[0]!) / 1000 + 1);
  expect((await schedule(third, "inside")).missedCount).toBe(0);
  // Outside: the seconds of the downtime are missed, counted and in the history.
  const out = await schedule(third, "outside");
  expect(out.missedCount).toBeGreaterThanOrEqual(2);
  expect(outside.length + out.missedCount).toBeGreaterThanOrEqual((outside.at(-1)! - outside[0]!) / 1000);
  const events = (await third.json("GET", "/schedules/tick/outside/events?limit=500")).body.events as { type: string; count?: number }[];
  const missed = events.filter((e) => e.type === "Missed");
  expect(missed.reduce((n, e) => n + e.count!, 0)).toBe(out.missedCount);
}, 30_000);

test("a schedule from the jobs folder keeps a pause set through the API across two restarts", async () => {
  const dir = tempDir();
  const jobsDir = join(dir, "jobs");
  mkdirSync(jobsDir);
  const body = tick([{ id: "yearly", cron: "0 0 1 1 *", timezone: "Europe/Berlin" }]);
  writeFileSync(join(jobsDir, "tick.json"), JSON.stringify(body));
  const db = join(dir, "baton.db");
  const first = await start({ db, jobs: jobsDir });
  expect((await first.json("POST", "/schedules/tick/yearly/pause")).status).toBe(200);
  expect(await first.stop()).toBe(0);
  const second = await start({ db, jobs: jobsDir });
  expect(await schedule(second, "yearly")).toMatchObject({ paused: true, version: 1, lastAction: { action: "pause" } });
  await second.kill9();
  const third = await start({ db, jobs: jobsDir });
  expect(await schedule(third, "yearly")).toMatchObject({ paused: true, version: 1, nextFireTimes: [] });
}, 30_000);
