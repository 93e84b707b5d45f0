/** Lease expiry: `runOnce(now)` hands every lease due by the stored time to `expire`; rounds run on the clock only while leases are held. */
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../../test/helpers/fake-clock.ts";
import { recordingLogger } from "../../../test/helpers/setup.ts";
import type { Lease } from "../../domain/store.ts";
import { LeaseExpiry } from "./lease-expiry.ts";

const T0 = 1_700_000_000_000;
const leaseAt = (leaseId: string, expiresAt: number): Lease => ({
  leaseId,
  executionId: "e1",
  taskId: "a",
  attempt: 1,
  workerId: "w1",
  grantedAt: T0,
  expiresAt,
  ended: null,
});

function world(stored: Lease[], holding = true) {
  const clock = new FakeClock(T0);
  const expired: [string, number][] = [];
  const ended: string[] = [];
  const asked: number[] = [];
  const logger = recordingLogger();
  const state = { holding, fail: false };
  const service = new LeaseExpiry({
    store: {
      endStaleLease: async (leaseId) => {
        ended.push(leaseId);
        return true;
      },
      expiredLeases: async (now) => {
        asked.push(now);
        if (state.fail) throw new Error("disk I/O error");
        return stored.filter((l) => l.expiresAt <= now);
      },
    },
    clock,
    logger,
    expire: (lease, now) => {
      expired.push([lease.leaseId, now]);
      return lease.leaseId !== "orphan";
    },
    intervalMs: 1000,
    holding: () => state.holding,
  });
  return { clock, expired, ended, asked, logger, state, service };
}

describe("runOnce(now)", () => {
  test("expires every lease whose stored expiry is at or before now", async () => {
    const w = world([leaseAt("a", T0 + 5000), leaseAt("b", T0 + 9000)]);
    expect(await w.service.runOnce(T0 + 4999)).toBe(0);
    expect(await w.service.runOnce(T0 + 5000)).toBe(1);
    expect(w.expired).toEqual([["a", T0 + 5000]]);
    expect(w.ended).toEqual([]);
  });

  test("a due lease this process does not hold is handed to the store to end if its attempt ended", async () => {
    const w = world([leaseAt("orphan", T0)]);
    expect(await w.service.runOnce(T0)).toBe(1);
    expect(w.ended).toEqual(["orphan"]);
  });
});

describe("start/stop on the clock", () => {
  test("a round every interval while leases are held; none while none is; a nudge starts them again", async () => {
    const w = world([leaseAt("a", T0 + 2500)]);
    w.service.start();
    await w.clock.advance(3000);
    expect(w.asked).toEqual([T0 + 1000, T0 + 2000, T0 + 3000]);
    expect(w.expired).toEqual([["a", T0 + 3000]]);
    w.state.holding = false;
    await w.clock.advance(1000);
    expect(w.clock.pending).toBe(0);
    w.state.holding = true;
    w.service.nudge();
    w.service.nudge();
    expect(w.clock.pending).toBe(1);
    w.service.stop();
    expect(w.clock.pending).toBe(0);
    w.service.nudge();
    expect(w.clock.pending).toBe(0);
  });

  test("a round that fails is logged and tried again at the next one", async () => {
    const w = world([]);
    w.state.fail = true;
    w.service.start();
    await w.clock.advance(2000);
    expect(w.asked).toHaveLength(2);
    expect(w.logger.lines.map((l) => [l.level, l.message])).toEqual([
      ["warn", "could not look for expired worker leases; trying again shortly"],
      ["warn", "could not look for expired worker leases; trying again shortly"],
    ]);
  });
});
