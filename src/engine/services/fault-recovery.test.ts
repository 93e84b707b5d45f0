/**
 * Fault recovery on its own, with a fake store and the fake clock: `runOnce(now)` probes while
 * writes are refused and resumes once they are accepted; `arm` keeps one timer while work
 * waits and stops by itself. The engine through faults is in `engine-faults.test.ts`.
 */
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../test/helpers/fake-clock.ts";
import { recordingLogger } from "../../../test/helpers/setup.ts";
import type { StoreFault } from "../../domain/store.ts";
import { FAULT_PROBE_INTERVAL_MS, FaultRecovery } from "./fault-recovery.ts";

const T0 = 1_700_000_000_000;

/** A store refusing writes until `accept` is set (a probe throws `probeError` once); `resume` answers from `stillWaiting`. */
function world() {
  const clock = new FakeClock(T0);
  const logger = recordingLogger();
  const s = {
    fault: null as StoreFault | null,
    accept: false,
    probeError: null as Error | null,
    probes: 0,
    resumed: [] as number[],
    stillWaiting: false,
  };
  const recovery = new FaultRecovery({
    store: {
      writeFault: () => s.fault,
      probeWrites: async () => {
        s.probes++;
        const broke = s.probeError;
        s.probeError = null;
        if (broke) throw broke;
        if (s.accept) s.fault = null;
        return s.accept;
      },
    },
    clock,
    logger,
    resume: (now) => {
      s.resumed.push(now);
      return s.stillWaiting;
    },
  });
  return { clock, logger, s, recovery };
}

describe("runOnce(now)", () => {
  test("writes accepted: resumes at once, without a probe, and says whether work still waits", async () => {
    const { s, recovery } = world();
    expect(await recovery.runOnce(T0 + 1)).toBe(false);
    s.stillWaiting = true;
    expect(await recovery.runOnce(T0 + 2)).toBe(true);
    expect(s.resumed).toEqual([T0 + 1, T0 + 2]);
    expect(s.probes).toBe(0);
  });

  test("writes refused: probes; nothing resumes until a probe succeeds", async () => {
    const { s, recovery } = world();
    s.fault = { reason: "the disk is full (SQLITE_FULL)", since: T0 };
    expect(await recovery.runOnce(T0)).toBe(true);
    expect(s.resumed).toEqual([]);
    s.accept = true;
    expect(await recovery.runOnce(T0 + 500)).toBe(false);
    expect(s.probes).toBe(2);
    expect(s.resumed).toEqual([T0 + 500]);
  });
});

describe("arm/stop on the clock", () => {
  test("one timer however often armed; rounds go on while work waits, then it stops by itself", async () => {
    const { clock, s, recovery } = world();
    s.fault = { reason: "full", since: T0 };
    recovery.arm();
    recovery.arm();
    expect(clock.pending).toBe(1);
    await clock.advance(FAULT_PROBE_INTERVAL_MS * 3);
    expect(s.probes).toBe(3);
    expect(clock.pending).toBe(1);
    s.accept = true;
    s.stillWaiting = true; // a parked retry not yet due
    await clock.advance(FAULT_PROBE_INTERVAL_MS);
    expect(s.resumed).toEqual([T0 + 4 * FAULT_PROBE_INTERVAL_MS]);
    s.stillWaiting = false;
    await clock.advance(FAULT_PROBE_INTERVAL_MS);
    expect(s.resumed).toHaveLength(2);
    expect(clock.pending).toBe(0);
  });

  test("a round that throws is logged and tried again", async () => {
    const { clock, logger, s, recovery } = world();
    s.fault = { reason: "full", since: T0 };
    s.accept = true;
    s.probeError = new Error("probe broke");
    recovery.arm();
    await clock.advance(FAULT_PROBE_INTERVAL_MS);
    expect(logger.lines.map((l) => [l.level, l.fields?.error])).toEqual([["error", "probe broke"]]);
    expect(clock.pending).toBe(1);
    await clock.advance(FAULT_PROBE_INTERVAL_MS);
    expect(s.resumed).toHaveLength(1);
    expect(clock.pending).toBe(0);
  });

  test("after stop nothing is armed again", async () => {
    const { clock, s, recovery } = world();
    recovery.arm();
    recovery.stop();
    expect(clock.pending).toBe(0);
    recovery.arm();
    expect(clock.pending).toBe(0);
    await clock.advance(FAULT_PROBE_INTERVAL_MS * 2);
    expect(s.resumed).toEqual([]);
  });
});
