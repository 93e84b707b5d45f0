/**
 * Bulk operations with the fake clock on in-memory SQLite: 500 failures redriven through a
 * filter a batch at a time with the progress saved after each, skips, a selection, a cancel,
 * executions created after the operation began left alone, one operation at a time, and a
 * restart that resumes from the saved cursor without doing anything twice.
 */
import { describe, expect, test } from "bun:test";
import { flushPromises } from "../../../test/helpers/fake-clock.ts";
import { definitionOf, recordingLogger, setupStarted, type TestWorld } from "../../../test/helpers/setup.ts";
import type { Operation } from "../../domain/operation-store.ts";
import { BulkOperations } from "./bulk.ts";

/** A world whose "flaky" function fails while `failing.on`, with `n` FAILED executions of "a" and one COMPLETED of "ok". */
async function worldWithFailures(n: number, w?: TestWorld) {
  const failing = { on: true };
  w ??= await setupStarted({
    functions: {
      flaky: () => {
        if (failing.on) throw new Error("boom");
        return { ok: true };
      },
    },
  });
  await w.register(definitionOf("a", { functionName: "flaky" }));
  await w.register(definitionOf("ok", { functionName: "noop" }));
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await w.engine.submit("a", {})).id);
  const completed = (await w.engine.submit("ok", {})).id;
  await w.drain();
  return { w, ids, completed, failing };
}

let n = 0;
const bulk = (w: TestWorld, batchSize = 100) =>
  new BulkOperations({
    store: w.store.operations,
    reads: w.store,
    commands: w.engine,
    clock: w.clock,
    logger: recordingLogger(),
    newId: () => `op-${++n}`,
    batchSize,
    pauseMs: 0,
  });

/** `drain`, after enough turns of the event loop for hundreds of redrives' read-backs and admissions (its own 10 are not). */
const settle = async (w: TestWorld) => {
  await flushPromises(200);
  await w.drain();
};

const redrives = async (w: TestWorld, id: string) => (await w.store.events(id))!.filter((e) => e.type === "ExecutionRedriven").length;
const statuses = async (w: TestWorld, ids: string[]) => {
  const counts: Record<string, number> = {};
  for (const id of ids) {
    const s = (await w.store.loadExecution(id))?.status ?? "gone";
    counts[s] = (counts[s] ?? 0) + 1;
  }
  return counts;
};
const reread = async (w: TestWorld, op: Operation) => (await w.store.operations.getOperation(op.id))!;

describe("bulk operations", () => {
  test("500 failures redriven by filter, 100 a batch, the progress saved after each", async () => {
    const { w, ids, completed, failing } = await worldWithFailures(500);
    const b = bulk(w);
    const op = await b.create({ kind: "redrive", scope: { filter: { status: "FAILED", definitionId: "a" } }, total: 500, actor: "alice" });
    expect(op.status).toBe("QUEUED");
    failing.on = false;
    for (let batch = 1; batch <= 5; batch++) {
      expect(await b.runBatch()).toBe(true);
      expect(await reread(w, op)).toMatchObject({
        status: batch < 5 ? "RUNNING" : "COMPLETED",
        processed: batch * 100,
        changed: batch * 100,
        skipped: 0,
        failed: 0,
      });
    }
    expect(await b.runBatch()).toBe(false);
    const done = await reread(w, op);
    expect(done.startedAt).not.toBeNull();
    expect(done.endedAt).not.toBeNull();
    await settle(w);
    expect(await statuses(w, ids)).toEqual({ COMPLETED: 500 });
    expect(await redrives(w, ids[0]!)).toBe(1);
    const event = (await w.store.events(ids[0]!))!.find((e) => e.type === "ExecutionRedriven")!;
    expect(JSON.stringify(event.data)).toContain("alice");
    expect(await redrives(w, completed)).toBe(0);
  });

  test("a selection: what is not failed any more, or is gone, is skipped, not an error", async () => {
    const { w, ids, completed } = await worldWithFailures(2);
    const b = bulk(w);
    const op = await b.create({ kind: "redrive", scope: { ids: [ids[0]!, completed, "no-such-id", ids[1]!] }, total: 4, actor: null });
    expect(await b.runBatch()).toBe(true);
    expect(await reread(w, op)).toMatchObject({ status: "COMPLETED", processed: 4, changed: 2, skipped: 2, failed: 0, cursor: "4" });
    expect(await redrives(w, ids[1]!)).toBe(1);
  });

  test("everything matching means what existed at creation: later executions and the operation's own redrives are not swept in", async () => {
    const { w, ids } = await worldWithFailures(30);
    const b = bulk(w, 10);
    const op = await b.create({ kind: "redrive", scope: { filter: { status: "FAILED" } }, total: null, actor: null });
    const later: string[] = [];
    for (let i = 0; i < 5; i++) later.push((await w.engine.submit("a", {})).id);
    await w.drain();
    // Still failing: every redriven one fails again between batches, FAILED and matching the filter once more.
    while (await b.runBatch()) await w.drain();
    expect(await reread(w, op)).toMatchObject({ status: "COMPLETED", processed: 30, changed: 30 });
    for (const id of ids) expect(await redrives(w, id)).toBe(1);
    for (const id of later) expect(await redrives(w, id)).toBe(0);
  });

  test("cancel by filter: queued ones are cancelled, the finished ones it cannot touch are skipped", async () => {
    const { w, ids } = await worldWithFailures(3);
    const queued: string[] = [];
    for (let i = 0; i < 4; i++) queued.push((await w.engine.submitWith("a", {}, { runAt: w.clock.now() + 3_600_000 })).execution.id);
    const b = bulk(w);
    const op = await b.create({ kind: "cancel", scope: { filter: { definitionId: "a" } }, total: null, actor: null });
    while (await b.runBatch());
    expect(await reread(w, op)).toMatchObject({ status: "COMPLETED", processed: 7, changed: 4, skipped: 3 });
    expect(await statuses(w, queued)).toEqual({ CANCELLED: 4 });
    expect(await statuses(w, ids)).toEqual({ FAILED: 3 });
  });

  test("one operation at a time: the second waits QUEUED until the first completes", async () => {
    const { w } = await worldWithFailures(15);
    const b = bulk(w, 10);
    const first = await b.create({ kind: "redrive", scope: { filter: { status: "FAILED" } }, total: 15, actor: null });
    const second = await b.create({ kind: "cancel", scope: { ids: ["x"] }, total: 1, actor: null });
    await b.runBatch();
    expect([(await reread(w, first)).status, (await reread(w, second)).status]).toEqual(["RUNNING", "QUEUED"]);
    await b.runBatch();
    expect([(await reread(w, first)).status, (await reread(w, second)).status]).toEqual(["COMPLETED", "QUEUED"]);
    await b.runBatch();
    expect(await reread(w, second)).toMatchObject({ status: "COMPLETED", skipped: 1 });
  });

  test("a stopped operation runs no further batch; what it did stays done", async () => {
    const { w, ids } = await worldWithFailures(25);
    const b = bulk(w, 10);
    const op = await b.create({ kind: "redrive", scope: { ids }, total: 25, actor: null });
    await b.runBatch();
    expect(await b.interrupt(op.id, "alice")).toMatchObject({ status: "INTERRUPTED", processed: 10, changed: 10 });
    expect(await b.runBatch()).toBe(false);
    expect(await statuses(w, ids.slice(10))).toEqual({ FAILED: 15 });
    expect(await b.interrupt("op-none", null)).toBeNull();
  });

  test("a restart resumes from the saved cursor: every failure redriven once, none lost", async () => {
    const { w, ids, failing } = await worldWithFailures(250);
    failing.on = false;
    const before = bulk(w);
    const op = await before.create({ kind: "redrive", scope: { filter: { status: "FAILED" } }, total: 250, actor: null });
    await before.runBatch();
    // The next batch is cut short by a crash after 7 of its redrives committed, before its progress was saved.
    const page = await w.store.listExecutions({ status: "FAILED", cursor: (await reread(w, op)).cursor, limit: 7 });
    for (const e of page.executions) await w.engine.redrive(e.id);
    await w.engine.stop(1000);
    const after = await setupStarted({ store: w.store, clock: w.clock, functions: { flaky: () => ({ ok: true }) } });
    expect((await after.store.operations.unfinishedOperations()).map((o) => o.id)).toEqual([op.id]);
    const resumed = bulk(after);
    resumed.start();
    for (let i = 0; i < 1000 && (await reread(after, op)).status !== "COMPLETED"; i++) await new Promise((r) => setImmediate(r));
    await resumed.stop();
    // The 7 redriven in the cut-short batch no longer match the filter, so they are not counted again.
    expect(await reread(after, op)).toMatchObject({ status: "COMPLETED", processed: 243, changed: 243, skipped: 0 });
    await settle(after);
    for (const id of ids) expect(await redrives(after, id)).toBe(1);
    expect(await statuses(after, ids)).toEqual({ COMPLETED: 250 });
  });
});
