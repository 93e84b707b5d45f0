/**
 * Storage faults in the SQLite store: a refused batch is known not applied, every later write
 * is refused at once until a probe write succeeds, and a fault episode is reported once.
 * `PRAGMA query_only` (SQLITE_READONLY at BEGIN) and `PRAGMA max_page_count` (SQLITE_FULL in
 * the middle of a write) make the database refuse writes deterministically.
 */
import { beforeEach, describe, expect, test } from "bun:test";
import { StorageError } from "../../domain/errors.ts";
import { canonicalJson } from "../../domain/json.ts";
import type { NewExecution } from "../../domain/store.ts";
import { type Database, openDatabase, storageFaultOf } from "./driver.ts";
import { SqliteStore } from "./store.ts";

const T0 = 1_700_000_000_000;
const BODY = { id: "job", tasks: [{ id: "a", functionName: "noop" }] };

describe("storageFaultOf", () => {
  test("classifies SQLite's storage codes and nothing else", () => {
    expect(storageFaultOf({ code: "SQLITE_FULL" })).toEqual({ code: "SQLITE_FULL", reason: "the disk is full (SQLITE_FULL)" });
    expect(storageFaultOf({ code: "SQLITE_IOERR_FSYNC" })?.reason).toBe("the disk reported an I/O error (SQLITE_IOERR_FSYNC)");
    expect(storageFaultOf({ code: "SQLITE_READONLY_DBMOVED" })?.code).toBe("SQLITE_READONLY_DBMOVED");
    expect(storageFaultOf({ code: "SQLITE_CONSTRAINT_UNIQUE" })).toBeNull();
    expect(storageFaultOf({ code: "SQLITE_FULLY" })).toBeNull();
    expect(storageFaultOf(new Error("boom"))).toBeNull();
    expect(storageFaultOf(null)).toBeNull();
  });
});

// Faults made by SQLite itself (query_only, max_page_count), through both drivers.
describe.each(["bun", "node"] as const)("through %s", (driver) => {
  let db: Database;
  let store: SqliteStore;
  let faults: number;

  beforeEach(async () => {
    db = openDatabase({ path: ":memory:", driver });
    store = new SqliteStore(db);
    faults = 0;
    store.onWriteFault(() => faults++);
    await store.registerDefinition("job", BODY, canonicalJson(BODY), T0);
  });

  const fresh = (id: string, input: Record<string, unknown> = {}): NewExecution => ({
    id,
    definitionId: "job",
    definitionVersion: 1,
    input,
    tasks: [{ taskId: "a", name: "a" }],
  });

  const rows = () => db.query("SELECT id, status FROM executions ORDER BY seq").all();
  const refuseWrites = (on: boolean) => db.exec(`PRAGMA query_only = ${on ? "ON" : "OFF"}`);

  async function rejection(p: Promise<unknown>): Promise<StorageError> {
    const err = await p.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    return err as StorageError;
  }

  describe("a database that refuses writes", () => {
    test("the write is refused, known not applied; later writes are refused at once; reads still work", async () => {
      await store.enqueue(fresh("e1"), T0);
      refuseWrites(true);
      const first = await rejection(store.enqueue(fresh("e2"), T0));
      expect(first.applied).toBe(false);
      expect(first.reason).toBe("the database file is read-only (SQLITE_READONLY)");
      expect(first.message).toContain("Nothing was applied");
      expect(store.writeFault()).toEqual({ reason: "the database file is read-only (SQLITE_READONLY)", since: expect.any(Number) });
      expect(faults).toBe(1);

      // Refused without a transaction: the fault state answers.
      refuseWrites(false);
      const second = await rejection(store.enqueue(fresh("e3"), T0));
      expect(second.applied).toBe(false);
      expect(second.message).toContain("has refused writes since");
      expect(rows()).toEqual([{ id: "e1", status: "QUEUED" }]);
      expect(await store.loadExecution("e1")).not.toBeNull();
      expect(await store.ping()).toBe(true);
    });

    test("a probe write ends the refusal only when the database takes it", async () => {
      refuseWrites(true);
      await rejection(store.enqueue(fresh("e1"), T0));
      expect(await store.probeWrites()).toBe(false);
      expect(store.writeFault()).not.toBeNull();
      refuseWrites(false);
      expect(await store.probeWrites()).toBe(true);
      expect(store.writeFault()).toBeNull();
      await store.enqueue(fresh("e1"), T0);
      expect(rows()).toEqual([{ id: "e1", status: "QUEUED" }]);
      expect(await store.probeWrites()).toBe(true);
    });

    test("a fault in the middle of a batch fails every write of it, and none is applied", async () => {
      const pages = (db.query("PRAGMA page_count").get() as { page_count: number }).page_count;
      db.exec(`PRAGMA max_page_count = ${pages}`);
      const big = "x".repeat(64 * 1024); // needs new pages
      const writes = [store.enqueue(fresh("small"), T0), store.enqueue(fresh("big", { big }), T0), store.enqueue(fresh("after"), T0)];
      const errors = await Promise.all(writes.map(rejection));
      for (const err of errors) {
        expect(err.applied).toBe(false);
        expect(err.reason).toBe("the disk is full (SQLITE_FULL)");
      }
      expect(rows()).toEqual([]);
      const counts = await store.systemCounts(10);
      expect(counts.queuedCount).toBe(0);
      db.exec(`PRAGMA max_page_count = ${pages * 100}`);
      expect(await store.probeWrites()).toBe(true);
      await store.enqueue(fresh("big", { big }), T0);
      expect((await store.systemCounts(10)).queuedCount).toBe(1);
    });

    test("a fault that comes back before a batch commits is the same episode: one fault report", async () => {
      refuseWrites(true);
      await rejection(store.enqueue(fresh("e1"), T0));
      const since = store.writeFault()!.since;
      refuseWrites(false);
      expect(await store.probeWrites()).toBe(true);
      refuseWrites(true);
      await rejection(store.enqueue(fresh("e1"), T0));
      // Listeners hear of each refusal (to watch for recovery); the episode keeps its start.
      expect(faults).toBe(2);
      expect(store.writeFault()!.since).toBe(since);
    });

    test("a guard failure is no storage fault: it fails alone, the others commit", async () => {
      const results = await Promise.allSettled([
        store.enqueue(fresh("e1"), T0),
        store.admit("missing", T0),
        store.enqueue(fresh("e2"), T0),
      ]);
      expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
      const cancel = await Promise.allSettled([
        store.record("e1", [{ kind: "complete", taskId: "a", attempt: 1, output: null }], T0),
        store.enqueue(fresh("e3"), T0),
      ]);
      expect(cancel.map((r) => r.status)).toEqual(["rejected", "fulfilled"]);
      expect(store.writeFault()).toBeNull();
      expect(faults).toBe(0);
    });
  });

  describe("a database that cannot be read", () => {
    test("an I/O error in a read is a StorageError (503), not an unexpected error", async () => {
      const statements = (store as unknown as { s: Record<string, unknown> }).s;
      statements.listDefinitions = {
        all: () => {
          throw Object.assign(new Error("disk I/O error"), { code: "SQLITE_IOERR_READ" });
        },
      };
      const err = await rejection(store.listDefinitions());
      expect(err.applied).toBeNull();
      expect(err.message).toContain("the database could not be read: the disk reported an I/O error (SQLITE_IOERR_READ)");
      // Anything else stays what it is.
      statements.definitionVersions = {
        all: () => {
          throw new TypeError("a bug");
        },
      };
      await expect(store.definitionVersions("job")).rejects.toBeInstanceOf(TypeError);
    });
  });
});
