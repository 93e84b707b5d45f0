/**
 * The scheduler on the fake clock: fires at their nominal times and never twice, catch-up and
 * missed fires after a restart or a forward clock jump, the three overlap policies, pause
 * state across restarts, new versions, and the two DST changes of Europe/Berlin.
 */
import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import {
  definition,
  heldFunction,
  type RawTask,
  recordingLogger,
  sequentialIds,
  setup,
  setupStarted,
  type TestWorld,
} from "../../test/helpers/setup.ts";
import { StorageError } from "../domain/errors.ts";
import type { ScheduleSpec } from "../domain/schedule.ts";
import { SqliteStore } from "../store/sqlite/store.ts";

const MIN = 60_000;
/** 2023-11-14T22:14:00Z: a whole minute. */
const T0 = 1_700_000_040_000;
const iso = (ms: number) => new Date(ms).toISOString();

const scheduled = (schedule: Partial<ScheduleSpec>, tasks?: RawTask[]) =>
  definition({ id: "job", schedules: [{ id: "every", cron: "* * * * *", ...schedule }], ...(tasks ? { tasks } : {}) });

/** `scheduledFor` of every execution, oldest first. */
async function fires(w: TestWorld): Promise<(string | null)[]> {
  const page = await w.store.listExecutions({ limit: 1000 });
  return page.executions.map((e) => (e.scheduledFor === null ? null : iso(e.scheduledFor))).reverse();
}

const schedule = async (w: TestWorld, id = "every") => (await w.store.getSchedule("job", id))!;
const eventTypes = async (w: TestWorld, id = "every") => (await w.store.scheduleEvents("job", id, 100)).map((e) => e.type).reverse();

async function world(schedule: Partial<ScheduleSpec>, clock = new FakeClock(T0), extra: Parameters<typeof setup>[0] = {}) {
  const w = setup({ clock, ...extra });
  await w.register(scheduled(schedule, extra.functions ? [{ id: "t1", functionName: Object.keys(extra.functions)[0]! }] : undefined));
  await w.engine.start();
  return w;
}

/** A second process on the same store, `downMs` after the first stopped (its timers gone with it). */
async function restart(w: TestWorld, downMs: number, prefix: string): Promise<TestWorld> {
  await w.engine.stop(0);
  const b = setup({ store: w.store, clock: new FakeClock(w.clock.now() + downMs), newId: sequentialIds(prefix) });
  await b.engine.start();
  await b.clock.flush();
  return b;
}

describe("scheduler", () => {
  test("fires at each nominal time, one execution each, with scheduleId and scheduledFor; they run", async () => {
    const w = await world({});
    await w.clock.advance(3 * MIN);
    expect(await fires(w)).toEqual([iso(T0 + MIN), iso(T0 + 2 * MIN), iso(T0 + 3 * MIN)]);
    const [last] = (await w.store.listExecutions({ limit: 1 })).executions;
    expect(last).toMatchObject({ status: "COMPLETED", scheduleId: "every", definitionVersion: 1, input: {} });
    expect(await schedule(w)).toMatchObject({ lastFire: T0 + 3 * MIN, progress: T0 + 3 * MIN, missedCount: 0, skippedCount: 0 });
    expect(await eventTypes(w)).toEqual(["Fired", "Fired", "Fired"]);
  });

  test("{{execution.scheduledFor}} gives the task the nominal time; a start by hand gets null", async () => {
    const w = setup({ clock: new FakeClock(T0) });
    await w.register(
      definition({
        id: "job",
        schedules: [{ id: "every", cron: "* * * * *" }],
        tasks: [{ id: "t1", functionName: "echo", params: { at: "{{execution.scheduledFor}}" } }],
      }),
    );
    await w.engine.start();
    await w.clock.advance(MIN);
    const byHand = await w.engine.submit("job", {});
    await w.drain();
    const outputs = (await w.store.listExecutions({ limit: 2 })).executions.map((e) => e.id);
    const [manual, fired] = await Promise.all(outputs.map(async (id) => (await w.store.loadExecution(id))!.tasks[0]!.output));
    expect(outputs[0]).toBe(byHand.id);
    expect(fired).toMatchObject({ params: { at: iso(T0 + MIN) } });
    expect(manual).toMatchObject({ params: { at: null } });
  });

  test("rounds repeated at the same or an earlier time, or two at once, start nothing twice", async () => {
    const w = await world({ overlap: "allow" });
    await w.clock.advance(MIN);
    await Promise.all([w.engine.scheduler.runOnce(w.clock.now()), w.engine.scheduler.runOnce(w.clock.now())]);
    await w.engine.scheduler.runOnce(w.clock.now() - 5 * MIN);
    await w.clock.flush();
    expect(await fires(w)).toEqual([iso(T0 + MIN)]);
  });

  test("one timer for all schedules, armed at the earliest fire, never more than a minute ahead", async () => {
    const clock = new FakeClock(T0);
    const w = setup({ clock });
    const many = Array.from({ length: 50 }, (_, i) => ({ id: `s${i}`, cron: `${i % 60} * * * *` }));
    await w.register(definition({ id: "job", schedules: many }));
    await w.engine.start();
    expect(clock.pending).toBe(1);
    expect(clock.nextDue()).toBe(T0 + MIN);
    await clock.advance(MIN);
    expect(clock.pending).toBe(1);
  });

  test("a fire the store refuses is tried again 5 s later, not in a tight loop, and starts once", async () => {
    const store = SqliteStore.open({ path: ":memory:" });
    let refusals = 1;
    const fireSchedule = store.fireSchedule.bind(store);
    store.fireSchedule = (e, now) =>
      refusals-- > 0 ? Promise.reject(new StorageError("the disk is full", false, "SQLITE_FULL")) : fireSchedule(e, now);
    const logger = recordingLogger();
    const w = await world({}, new FakeClock(T0), { store, logger });
    await w.clock.advance(MIN);
    expect(await fires(w)).toEqual([]);
    expect(w.clock.nextDue()).toBe(T0 + MIN + 5000);
    expect(logger.lines.filter((l) => l.level === "error").map((l) => l.message)).toEqual([
      "a scheduler round failed; its fires are tried again at the next wake (the store never starts a slot twice)",
    ]);
    await w.clock.advance(5000);
    expect(await fires(w)).toEqual([iso(T0 + MIN)]);
    expect(await schedule(w)).toMatchObject({ missedCount: 0 });
  });

  describe("after a restart", () => {
    test("inside the catch-up window: the missed fires start, oldest first, none twice", async () => {
      const w = await world({ catchupWindowSeconds: 600, overlap: "allow" });
      await w.clock.advance(MIN);
      const b = await restart(w, 5 * MIN + 30_000, "b");
      await b.drain();
      expect(await fires(b)).toEqual([1, 2, 3, 4, 5, 6].map((m) => iso(T0 + m * MIN)));
      expect(await schedule(b)).toMatchObject({ missedCount: 0, progress: T0 + 6 * MIN });
      // Another restart at once: nothing more.
      const c = await restart(b, 0, "c");
      expect(await fires(c)).toHaveLength(6);
    });

    test("outside the window: recorded as missed (an event and the count), never started", async () => {
      const w = await world({ catchupWindowSeconds: 90, overlap: "allow" });
      await w.clock.advance(MIN);
      const b = await restart(w, 10 * MIN + 1000, "b");
      await b.drain();
      // Down from T0+1min to T0+11min+1s: fires at +2..+9 are older than 90 s, +10 and +11 are within.
      expect(await fires(b)).toEqual([iso(T0 + MIN), iso(T0 + 10 * MIN), iso(T0 + 11 * MIN)]);
      expect(await schedule(b)).toMatchObject({ missedCount: 8 });
      const [missed] = (await b.store.scheduleEvents("job", "every", 100)).filter((e) => e.type === "Missed");
      expect(missed).toMatchObject({ nominal: T0 + 9 * MIN, data: { count: 8, first: iso(T0 + 2 * MIN) } });
    });
  });

  test("a forward clock jump is noticed: fires in between are caught up within the window, the rest missed", async () => {
    const w = await world({ catchupWindowSeconds: 120, overlap: "allow" });
    await w.clock.advance(MIN);
    await w.clock.jump(30 * MIN);
    await w.clock.advanceToNext(); // the timer set for T0+2min fires 29 minutes late
    await w.drain();
    // Woken at T0+31min: +29, +30 and +31 are within 120 s; +2 to +28 are missed.
    expect(await fires(w)).toEqual([iso(T0 + MIN), iso(T0 + 29 * MIN), iso(T0 + 30 * MIN), iso(T0 + 31 * MIN)]);
    expect(await schedule(w)).toMatchObject({ missedCount: 27 });
    // A timer a few seconds late is not a jump: with no window the fire still starts.
    const v = await world({}, new FakeClock(T0), { newId: sequentialIds("v") });
    await v.clock.jump(MIN + 5000);
    await v.clock.advanceToNext();
    expect(await fires(v)).toEqual([iso(T0 + MIN)]);
    expect(await schedule(v)).toMatchObject({ missedCount: 0 });
  });

  describe("overlap", () => {
    test("skip: fires while one runs are skipped and counted; none overlap", async () => {
      const held = heldFunction();
      const w = await world({ overlap: "skip" }, new FakeClock(T0), { functions: { held: held.fn } });
      await w.clock.advance(3 * MIN);
      expect(held.calls).toHaveLength(1);
      expect(await schedule(w)).toMatchObject({ skippedCount: 2 });
      held.calls[0]!.finish();
      await w.clock.advance(MIN);
      expect(held.maxActive).toBe(1);
      expect(await fires(w)).toEqual([iso(T0 + MIN), iso(T0 + 4 * MIN)]);
      expect(await eventTypes(w)).toEqual(["Fired", "Skipped", "Skipped", "Fired"]);
    });

    test("bufferOne: one fire waits and starts when the earlier one ends; further ones are skipped", async () => {
      const held = heldFunction();
      const w = await world({ overlap: "bufferOne" }, new FakeClock(T0), { functions: { held: held.fn } });
      await w.clock.advance(3 * MIN + 10_000);
      expect(await schedule(w)).toMatchObject({ bufferedFire: T0 + 2 * MIN, skippedCount: 1 });
      held.calls[0]!.finish();
      await w.clock.flush();
      expect(held.calls).toHaveLength(2);
      expect(await fires(w)).toEqual([iso(T0 + MIN), iso(T0 + 2 * MIN)]);
      expect(await schedule(w)).toMatchObject({ bufferedFire: null, lastFire: T0 + 2 * MIN });
      expect(await eventTypes(w)).toEqual(["Fired", "Buffered", "Skipped", "Fired"]);
    });

    test("bufferOne: cancelling the earlier fire while it is QUEUED starts the buffered one", async () => {
      const held = heldFunction();
      // The definition's limit keeps the first fire QUEUED behind an unscheduled execution.
      const w = setup({ clock: new FakeClock(T0), functions: { held: held.fn } });
      await w.register({ ...scheduled({ overlap: "bufferOne" }, [{ id: "t1", functionName: "held" }]), maxConcurrent: 1 });
      await w.engine.start();
      const blocker = await w.engine.submit("job", {});
      await w.clock.advance(2 * MIN + 10_000);
      const [first] = (await w.store.listExecutions({ limit: 10 })).executions.filter((e) => e.scheduledFor === T0 + MIN);
      expect(first).toMatchObject({ status: "QUEUED" });
      expect(await schedule(w)).toMatchObject({ bufferedFire: T0 + 2 * MIN });
      await w.engine.cancel(first!.id);
      await w.clock.flush();
      expect(await schedule(w)).toMatchObject({ bufferedFire: null, lastFire: T0 + 2 * MIN });
      expect(await fires(w)).toEqual([null, iso(T0 + MIN), iso(T0 + 2 * MIN)]);
      expect((await w.store.loadExecution(blocker.id))!.status).toBe("RUNNING");
    });

    test("allow: every fire starts while earlier ones run", async () => {
      const held = heldFunction();
      const w = await world({ overlap: "allow" }, new FakeClock(T0), { functions: { held: held.fn } });
      await w.clock.advance(3 * MIN);
      expect(held.active).toBe(3);
    });
  });

  test("pause and resume are stored: no fire while paused, the state survives a restart, resume fires from now", async () => {
    const w = await world({});
    await w.engine.pauseSchedule("job", "every");
    await w.clock.advance(3 * MIN);
    expect(await fires(w)).toEqual([]);
    const b = await restart(w, 2 * MIN, "b");
    // The jobs folder registers the same body again at each start: nothing changes.
    expect(await b.register(scheduled({}))).toMatchObject({ created: false });
    await b.clock.advance(3 * MIN);
    expect(await fires(b)).toEqual([]);
    expect(await schedule(b)).toMatchObject({ paused: true, missedCount: 0, lastAction: { action: "pause", at: T0, actor: null } });
    await b.engine.resumeSchedule("job", "every");
    await b.clock.advance(MIN);
    expect(await fires(b)).toEqual([iso(T0 + 9 * MIN)]);
  });

  test("a new version: the next fire from now, a buffered fire kept, a slot that fired never fires again", async () => {
    const held = heldFunction();
    const w = await world({ overlap: "bufferOne" }, new FakeClock(T0), { functions: { held: held.fn } });
    await w.clock.advance(2 * MIN);
    // Version 2 (every two minutes) registered at T0+2min+20s; the fire at T0+2min is buffered.
    await w.clock.advance(20_000);
    await w.register({ ...scheduled({ overlap: "bufferOne", cron: "*/2 * * * *" }, [{ id: "t1", functionName: "held" }]), name: "v2" });
    await w.clock.flush();
    expect(await schedule(w)).toMatchObject({ version: 2, bufferedFire: T0 + 2 * MIN });
    held.calls[0]!.finish();
    await w.clock.flush();
    held.calls[1]!.finish();
    await w.clock.advance(2 * MIN);
    // T0 = 22:14, so */2 fires at even minutes: T0+2min already fired (buffered), next T0+4min.
    expect(await fires(w)).toEqual([iso(T0 + MIN), iso(T0 + 2 * MIN), iso(T0 + 4 * MIN)]);
    const page = await w.store.listExecutions({ limit: 10 });
    expect(page.executions.map((e) => e.definitionVersion)).toEqual([2, 2, 1]);
  });

  test("trigger runs now whatever the pause and overlap; it is recorded with the last action", async () => {
    const w = await world({ paused: true });
    await w.clock.advance(30_000);
    const e = await w.engine.triggerSchedule("job", "every");
    await w.drain();
    expect(await w.store.loadExecution(e.id)).toMatchObject({ status: "COMPLETED", scheduleId: "every", scheduledFor: T0 + 30_000 });
    expect(await schedule(w)).toMatchObject({ lastAction: { action: "trigger", at: T0 + 30_000 }, lastFire: null });
    await expect(w.engine.triggerSchedule("job", "nope")).rejects.toThrow('definition "job" has no schedule "nope" (its schedules: every)');
    await expect(w.engine.pauseSchedule("other", "every")).rejects.toThrow(
      'no job definition with id "other" (definitions with schedules: job)',
    );
  });

  describe("DST in Europe/Berlin (30 2 * * *)", () => {
    const berlin = { cron: "30 2 * * *", timezone: "Europe/Berlin" };

    test("spring forward: 02:30 does not exist on 2026-03-29 and fires at 03:00 CEST, once", async () => {
      const w = await world(berlin, new FakeClock(Date.parse("2026-03-28T12:00:00Z")));
      await w.clock.advance(48 * 3600_000);
      expect(await fires(w)).toEqual(["2026-03-29T01:00:00.000Z", "2026-03-30T00:30:00.000Z"]);
    });

    test("fall back: 02:30 happens twice on 2026-10-25 and fires once, at the first (CEST)", async () => {
      const w = await world(berlin, new FakeClock(Date.parse("2026-10-24T12:00:00Z")));
      await w.clock.advance(48 * 3600_000);
      expect(await fires(w)).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z"]);
    });
  });

  test("an engine without schedules keeps no scheduler timer", async () => {
    const w = await setupStarted();
    await w.register(definition({ id: "plain" }));
    await w.clock.flush();
    expect(w.clock.pending).toBe(0);
  });
});
