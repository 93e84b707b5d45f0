/**
 * Retention with the fake clock on in-memory SQLite: what a pass deletes and what it keeps
 * (unfinished, recent, an original a stored rerun points at, handlers not finished), the
 * batch bound and the pass bound, the cap, days = 0, and the log line of a pass.
 */
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../test/helpers/fake-clock.ts";
import { definitionOf, heldFunction, recordingLogger, setupStarted, type TestWorld } from "../../../test/helpers/setup.ts";
import { StorageError } from "../../domain/errors.ts";
import type { ExpiryRule, RetentionStore } from "../../domain/store.ts";
import { Retention, type RetentionDeps } from "./retention.ts";

const DAY = 24 * 3600 * 1000;

/** A world with definition "a" (one noop task) and `n` executions that completed at the clock's now. */
async function worldWith(n: number, functions: Parameters<typeof setupStarted>[0] = {}): Promise<{ w: TestWorld; ids: string[] }> {
  const w = await setupStarted(functions);
  await w.register(definitionOf("a", { functionName: "noop" }));
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await w.engine.submit("a", {})).id);
  await w.drain();
  return { w, ids };
}

const retention = (w: TestWorld, over: Partial<RetentionDeps> = {}) =>
  new Retention({ store: w.store, clock: w.clock, logger: recordingLogger(), retentionMs: 30 * DAY, maxExecutions: 0, ...over });

async function stored(w: TestWorld, ids: string[]): Promise<string[]> {
  const found = await Promise.all(ids.map((id) => w.store.loadExecution(id)));
  return ids.filter((_, i) => found[i] !== null);
}

/** The store, with every `deleteExpired` call's limit and answer recorded. */
function recorded(store: RetentionStore) {
  const calls: { limit: number; deleted: number }[] = [];
  const wrapped: RetentionStore = {
    deleteExpired: async (rule: ExpiryRule) => {
      const deleted = await store.deleteExpired(rule);
      calls.push({ limit: rule.limit, deleted });
      return deleted;
    },
    countExpired: (rule, max) => store.countExpired(rule, max),
    releaseFreePages: (pages) => store.releaseFreePages(pages),
  };
  return { calls, store: wrapped };
}

describe("runOnce(now)", () => {
  test("deletes what ended more than the retention ago; keeps recent, running and queued ones", async () => {
    const held = heldFunction();
    const { w, ids: old } = await worldWith(3, { functions: { held: held.fn } });
    await w.clock.advance(31 * DAY);
    const recent = (await w.engine.submit("a", {})).id;
    await w.register(definitionOf("slow", { functionName: "held" }));
    const running = (await w.engine.submit("slow", {})).id;
    const queued = (await w.engine.submitWith("a", {}, { runAt: w.clock.now() + 365 * DAY })).execution.id;
    await w.clock.flush();
    const r = retention(w);
    expect(await r.runOnce(w.clock.now())).toMatchObject({ deleted: 3, batches: 1, left: 0 });
    expect(await stored(w, [...old, recent, running, queued])).toEqual([recent, running, queued]);
    expect(await w.store.events(old[0]!)).toBeNull();
    expect(r.deleted).toBe(3);
    // Past retention, but still RUNNING and QUEUED: never deleted.
    await w.clock.advance(40 * DAY);
    await r.runOnce(w.clock.now());
    expect(await stored(w, [recent, running, queued])).toEqual([running, queued]);
    held.calls[0]!.finish();
    await w.drain();
  });

  test("no batch deletes more than the batch size; a pass stops after its batch bound and says how many are left", async () => {
    const { w, ids } = await worldWith(11);
    await w.clock.advance(31 * DAY);
    const { calls, store } = recorded(w.store);
    const r = retention(w, { store, batchSize: 3, maxBatches: 2 });
    expect(await r.runOnce(w.clock.now())).toMatchObject({ deleted: 6, batches: 2, left: 5 });
    expect(await r.runOnce(w.clock.now())).toMatchObject({ deleted: 5, batches: 2, left: 0 });
    expect(calls).toEqual([
      { limit: 3, deleted: 3 },
      { limit: 3, deleted: 3 },
      { limit: 3, deleted: 3 },
      { limit: 3, deleted: 2 },
    ]);
    expect(await stored(w, ids)).toEqual([]);
    expect(r.deleted).toBe(11);
  });

  test("--retention-max-executions: the oldest finished go until no more are stored, whatever their age", async () => {
    const { w, ids } = await worldWith(5);
    const r = retention(w, { retentionMs: 0, maxExecutions: 2 });
    expect(await r.runOnce(w.clock.now())).toMatchObject({ deleted: 3 });
    expect(await stored(w, ids)).toHaveLength(2);
  });

  test("days = 0 and no cap: disabled, nothing is deleted and start arms nothing", async () => {
    const { w, ids } = await worldWith(2);
    await w.clock.advance(3650 * DAY);
    const calls = recorded(w.store);
    const r = retention(w, { store: calls.store, retentionMs: 0, maxExecutions: 0, firstPassMs: 0 });
    expect(r.enabled).toBe(false);
    expect(await r.runOnce(w.clock.now())).toEqual({ deleted: 0, batches: 0, left: 0, pagesReleased: 0 });
    r.start();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await r.stop();
    expect(calls.calls).toEqual([]);
    expect(await stored(w, ids)).toEqual(ids);
  });

  test("a rerun's original stays while the rerun is stored, and goes at a later pass once it is gone", async () => {
    const w = await setupStarted();
    await w.register(definitionOf("two", { id: "t1", functionName: "noop" }, { id: "t2", functionName: "noop", dependsOn: ["t1"] }));
    const original = (await w.engine.submit("two", {})).id;
    await w.drain();
    await w.clock.advance(10 * DAY);
    const rerun = (await w.engine.rerun(original, "t2")).id;
    await w.drain();
    const r = retention(w);
    await w.clock.advance(25 * DAY); // the original is 35 days old, its rerun 25
    await r.runOnce(w.clock.now());
    expect(await stored(w, [original, rerun])).toEqual([original, rerun]);
    expect((await w.store.loadExecution(rerun))!.rerunOf).toBe(original);
    await w.clock.advance(10 * DAY);
    await r.runOnce(w.clock.now());
    expect(await stored(w, [original, rerun])).toEqual([original]);
    await r.runOnce(w.clock.now());
    expect(await stored(w, [original, rerun])).toEqual([]);
  });

  test("an execution whose handlers have not finished stays until they have", async () => {
    const held = heldFunction();
    const w = await setupStarted({ functions: { held: held.fn } });
    await w.register({ ...definitionOf("h", { functionName: "noop" }), handlers: { onSuccess: { functionName: "held" } } });
    const e = (await w.engine.submit("h", {})).id;
    await w.clock.flush();
    expect(held.calls).toHaveLength(1);
    await w.clock.advance(31 * DAY);
    const r = retention(w);
    expect(await r.runOnce(w.clock.now())).toMatchObject({ deleted: 0 });
    held.calls[0]!.finish({ ok: true });
    await w.drain();
    expect(await r.runOnce(w.clock.now())).toMatchObject({ deleted: 1 });
    expect(await w.store.loadExecution(e)).toBeNull();
  });
});

describe("start/stop", () => {
  test("a pass that deleted something logs one line with how many, how long and how many are left", async () => {
    const { w } = await worldWith(4);
    await w.clock.advance(31 * DAY);
    const logger = recordingLogger();
    const r = retention(w, { logger, batchSize: 2, maxBatches: 1, firstPassMs: 0 });
    r.start();
    while (r.deleted === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await r.stop();
    await new Promise((resolve) => setTimeout(resolve, 1));
    expect(logger.lines).toEqual([
      {
        level: "info",
        message: "retention deleted old executions; more are past retention, the next pass follows in a second",
        fields: { deleted: 2, batches: 1, durationMs: 0, left: 2, pagesReleased: 0 },
      },
    ]);
  });

  test("a failing pass is a warning, not a throw", async () => {
    const logger = recordingLogger();
    let calls = 0;
    const failing: RetentionStore = {
      deleteExpired: async () => {
        calls++;
        throw new StorageError("could not write", false, "the disk is full (SQLITE_FULL)");
      },
      countExpired: async () => 0,
      releaseFreePages: async () => 0,
    };
    const r = new Retention({ store: failing, clock: new FakeClock(), logger, retentionMs: DAY, maxExecutions: 0, firstPassMs: 0 });
    r.start();
    while (logger.lines.length === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    await r.stop();
    expect(calls).toBe(1);
    expect(logger.lines).toEqual([
      {
        level: "warn",
        message: "retention could not delete old executions; it tries again in a minute",
        fields: { error: "the disk is full (SQLITE_FULL)" },
      },
    ]);
  });
});
