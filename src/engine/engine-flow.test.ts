/**
 * Flow control through the engine, on the fake clock: `maxConcurrent`, `concurrency` keys,
 * `rateLimit`, priorities, no head-of-line blocking, what each QUEUED execution waits for,
 * and limits kept across a restart.
 */
import { describe, expect, test } from "bun:test";
import { definitionOf, heldFunction, setup, setupStarted } from "../../test/helpers/setup.ts";
import { ValidationError } from "../domain/errors.ts";
import type { Execution } from "../domain/model.ts";

const T0 = 1_700_000_000_000;

const held = () => heldFunction();
const limited = (extra: Record<string, unknown>, id = "j") => ({ ...definitionOf(id, { functionName: "held" }), ...extra });

/** Finishes every call started so far, then lets the engine move. */
async function finishAll(w: { clock: { flush(): Promise<void> } }, h: ReturnType<typeof heldFunction>) {
  for (const call of h.calls) call.finish();
  await w.clock.flush();
}

describe("maxConcurrent", () => {
  test("at most N of a definition run; another definition is not held back", async () => {
    const h = held();
    const w = await setupStarted({ functions: { held: h.fn }, maxConcurrentJobs: 10 });
    await w.register(limited({ maxConcurrent: 2 }));
    await w.register(definitionOf("other", { functionName: "held" }));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await w.engine.submit("j", { i })).id);
    const other = await w.engine.submit("other", {});
    await w.clock.flush();
    expect(h.active).toBe(3);
    expect(other.status).toBe("RUNNING");
    expect(h.calls.map((c) => c.executionId).sort()).toEqual([ids[0]!, ids[1]!, other.id].sort());
    expect(w.engine.waitingFor(ids[2]!)).toBe("definitionLimit");
    expect(w.engine.queuedWaitingFor()).toMatchObject({ definitionLimit: 3, slot: 0 });
    // One of j ends: exactly the next of j in line starts.
    h.calls[0]!.finish();
    await w.clock.flush();
    expect(h.calls.map((c) => c.executionId)).toContain(ids[2]!);
    expect(h.active).toBe(3);
    for (let round = 0; round < 5; round++) await finishAll(w, h);
    await w.drain();
    expect(h.maxActive).toBe(3);
  });
});

describe("concurrency keys", () => {
  test("one per key at a time, in order; a second key is not held behind the first", async () => {
    const h = held();
    const w = await setupStarted({ functions: { held: h.fn }, maxConcurrentJobs: 10 });
    await w.register(limited({ concurrency: { key: "{{input.customer}}", limit: 1 } }));
    const a: Execution[] = [];
    for (let i = 0; i < 4; i++) a.push(await w.engine.submit("j", { customer: "acme", i }));
    const b = await w.engine.submit("j", { customer: "bolt" });
    expect(a.map((e) => e.status)).toEqual(["RUNNING", "QUEUED", "QUEUED", "QUEUED"]);
    expect(a[1]!.concurrencyKey).toBe("acme");
    expect(b.status).toBe("RUNNING");
    await w.clock.flush();
    expect(w.engine.waitingFor(a[1]!.id)).toBe("concurrencyKey");
    for (let i = 1; i < 4; i++) {
      h.calls.find((c) => c.executionId === a[i - 1]!.id)!.finish();
      await w.clock.flush();
      const running = h.calls.filter((c) => c.executionId !== b.id && !c.signal.aborted).map((c) => c.executionId);
      expect(running.at(-1)).toBe(a[i]!.id);
    }
    await finishAll(w, h);
    await w.drain();
    // Per key, each start comes after the previous end.
    const loaded = await Promise.all(a.map((e) => w.store.loadExecution(e.id)));
    for (let i = 1; i < loaded.length; i++) expect(loaded[i]!.startedAt!).toBeGreaterThanOrEqual(loaded[i - 1]!.endTime!);
  });

  test("1,000 queued for one key at limit 1 do not hold back another key: it starts at once", async () => {
    const h = held();
    const w = await setupStarted({ functions: { held: h.fn }, maxConcurrentJobs: 4 });
    await w.register(limited({ concurrency: { key: "{{input.customer}}", limit: 1 } }));
    for (let i = 0; i < 1000; i++) await w.engine.submit("j", { customer: "a", i });
    await w.clock.flush();
    expect(w.engine.queuedWaitingFor()).toMatchObject({ concurrencyKey: 999, slot: 0 });
    const b = await w.engine.submit("j", { customer: "b" });
    expect(b.status).toBe("RUNNING");
    await w.clock.flush();
    expect(h.active).toBe(2);
  });

  test("a key that is not a string is its JSON; an input without the key is refused and nothing is stored", async () => {
    const w = await setupStarted({ functions: { held: held().fn } });
    await w.register(limited({ concurrency: { key: "{{input.customer}}", limit: 1 } }));
    expect((await w.engine.submit("j", { customer: { id: 7 } })).concurrencyKey).toBe('{"id":7}');
    const refused = await w.engine.submit("j", { other: 1 }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as Error).message).toContain('input has no "customer"');
    expect((await w.store.systemCounts(10)).queuedCount + (await w.store.systemCounts(10)).running.length).toBe(1);
  });

  test("a cancelled execution waiting at its key leaves the queue at once", async () => {
    const h = held();
    const w = await setupStarted({ functions: { held: h.fn } });
    await w.register(limited({ concurrency: { key: "{{input.k}}", limit: 1 } }));
    await w.engine.submit("j", { k: "x" });
    const second = await w.engine.submit("j", { k: "x" });
    const third = await w.engine.submit("j", { k: "x" });
    await w.clock.flush();
    expect(w.engine.queuedWaitingFor().concurrencyKey).toBe(2);
    await w.engine.cancel(second.id);
    expect(w.engine.queuedWaitingFor().concurrencyKey).toBe(1);
    h.calls[0]!.finish();
    await w.clock.flush();
    expect(h.calls.map((c) => c.executionId).at(-1)).toBe(third.id);
    await finishAll(w, h);
    await w.drain();
  });
});

describe("priority", () => {
  test("higher starts first, first in first out among equals", async () => {
    const h = held();
    const w = await setupStarted({ functions: { held: h.fn }, maxConcurrentJobs: 1 });
    await w.register(definitionOf("j", { functionName: "held" }));
    const blocker = await w.engine.submit("j", {});
    const order: [string, number][] = [
      ["p0", 0],
      ["p5a", 5],
      ["p5b", 5],
      ["low", -1],
      ["p10", 10],
    ];
    const ids = new Map<string, string>();
    for (const [name, priority] of order) ids.set((await w.engine.submitWith("j", { name }, { priority })).execution.id, name);
    expect(w.engine.queuedIds(10).map((id) => ids.get(id))).toEqual(["p10", "p5a", "p5b", "p0", "low"]);
    const started: string[] = [];
    await w.clock.flush();
    h.calls[0]!.finish();
    for (let i = 0; i < order.length; i++) {
      await w.clock.flush();
      const call = h.calls.at(-1)!;
      started.push(ids.get(call.executionId)!);
      call.finish();
    }
    await w.drain();
    expect(started).toEqual(["p10", "p5a", "p5b", "p0", "low"]);
    expect((await w.store.loadExecution(blocker.id))!.status).toBe("COMPLETED");
  });
});

describe("rateLimit", () => {
  test("at most count starts per window; the rest wait (never rejected) and start as the window moves", async () => {
    const w = await setupStarted({ maxConcurrentJobs: 10 });
    await w.register({ ...definitionOf("j", { functionName: "noop" }), rateLimit: { count: 2, perSeconds: 10 } });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await w.engine.submit("j", { i })).id);
    await w.clock.flush();
    expect(w.engine.waitingFor(ids[2]!)).toBe("rateLimit");
    expect(w.engine.queuedWaitingFor().rateLimit).toBe(3);
    await w.drain();
    const starts = await Promise.all(ids.map(async (id) => (await w.store.loadExecution(id))!.startedAt! - T0));
    expect(starts).toEqual([0, 0, 10_000, 10_000, 20_000]);
  });

  test("starts before a restart still count in the window", async () => {
    const a = await setupStarted({ maxConcurrentJobs: 10 });
    await a.register({ ...definitionOf("j", { functionName: "noop" }), rateLimit: { count: 2, perSeconds: 60 } });
    await a.engine.submit("j", {});
    await a.engine.submit("j", {});
    await a.drain();
    await a.clock.advance(5000);
    const b = setup({ store: a.store, clock: a.clock, maxConcurrentJobs: 10, newId: () => "after-restart" });
    await b.engine.start();
    const late = await b.engine.submit("j", {});
    expect(late.status).toBe("QUEUED");
    await b.drain();
    expect((await b.store.loadExecution(late.id))!.startedAt).toBe(T0 + 60_000);
  });
});

describe("recovery keeps every limit", () => {
  test("a key's RUNNING execution takes its place back; the ones queued behind it still wait for it", async () => {
    const h = held();
    const a = await setupStarted({ functions: { held: h.fn } });
    await a.register(limited({ concurrency: { key: "{{input.k}}", limit: 1 }, maxConcurrent: 5 }));
    const first = await a.engine.submit("j", { k: "x" });
    const queued = [await a.engine.submit("j", { k: "x" }), await a.engine.submit("j", { k: "x" })];
    await a.clock.flush();
    // The process "crashes": a new engine on the same store.
    const h2 = held();
    const b = setup({ store: a.store, clock: a.clock, functions: { held: h2.fn } });
    expect(await b.engine.start()).toEqual({ resumed: 1, queued: 2 });
    await b.clock.flush();
    expect(h2.calls.map((c) => c.executionId)).toEqual([first.id]);
    expect(b.engine.waitingFor(queued[0]!.id)).toBe("concurrencyKey");
    h2.calls[0]!.finish();
    await b.clock.flush();
    expect(h2.calls.map((c) => c.executionId)).toEqual([first.id, queued[0]!.id]);
    for (const c of h2.calls) c.finish();
    await b.clock.flush();
    for (const c of h2.calls) c.finish();
    await b.drain();
    expect(h2.maxActive).toBe(1);
  });
});
