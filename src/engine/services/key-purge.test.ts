/**
 * Idempotency-key purge: `runOnce(now)` deletes only keys older than the retention; the
 * scheduled purge logs a failure instead of throwing, and stop ends the interval.
 */
import { describe, expect, test } from "bun:test";
import { FakeClock, flushPromises } from "../../../test/helpers/fake-clock.ts";
import { definitionOf, recordingLogger, setupStarted } from "../../../test/helpers/setup.ts";
import { StorageError } from "../../domain/errors.ts";
import { KeyPurge } from "./key-purge.ts";

const T0 = 1_700_000_000_000;
const HOUR = 3600 * 1000;

describe("runOnce(now)", () => {
  test("asks the store to delete the keys created before now minus the retention", async () => {
    const asked: number[] = [];
    const purge = new KeyPurge({
      store: {
        purgeIdempotencyKeys: async (before) => {
          asked.push(before);
          return 3;
        },
      },
      clock: new FakeClock(T0),
      logger: recordingLogger(),
      retentionMs: HOUR,
    });
    expect(await purge.runOnce(T0 + 5 * HOUR)).toBe(3);
    expect(asked).toEqual([T0 + 4 * HOUR]);
  });

  test("in a real store: an old key is forgotten, a recent one still returns its execution", async () => {
    const w = await setupStarted();
    await w.register(definitionOf("a", { functionName: "noop" }));
    const old = await w.engine.submitWith("a", {}, { idempotencyKey: "old" });
    await w.clock.advance(2 * HOUR);
    const recent = await w.engine.submitWith("a", {}, { idempotencyKey: "recent" });
    await w.drain();
    const purge = new KeyPurge({ store: w.store, clock: w.clock, logger: recordingLogger(), retentionMs: HOUR });
    expect(await purge.runOnce(w.clock.now())).toBe(1);
    expect(await purge.runOnce(w.clock.now())).toBe(0);
    // The engine remembers keys for 24 h: only the purge explains a new execution for "old".
    const again = await w.engine.submitWith("a", {}, { idempotencyKey: "old" });
    expect(again.created).toBe(true);
    expect(again.execution.id).not.toBe(old.execution.id);
    expect(await w.engine.submitWith("a", {}, { idempotencyKey: "recent" })).toMatchObject({
      created: false,
      execution: { id: recent.execution.id },
    });
  });
});

describe("start/stop", () => {
  test("purges at start; a failure is logged as a warning, not thrown", async () => {
    const logger = recordingLogger();
    let calls = 0;
    const purge = new KeyPurge({
      store: {
        purgeIdempotencyKeys: async () => {
          calls++;
          throw new StorageError("could not write", false, "the disk is full (SQLITE_FULL)");
        },
      },
      clock: new FakeClock(T0),
      logger,
      retentionMs: HOUR,
    });
    purge.start();
    await flushPromises();
    purge.stop();
    expect(calls).toBe(1);
    expect(logger.lines).toEqual([
      {
        level: "warn",
        message: "could not purge expired idempotency keys; will try again in an hour",
        fields: { error: "the disk is full (SQLITE_FULL)" },
      },
    ]);
  });

  test("the hourly purge runs on a real, unref'd interval, not on the clock's timers", () => {
    const clock = new FakeClock(T0);
    const purge = new KeyPurge({ store: { purgeIdempotencyKeys: async () => 0 }, clock, logger: recordingLogger(), retentionMs: HOUR });
    purge.start();
    expect(clock.pending).toBe(0);
    purge.stop();
  });
});
