/**
 * Schedules: replaced with a new definition version only, each fire one atomic decision
 * (started, buffered, skipped, or nothing when the slot is settled), missed fires counted,
 * buffered fires started once the schedule has nothing unfinished, pause state and triggers.
 */
import { describe, expect } from "bun:test";
import { canonicalJson } from "../../../src/domain/json.ts";
import type { OverlapPolicy, ScheduleSpec } from "../../../src/domain/schedule.ts";
import type { ScheduledExecution, Store } from "../../../src/domain/store.ts";
import { BODY, eventTypes, newExecution, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

const MIN = 60_000;

const spec = (overrides: Partial<ScheduleSpec> = {}): ScheduleSpec => ({
  id: "nightly",
  cron: "* * * * *",
  timezone: "UTC",
  input: {},
  overlap: "skip",
  catchupWindowSeconds: 0,
  paused: false,
  ...overrides,
});

/** Registers version `n` of `job` (the body differs per version) with these schedules at `now`. */
const version = (store: Store, n: number, specs: ScheduleSpec[], now = T0) => {
  const body = { ...BODY, description: `v${n}` };
  return store.registerDefinition("job", body, canonicalJson(body), now, specs);
};

/** A fire of `scheduleId` at nominal `T0 + minutes` by version `v`. */
const fire = (id: string, minutes: number, v = 1, scheduleId = "nightly"): ScheduledExecution => ({
  ...newExecution(id, { definitionVersion: v }),
  schedule: { id: scheduleId, scheduledFor: T0 + minutes * MIN, manual: false },
});

const withOverlap = (overlap: OverlapPolicy) => async (store: Store) => version(store, 1, [spec({ overlap })]);

export function scheduleTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, withOverlap("skip"));
  const buffering = storeTest(makeStore, withOverlap("bufferOne"));
  const allowing = storeTest(makeStore, withOverlap("allow"));

  describe("schedules", () => {
    it("a new version stores its schedules from registration time, as declared", async (store) => {
      expect(await store.listSchedules()).toEqual([
        {
          definitionId: "job",
          version: 1,
          spec: spec(),
          paused: false,
          progress: T0,
          lastFire: null,
          missedCount: 0,
          skippedCount: 0,
          bufferedFire: null,
          lastAction: null,
        },
      ]);
      expect(await store.getSchedule("job", "nope")).toBeNull();
      expect(await store.getSchedule("other", "nightly")).toBeNull();
    });

    it("a fire starts one QUEUED execution with its schedule fields; the same or an earlier slot never again", async (store) => {
      const result = await store.fireSchedule(fire("e1", 1), T0 + MIN);
      expect(result).toMatchObject({
        outcome: "started",
        execution: { id: "e1", status: "QUEUED", scheduleId: "nightly", scheduledFor: T0 + MIN },
      });
      expect(await store.loadExecution("e1")).toMatchObject({ status: "QUEUED", scheduleId: "nightly", scheduledFor: T0 + MIN });
      expect(await eventTypes(store, "e1")).toEqual(["ExecutionQueued"]);
      await store.cancel("e1", T0 + MIN + 1);
      expect(await store.fireSchedule(fire("e2", 1), T0 + MIN + 2)).toEqual({ outcome: "already" });
      expect(await store.fireSchedule(fire("e3", 0), T0 + MIN + 3)).toEqual({ outcome: "already" });
      expect(await store.loadExecution("e2")).toBeNull();
      expect(await store.loadExecution("e3")).toBeNull();
      expect(await store.getSchedule("job", "nightly")).toMatchObject({ progress: T0 + MIN, lastFire: T0 + MIN });
      const events = await store.scheduleEvents("job", "nightly", 10);
      expect(events.map((e) => [e.type, e.nominal, e.executionId])).toEqual([["Fired", T0 + MIN, "e1"]]);
    });

    it("skip: a fire while an earlier one is unfinished is skipped and counted", async (store) => {
      await store.fireSchedule(fire("e1", 1), T0 + MIN);
      expect(await store.fireSchedule(fire("e2", 2), T0 + 2 * MIN)).toEqual({ outcome: "skipped" });
      expect(await store.loadExecution("e2")).toBeNull();
      expect(await store.getSchedule("job", "nightly")).toMatchObject({ skippedCount: 1, progress: T0 + 2 * MIN, lastFire: T0 + MIN });
      await store.cancel("e1", T0 + 2 * MIN + 1);
      expect(await store.fireSchedule(fire("e3", 3), T0 + 3 * MIN)).toMatchObject({ outcome: "started" });
      const types = (await store.scheduleEvents("job", "nightly", 10)).map((e) => e.type);
      expect(types).toEqual(["Fired", "Skipped", "Fired"]);
    });

    buffering("bufferOne: one fire waits, further ones are skipped; it starts once nothing is unfinished", async (store) => {
      await store.fireSchedule(fire("e1", 1), T0 + MIN);
      expect(await store.fireSchedule(fire("e2", 2), T0 + 2 * MIN)).toEqual({ outcome: "buffered" });
      expect(await store.fireSchedule(fire("e3", 3), T0 + 3 * MIN)).toEqual({ outcome: "skipped" });
      expect(await store.getSchedule("job", "nightly")).toMatchObject({ bufferedFire: T0 + 2 * MIN, skippedCount: 1 });
      expect(await store.startBufferedFire(fire("e2", 2), T0 + 3 * MIN)).toEqual({ outcome: "waiting" });
      await store.cancel("e1", T0 + 3 * MIN + 1);
      expect(await store.startBufferedFire(fire("e2", 3), T0 + 3 * MIN + 2)).toEqual({ outcome: "none" });
      const started = await store.startBufferedFire(fire("e2", 2), T0 + 3 * MIN + 2);
      expect(started).toMatchObject({ outcome: "started", execution: { id: "e2", scheduledFor: T0 + 2 * MIN } });
      expect(await store.startBufferedFire(fire("e4", 2), T0 + 3 * MIN + 3)).toEqual({ outcome: "none" });
      expect(await store.getSchedule("job", "nightly")).toMatchObject({
        bufferedFire: null,
        lastFire: T0 + 2 * MIN,
        progress: T0 + 3 * MIN,
      });
    });

    allowing("allow: every fire starts", async (store) => {
      await store.fireSchedule(fire("e1", 1), T0 + MIN);
      expect(await store.fireSchedule(fire("e2", 2), T0 + 2 * MIN)).toMatchObject({ outcome: "started" });
      expect((await store.listExecutions({ limit: 10 })).executions.map((e) => e.scheduledFor)).toEqual([T0 + 2 * MIN, T0 + MIN]);
    });

    it("a paused schedule, a missing one, or a fire computed from an older version writes nothing", async (store) => {
      await store.setSchedulePaused("job", "nightly", true, null, T0);
      expect(await store.fireSchedule(fire("e1", 1), T0 + MIN)).toEqual({ outcome: "paused" });
      expect(await store.fireSchedule(fire("e2", 1, 1, "hourly"), T0 + MIN)).toEqual({ outcome: "missing" });
      await version(store, 2, [spec()], T0 + 30_000);
      expect(await store.fireSchedule(fire("e3", 1, 1), T0 + MIN)).toEqual({ outcome: "missing" });
      expect((await store.listExecutions({ limit: 10 })).executions).toEqual([]);
    });

    it("missed fires are counted with one event, and progress moves", async (store) => {
      await store.recordMissed(
        "job",
        "nightly",
        { count: 3, first: T0 + MIN, last: T0 + 3 * MIN, countCapped: false },
        T0 + 3 * MIN,
        T0 + 4 * MIN,
      );
      expect(await store.getSchedule("job", "nightly")).toMatchObject({ missedCount: 3, progress: T0 + 3 * MIN, lastFire: null });
      const [missed] = await store.scheduleEvents("job", "nightly", 10);
      expect(missed).toMatchObject({
        type: "Missed",
        nominal: T0 + 3 * MIN,
        at: T0 + 4 * MIN,
        data: { count: 3, first: new Date(T0 + MIN).toISOString() },
      });
      expect(await store.fireSchedule(fire("e1", 2), T0 + 4 * MIN)).toEqual({ outcome: "already" });
    });

    it("pause and resume are stored with the last action; a resume moves progress to now", async (store) => {
      const paused = await store.setSchedulePaused("job", "nightly", true, "alice", T0 + MIN);
      expect(paused).toMatchObject({ paused: true, progress: T0, lastAction: { action: "pause", at: T0 + MIN, actor: "alice" } });
      const resumed = await store.setSchedulePaused("job", "nightly", false, null, T0 + 5 * MIN);
      expect(resumed).toMatchObject({
        paused: false,
        progress: T0 + 5 * MIN,
        lastAction: { action: "resume", at: T0 + 5 * MIN, actor: null },
      });
      expect(await store.setSchedulePaused("job", "nope", true, null, T0)).toBeNull();
      expect((await store.scheduleEvents("job", "nightly", 10)).map((e) => [e.type, e.data])).toEqual([
        ["Resumed", null],
        ["Paused", { actor: "alice" }],
      ]);
    });

    it("a trigger starts whatever the pause and overlap, and is no cron slot", async (store) => {
      await store.fireSchedule(fire("e1", 1), T0 + MIN);
      await store.setSchedulePaused("job", "nightly", true, null, T0 + MIN);
      const manual: ScheduledExecution = { ...newExecution("m1"), schedule: { id: "nightly", scheduledFor: T0 + MIN, manual: true } };
      expect(await store.triggerSchedule(manual, null, T0 + MIN + 1)).toMatchObject({ id: "m1", status: "QUEUED", scheduledFor: T0 + MIN });
      expect(await store.getSchedule("job", "nightly")).toMatchObject({
        lastAction: { action: "trigger", at: T0 + MIN + 1 },
        lastFire: T0 + MIN,
      });
      const other: ScheduledExecution = { ...newExecution("m2"), schedule: { id: "nope", scheduledFor: T0, manual: true } };
      expect(await store.triggerSchedule(other, null, T0)).toBeNull();
      const [triggered] = await store.scheduleEvents("job", "nightly", 1);
      expect(triggered).toMatchObject({ type: "Triggered", executionId: "m1" });
    });

    it("events are newest first, limited, and paged by seq", async (store) => {
      for (let i = 1; i <= 3; i++) await store.setSchedulePaused("job", "nightly", i % 2 === 1, null, T0 + i);
      const all = await store.scheduleEvents("job", "nightly", 10);
      expect(all.map((e) => e.at)).toEqual([T0 + 3, T0 + 2, T0 + 1]);
      const page = await store.scheduleEvents("job", "nightly", 2);
      expect(page.map((e) => e.at)).toEqual([T0 + 3, T0 + 2]);
      expect((await store.scheduleEvents("job", "nightly", 2, page[1]!.seq)).map((e) => e.at)).toEqual([T0 + 1]);
      expect(await store.scheduleEvents("job", "nope", 10)).toEqual([]);
    });

    it("a new version records the old spec's fires between its progress and now as missed", async (store) => {
      // T0 is 22:13:20 UTC; "* * * * *" fires on whole minutes.
      await store.fireSchedule(fire("e1", 1), T0 + MIN);
      await version(store, 2, [spec({ cron: "0 * * * *" })], Date.parse("2023-11-14T22:16:50Z"));
      expect(await store.getSchedule("job", "nightly")).toMatchObject({ missedCount: 2, version: 2 });
      const [replaced, missed] = await store.scheduleEvents("job", "nightly", 2);
      expect(replaced).toMatchObject({ type: "Replaced" });
      expect(missed).toMatchObject({
        type: "Missed",
        nominal: Date.parse("2023-11-14T22:16:00Z"),
        data: { count: 2, first: "2023-11-14T22:15:00.000Z", replacedBy: 2 },
      });
    });

    buffering("an unchanged body changes nothing; a new version replaces: kept ids keep state, removed ones say so", async (store) => {
      await store.fireSchedule(fire("e1", 1), T0 + MIN);
      await store.fireSchedule(fire("e2", 2), T0 + 2 * MIN);
      await store.setSchedulePaused("job", "nightly", true, null, T0 + 2 * MIN);
      await version(store, 1, [spec({ overlap: "bufferOne" })], T0 + 3 * MIN);
      expect(await store.getSchedule("job", "nightly")).toMatchObject({ version: 1, paused: true, bufferedFire: T0 + 2 * MIN });
      // Version 2 keeps "nightly" (now hourly, declared running) and adds "weekly".
      const hourly = spec({ cron: "0 * * * *", overlap: "bufferOne" });
      await version(store, 2, [hourly, spec({ id: "weekly", cron: "0 0 * * 0", paused: true })], T0 + 4 * MIN);
      expect(await store.getSchedule("job", "nightly")).toEqual({
        definitionId: "job",
        version: 2,
        spec: hourly,
        paused: false,
        progress: T0 + 4 * MIN,
        lastFire: T0 + MIN,
        missedCount: 0,
        skippedCount: 0,
        bufferedFire: T0 + 2 * MIN,
        lastAction: { action: "pause", at: T0 + 2 * MIN, actor: null },
      });
      expect(await store.getSchedule("job", "weekly")).toMatchObject({ version: 2, paused: true, progress: T0 + 4 * MIN });
      // Version 3 drops "nightly" with its buffered fire.
      await version(store, 3, [], T0 + 5 * MIN);
      expect((await store.listSchedules()).map((s) => s.spec.id)).toEqual([]);
      const [removed, replaced] = await store.scheduleEvents("job", "nightly", 2);
      expect(removed).toMatchObject({
        type: "Removed",
        nominal: T0 + 2 * MIN,
        data: { version: 3, bufferedFire: expect.stringContaining("dropped") },
      });
      expect(replaced).toMatchObject({ type: "Replaced", data: { version: 2, paused: false } });
    });
  });
}
