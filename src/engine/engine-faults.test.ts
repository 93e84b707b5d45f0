/**
 * The engine through storage faults, on a fake clock: while the database refuses writes
 * nothing new is admitted and running executions wait with their slots; once it accepts
 * writes again everything resumes by itself, in order, without a restart, and the limit holds
 * in the stored start and end times at every moment.
 */
import { describe, expect, test } from "bun:test";
import { maxOverlap } from "../../test/e2e/stored-state.ts";
import { definition, definitionOf, heldFunction, type SetupOptions, setup } from "../../test/helpers/setup.ts";
import { StorageError } from "../domain/errors.ts";
import type { ExecutionWithTasks } from "../domain/model.ts";
import type { Step } from "../domain/transitions.ts";
import { type Database, openDatabase } from "../store/sqlite/driver.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { FAULT_PROBE_INTERVAL_MS } from "./services/fault-recovery.ts";

async function world(maxConcurrentJobs = 2, functions: SetupOptions["functions"] = {}) {
  const db: Database = openDatabase({ path: ":memory:" });
  const store = new SqliteStore(db);
  const w = setup({ store, maxConcurrentJobs, functions });
  await w.engine.start();
  const refuseWrites = (on: boolean) => db.exec(`PRAGMA query_only = ${on ? "ON" : "OFF"}`);
  return { ...w, db, refuseWrites };
}

/** Most executions whose stored [startedAt, endTime) overlap at one instant. */
const overlap = (executions: ExecutionWithTasks[]) =>
  maxOverlap(
    executions
      .filter((e) => e.startedAt !== null)
      .map((e) => ({ id: e.id, start: e.startedAt!, end: e.endTime ?? Number.POSITIVE_INFINITY })),
  ).max;

/**
 * The first write with a step of `kind` commits, but the store cannot tell: it reports what a
 * COMMIT that failed after writing its record reports.
 */
function unknownOutcomeOnce(store: SqliteStore, kind: Step["kind"]): void {
  const record = store.record.bind(store);
  let failOnce = true;
  store.record = async (id: string, steps: readonly Step[], now: number) => {
    await record(id, steps, now);
    if (failOnce && steps.some((s) => s.kind === kind)) {
      failOnce = false;
      throw new StorageError(
        "the database failed while committing the write",
        "unknown",
        "the disk reported an I/O error (SQLITE_IOERR_FSYNC)",
      );
    }
  };
}

async function loadAll(store: SqliteStore, ids: string[]) {
  return Promise.all(ids.map(async (id) => (await store.loadExecution(id))!));
}

describe("a database that refuses writes and recovers", () => {
  test("running executions wait with their slots; the queue resumes in order once writes are accepted", async () => {
    const held = heldFunction();
    const w = await world(2, { held: held.fn });
    await w.register(definitionOf("job", { functionName: "held" }));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await w.engine.submit("job", { i })).id);
    await w.clock.flush();
    expect(held.calls.map((c) => c.executionId)).toEqual(ids.slice(0, 2));

    w.refuseWrites(true);
    // Its end is refused: the execution stays RUNNING in the database and keeps its slot.
    held.calls[0]!.finish("one");
    await w.clock.flush();
    expect(w.store.writeFault()).not.toBeNull();
    expect((await w.store.loadExecution(ids[0]!))!.status).toBe("RUNNING");
    expect(held.calls).toHaveLength(2); // nothing new started
    const refused = await w.engine.submit("job", {}).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StorageError);
    expect((refused as StorageError).applied).toBe(false);
    held.calls[1]!.finish("two");
    await w.clock.advance(FAULT_PROBE_INTERVAL_MS * 4); // probes fail: still refused
    expect(held.calls).toHaveLength(2);
    expect((await loadAll(w.store as SqliteStore, ids)).map((e) => e.status)).toEqual(["RUNNING", "RUNNING", "QUEUED", "QUEUED", "QUEUED"]);

    w.refuseWrites(false);
    await w.clock.advance(FAULT_PROBE_INTERVAL_MS);
    expect(w.store.writeFault()).toBeNull();
    // The refused ends commit first, then the queue moves in its order.
    expect(held.calls.map((c) => c.executionId)).toEqual(ids.slice(0, 4));
    for (let i = 2; i < 5; i++) {
      held.calls[i]!.finish(i);
      await w.clock.flush();
    }
    await w.drain();
    const done = await loadAll(w.store as SqliteStore, ids);
    expect(done.map((e) => e.status)).toEqual(Array(5).fill("COMPLETED"));
    expect(done[0]!.output).toEqual({ t1: "one" });
    expect(done.map((e) => e.tasks[0]!.attempts)).toEqual(Array(5).fill(1));
    expect(overlap(done)).toBeLessThanOrEqual(2);
    // Admitted in submission order.
    const starts = done.map((e) => e.startedAt!);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    expect(w.clock.pending).toBe(0); // the recovery service stopped by itself
  });

  test("an attempt running through the fault is not interrupted: its outcome is recorded after", async () => {
    const held = heldFunction();
    const w = await world(1, { held: held.fn });
    await w.register(definitionOf("seq", { functionName: "held" }, { functionName: "held" }));
    const e = await w.engine.submit("seq", {});
    await w.clock.flush();
    w.refuseWrites(true);
    await w.engine.submit("seq", {}).catch(() => {}); // the store learns of the fault
    held.calls[0]!.finish("a");
    await w.clock.flush();
    expect(held.calls[0]!.signal.aborted).toBe(false);
    w.refuseWrites(false);
    await w.clock.advance(FAULT_PROBE_INTERVAL_MS);
    // t1's completion was replayed, and t2 started only after it committed.
    expect(held.calls.map((c) => [c.taskId, c.attempt])).toEqual([
      ["t1", 1],
      ["t2", 1],
    ]);
    held.calls[1]!.finish("b");
    await w.drain();
    const done = (await w.store.loadExecution(e.id))!;
    expect(done.status).toBe("COMPLETED");
    const events = (await w.store.events(e.id))!.map((ev) => ev.type);
    expect(events.filter((t) => t === "TaskCompleted")).toHaveLength(2);
  });

  test("a commit of unknown outcome is read back from the database and the run resumes from there", async () => {
    const held = heldFunction();
    const w = await world(1, { held: held.fn });
    await w.register(definitionOf("seq", { functionName: "held" }, { functionName: "held" }));
    const store = w.store as SqliteStore;
    unknownOutcomeOnce(store, "complete");
    const e = await w.engine.submit("seq", {});
    const other = await w.engine.submit("seq", {});
    await w.clock.flush();
    held.calls[0]!.finish("a");
    await w.clock.flush();
    // The run let go but kept its slot: the queued execution did not start.
    expect(w.engine.running).toBe(1);
    expect(held.calls).toHaveLength(1);
    await w.clock.advance(FAULT_PROBE_INTERVAL_MS);
    // Read back: t1 COMPLETED, so t2 runs next; t1 never runs twice.
    expect(held.calls.map((c) => [c.executionId, c.taskId])).toEqual([
      [e.id, "t1"],
      [e.id, "t2"],
    ]);
    held.calls[1]!.finish("b");
    await w.clock.flush();
    held.calls[2]!.finish("c");
    await w.clock.flush();
    held.calls[3]!.finish("d");
    await w.drain();
    const done = await loadAll(store, [e.id, other.id]);
    expect(done.map((x) => x.status)).toEqual(["COMPLETED", "COMPLETED"]);
    expect(done[0]!.output).toEqual({ t2: "b" });
    expect(overlap(done)).toBe(1);
  });

  test("an end of unknown outcome takes its slot back until it is read again: the limit holds", async () => {
    const held = heldFunction();
    const w = await world(1, { held: held.fn });
    await w.register(definitionOf("job", { functionName: "held" }));
    const store = w.store as SqliteStore;
    unknownOutcomeOnce(store, "finish");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await w.engine.submit("job", { i })).id);
    await w.clock.flush();
    held.calls[0]!.finish(1); // its end gives the slot to the second, then turns out unknown
    await w.clock.flush();
    expect(held.calls.map((c) => c.executionId)).toEqual(ids.slice(0, 2));
    await w.clock.advance(FAULT_PROBE_INTERVAL_MS);
    // Read back COMPLETED: the slot it took back is given back, and the second still holds its own.
    expect((await store.loadExecution(ids[0]!))!.status).toBe("COMPLETED");
    expect(held.calls).toHaveLength(2);
    held.calls[1]!.finish(2);
    await w.clock.flush();
    held.calls[2]!.finish(3);
    await w.drain();
    expect(overlap(await loadAll(store, ids))).toBe(1);
  });

  test("a write that fails for another reason is retried after a backoff, not left for the next start", async () => {
    const held = heldFunction();
    const w = await world(2, { held: held.fn });
    await w.register(definitionOf("job", { functionName: "held" }));
    const store = w.store as SqliteStore;
    const record = store.record.bind(store);
    let failures = 2;
    store.record = async (id: string, steps: readonly Step[], now: number) => {
      if (failures > 0 && steps.some((s) => s.kind === "complete")) {
        failures--;
        throw new Error("a bug");
      }
      return record(id, steps, now);
    };
    const e = await w.engine.submit("job", {});
    await w.clock.flush();
    held.calls[0]!.finish(1);
    await w.clock.flush();
    expect(w.engine.running).toBe(1); // parked with its slot
    await w.clock.advance(999);
    expect(held.calls).toHaveLength(1);
    await w.clock.advance(1);
    // Read again after 1 s: the task was still RUNNING, so its attempt runs again (at least once).
    expect(held.calls.map((c) => c.attempt)).toEqual([1, 1]);
    held.calls[1]!.finish(2);
    await w.clock.advance(2000);
    held.calls[2]!.finish(3);
    await w.drain();
    expect((await store.loadExecution(e.id))!.status).toBe("COMPLETED");
  });

  test("handlers whose record was refused run once writes are accepted", async () => {
    const w = await world(1);
    await w.register(
      definition({ id: "h", tasks: [{ id: "t1", functionName: "noop" }], handlers: { onSuccess: { functionName: "echo" } } }),
    );
    const e = await w.engine.submit("h", {});
    // Refused after the execution settled, before the handler is recorded.
    const store = w.store as SqliteStore;
    const original = store.handlerStarted.bind(store);
    let refused = false;
    store.handlerStarted = async (...args) => {
      if (!refused) {
        refused = true;
        w.refuseWrites(true);
        await original(...args).catch(() => {});
        w.refuseWrites(false);
        return original(...args); // refused: the store is in its fault state
      }
      return original(...args);
    };
    await w.clock.flush();
    expect(refused).toBe(true);
    expect((await store.events(e.id))!.some((ev) => ev.type === "HandlerFinished")).toBe(false);
    await w.clock.advance(FAULT_PROBE_INTERVAL_MS);
    await w.drain();
    const types = (await store.events(e.id))!.map((ev) => ev.type);
    expect(types.filter((t) => t === "HandlerFinished")).toHaveLength(1);
    expect((await store.loadExecution(e.id))!.handlersPending).toBe(false);
  });
});
