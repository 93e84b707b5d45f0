/**
 * Flow control against the compiled binary, judged from the start and end times Baton stores:
 * per-key and per-definition limits (also across SIGKILL and restart), a second key never
 * held behind the first, priority order, and rate limits.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type Baton, execute, register, startBaton, state, tempDir, waitForStatus } from "./harness.ts";

let baton: Baton;

beforeAll(async () => {
  baton = await startBaton({ jobs: null, args: ["--max-concurrent-jobs", "8"] });
});

afterAll(async () => {
  await baton.stop();
});

const sleeping = (id: string, ms: number, extra: Record<string, unknown>) => ({
  id,
  tasks: [{ id: "wait", functionName: "sleep", params: { ms } }],
  ...extra,
});

interface Span {
  id: string;
  start: number;
  end: number;
}

async function spans(b: Baton, ids: string[]): Promise<Span[]> {
  const done = await Promise.all(ids.map((id) => waitForStatus(b, id, ["COMPLETED"])));
  return done.map((s) => ({ id: s.id, start: Date.parse(s.startedAt), end: Date.parse(s.endTime) }));
}

/** The most spans open at one instant (an end at the same ms as a start does not overlap it). */
function mostAtOnce(list: Span[]): number {
  const points = list.flatMap((s) => [
    [s.start, 1],
    [s.end, -1],
  ]) as [number, number][];
  points.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let open = 0;
  let most = 0;
  for (const [, d] of points) {
    open += d;
    most = Math.max(most, open);
  }
  return most;
}

describe("limits held, judged from stored times", () => {
  test("one per key at a time; a second key starts at once, not behind the first", async () => {
    await register(baton, sleeping("per-key", 300, { concurrency: { key: "{{input.customer}}", limit: 1 } }));
    const a: string[] = [];
    for (let i = 0; i < 4; i++) a.push(await execute(baton, "per-key", { customer: "acme", i }));
    const b = await execute(baton, "per-key", { customer: "bolt" });
    const queued = await state(baton, a[2]!);
    expect(queued).toMatchObject({ status: "QUEUED", waitingFor: "concurrencyKey", concurrencyKey: "acme" });
    const [acme, [bolt]] = [await spans(baton, a), await spans(baton, [b])];
    expect(mostAtOnce(acme)).toBe(1);
    expect(acme.map((s) => s.id)).toEqual(a); // first in, first out within the key
    expect(bolt!.start).toBeLessThan(acme[1]!.start);
  });

  test("maxConcurrent: at most 2 of the definition at once, though 8 slots are free", async () => {
    await register(baton, sleeping("per-def", 200, { maxConcurrent: 2 }));
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await execute(baton, "per-def", { i }));
    const system = await baton.json("GET", "/system/state");
    expect(system.body.queuedWaitingFor.definitionLimit).toBeGreaterThan(0);
    const list = await spans(baton, ids);
    expect(mostAtOnce(list)).toBe(2);
  });

  test("priority: higher starts first, first in first out among equals", async () => {
    await register(baton, sleeping("prio", 150, { maxConcurrent: 1 }));
    const blocker = await execute(baton, "prio", {});
    const submitted: [string, number][] = [];
    for (const p of [0, 5, -3, 10, 5]) {
      const res = await baton.json("POST", `/jobs/prio/execute?priority=${p}`, { p });
      expect(res.status).toBe(202);
      submitted.push([res.body.executionID, p]);
    }
    const list = await spans(baton, [blocker, ...submitted.map(([id]) => id)]);
    const order = list
      .slice(1)
      .sort((x, y) => x.start - y.start)
      .map((s) => submitted.findIndex(([id]) => id === s.id));
    expect(order).toEqual([3, 1, 4, 0, 2]); // 10, the first 5, the second 5, 0, -3
  });

  test("rateLimit: no more than 2 starts in any second; the others wait and start", async () => {
    await register(baton, { id: "rated", tasks: [{ id: "a", functionName: "noop" }], rateLimit: { count: 2, perSeconds: 1 } });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push(await execute(baton, "rated", { i }));
    const starts = (await spans(baton, ids)).map((s) => s.start).sort((x, y) => x - y);
    for (let i = 2; i < starts.length; i++) expect(starts[i]! - starts[i - 2]!).toBeGreaterThanOrEqual(1000);
  });
});

test("SIGKILL and restart keep a key's limit: the queued ones still wait for the one that was running", async () => {
  const db = join(tempDir(), "flow.db");
  const first = await startBaton({ db, jobs: null });
  await register(first, sleeping("kill-key", 1500, { concurrency: { key: "{{input.k}}", limit: 1 } }));
  const ids: string[] = [];
  for (let i = 0; i < 3; i++) ids.push(await execute(first, "kill-key", { k: "same" }));
  await waitForStatus(first, ids[0]!, ["RUNNING"]);
  await first.kill9();
  const second = await startBaton({ db, jobs: null });
  try {
    expect(await state(second, ids[1]!)).toMatchObject({ status: "QUEUED", waitingFor: "concurrencyKey" });
    const list = await spans(second, ids);
    expect(mostAtOnce(list)).toBe(1);
  } finally {
    await second.stop();
  }
});
