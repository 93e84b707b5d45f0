/**
 * The scheduler: fires the definitions' cron schedules. One timer on the injected clock for
 * all of them, armed at the earliest next fire (at most `MAX_SLEEP_MS` ahead, so a clock that
 * jumps or a host that sleeps is noticed), and the next fire of each schedule kept in memory,
 * so a wake does store work only for the schedules that are due. `runOnce(now)` is one round.
 *
 * Late or missed: a round whose wake came more than `LATE_MS` after it was planned (or the
 * first round after a start) follows a time Baton did not watch, so only the fires within
 * each schedule's catch-up window start and the older ones are recorded as missed
 * (`domain/schedule.ts` `dueFires`). In a watched round every due fire starts, however many
 * milliseconds the timer was late. The store decides each fire atomically (overlap, slot
 * already taken), so repeated rounds, a restart or the clock going back never start a slot
 * twice. Fired executions are stored QUEUED and handed to admission through `enqueue`.
 */

import type { Clock, TimerHandle } from "../../domain/clock.ts";
import { NotFoundError } from "../../domain/errors.ts";
import { concurrencyKeyOf } from "../../domain/flow.ts";
import type { Logger } from "../../domain/log.ts";
import type { EngineMetrics } from "../../domain/metrics.ts";
import type { Execution } from "../../domain/model.ts";
import { dueFires, nextFire, scheduleNotFound } from "../../domain/schedule.ts";
import type { ScheduledExecution, ScheduleRecord, Store } from "../../domain/store.ts";
import type { DefinitionLookup } from "../deps.ts";

/** Longest sleep between rounds: a forward clock jump is noticed within it. */
export const MAX_SLEEP_MS = 60_000;
/** A wake this much later than planned means the clock jumped or the host slept. */
export const LATE_MS = 10_000;
/** After a round failed (the store refused a write), the next one waits this long. */
export const RETRY_MS = 5_000;

export interface SchedulerDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
  newId: () => string;
  /** The definition version that declared a schedule. */
  definition: DefinitionLookup;
  /** Hands an execution stored QUEUED to admission. */
  enqueue: (execution: Execution) => void;
}

interface Entry {
  record: ScheduleRecord;
  /** The next nominal fire; null while paused or when the expression has none left. */
  next: number | null;
}

const keyOf = (definitionId: string, scheduleId: string) => `${definitionId}\u0000${scheduleId}`;
const iso = (ms: number) => new Date(ms).toISOString();

export class Scheduler {
  private entries = new Map<string, Entry>();
  private loaded = false;
  private started = false;
  private timer: TimerHandle | null = null;
  /** When the armed timer is due; null when not watching (not started, or nothing to watch). */
  private plannedWake: number | null = null;
  /** The round in progress, and whether another was asked for meanwhile. */
  private round: Promise<void> | null = null;
  private again = false;
  /** The last round failed: the next waits `RETRY_MS` instead of running at once for fires still due. */
  private failed = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** The first round (after downtime), then one timer. */
  async start(): Promise<void> {
    this.started = true;
    await this.runOnce(this.deps.clock.now());
  }

  stop(): void {
    this.started = false;
    this.timer?.cancel();
    this.timer = null;
    this.plannedWake = null;
  }

  /** Schedules changed in the store (a new version, pause, resume): read them again, then a round. */
  async reload(): Promise<void> {
    this.loaded = false;
    if (this.started) await this.runOnce(this.deps.clock.now());
  }

  /** An execution a schedule started settled: that schedule's buffered fire may start now. O(1) otherwise. */
  settled(definitionId: string, scheduleId: string): void {
    if (!this.started) return;
    if (this.entries.get(keyOf(definitionId, scheduleId))?.record.bufferedFire != null) void this.runOnce(this.deps.clock.now());
  }

  /** One round: due fires of every schedule, then buffered fires whose predecessor ended. */
  runOnce(now: number): Promise<void> {
    if (this.round) {
      this.again = true;
      return this.round;
    }
    const watched = this.plannedWake !== null && now - this.plannedWake <= LATE_MS;
    if (this.plannedWake !== null && !watched) {
      this.deps.logger.warn(
        "the scheduler woke late: the clock jumped or the host slept; fires in between are caught up or recorded as missed",
        {
          plannedAt: iso(this.plannedWake),
          now: iso(now),
        },
      );
    }
    this.round = this.work(now, watched)
      .then(() => {
        this.failed = false;
      })
      .catch((err: unknown) => {
        this.failed = true;
        this.loaded = false; // read the stored state again: the round may have been cut short anywhere
        this.deps.logger.error(
          "a scheduler round failed; its fires are tried again at the next wake (the store never starts a slot twice)",
          {
            error: err instanceof Error ? err.message : String(err),
          },
        );
      })
      .finally(() => {
        this.round = null;
        const again = this.again && this.started && !this.failed;
        this.again = false;
        if (again) void this.runOnce(this.deps.clock.now());
        else this.arm();
      });
    return this.round;
  }

  private async work(now: number, watched: boolean): Promise<void> {
    if (!this.loaded) await this.load();
    const due = [...this.entries.values()].filter((e) => e.next !== null && e.next <= now);
    const buffered = [...this.entries.values()].filter((e) => e.record.bufferedFire !== null && !e.record.paused);
    await Promise.all([...due.map((e) => this.fire(e, now, watched)), ...buffered.map((e) => this.startBuffered(e, now))]);
  }

  private async load(): Promise<void> {
    this.loaded = true;
    const records = await this.deps.store.listSchedules();
    this.entries = new Map(records.map((r) => [keyOf(r.definitionId, r.spec.id), this.entry(r)]));
  }

  private entry(record: ScheduleRecord): Entry {
    return { record, next: record.paused ? null : nextFire(record.spec, record.progress) };
  }

  /** The fires of one schedule due at `now`, in order. */
  private async fire(entry: Entry, now: number, watched: boolean): Promise<void> {
    const { store, logger } = this.deps;
    const { record } = entry;
    const { definitionId } = record;
    const scheduleId = record.spec.id;
    const fires = dueFires(record.spec, record.progress, now, watched);
    if (fires.missed) {
      const { count, first, last, countCapped } = fires.missed;
      await store.recordMissed(definitionId, scheduleId, fires.missed, fires.start.length > 0 ? fires.start[0]! - 1 : fires.progress, now);
      this.deps.metrics.scheduleMissed(definitionId, count);
      logger.warn(
        "schedule fires missed while Baton was not watching the clock (down, asleep, or the clock jumped); recorded, not started",
        {
          definition: definitionId,
          schedule: scheduleId,
          missed: countCapped ? `at least ${count}` : count,
          first: iso(first),
          last: iso(last),
          catchupWindowSeconds: record.spec.catchupWindowSeconds,
        },
      );
    }
    for (const nominal of fires.start) {
      const result = await store.fireSchedule(await this.execution(record, nominal, false), now);
      const fields = { definition: definitionId, schedule: scheduleId, scheduledFor: iso(nominal) };
      if (result.outcome === "started") {
        logger.info("schedule fired", { ...fields, execution: result.execution.id });
        this.deps.metrics.scheduleFired(definitionId);
        this.deps.enqueue(result.execution);
      } else if (result.outcome === "skipped") {
        logger.info("schedule fire skipped: an execution of an earlier fire is unfinished (overlap skip)", fields);
      } else if (result.outcome === "buffered") {
        logger.info("schedule fire waits for the unfinished execution of an earlier fire (overlap bufferOne)", fields);
      } else if (result.outcome !== "already") {
        this.loaded = false; // paused or replaced meanwhile: read the schedules again next round
        this.again = true;
        break;
      }
    }
    await this.refresh(entry);
  }

  private async startBuffered(entry: Entry, now: number): Promise<void> {
    const { record } = entry;
    const nominal = record.bufferedFire!;
    const result = await this.deps.store.startBufferedFire(await this.execution(record, nominal, false), now);
    if (result.outcome === "started") {
      this.deps.logger.info("buffered schedule fire started: the earlier execution ended", {
        definition: record.definitionId,
        schedule: record.spec.id,
        scheduledFor: iso(nominal),
        execution: result.execution.id,
      });
      this.deps.metrics.scheduleFired(record.definitionId);
      this.deps.enqueue(result.execution);
    }
    if (result.outcome !== "waiting") await this.refresh(entry);
  }

  /** Reads the schedule back after a round wrote to it. */
  private async refresh(entry: Entry): Promise<void> {
    const record = await this.deps.store.getSchedule(entry.record.definitionId, entry.record.spec.id);
    const key = keyOf(entry.record.definitionId, entry.record.spec.id);
    if (record) this.entries.set(key, this.entry(record));
    else this.entries.delete(key);
  }

  private async execution(record: ScheduleRecord, scheduledFor: number, manual: boolean): Promise<ScheduledExecution> {
    const def = await this.deps.definition(record.definitionId, record.version);
    const id = this.deps.newId();
    return {
      id,
      definitionId: record.definitionId,
      definitionVersion: record.version,
      input: record.spec.input,
      // Registration checked that the schedule's input gives a key.
      concurrencyKey: concurrencyKeyOf(def.flow, record.spec.input, id),
      tasks: def.tasks.map((t) => ({ taskId: t.id, name: t.name })),
      schedule: { id: record.spec.id, scheduledFor, manual },
    };
  }

  /** One timer at the earliest next fire, at most `MAX_SLEEP_MS` ahead; none when nothing can fire. */
  private arm(): void {
    this.timer?.cancel();
    this.timer = null;
    this.plannedWake = null;
    if (!this.started) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const e of this.entries.values()) if (e.next !== null && e.next < earliest) earliest = e.next;
    if (earliest === Number.POSITIVE_INFINITY) return;
    const { clock } = this.deps;
    const now = clock.now();
    const delay = Math.min(Math.max(this.failed ? RETRY_MS : 0, earliest - now), MAX_SLEEP_MS);
    this.plannedWake = now + delay;
    this.timer = clock.setTimer(() => {
      this.timer = null;
      void this.runOnce(clock.now());
    }, delay);
  }

  // ---- actions through the API ----

  /** Pauses or resumes; throws `NotFoundError` naming the schedules that exist. */
  async setPaused(definitionId: string, scheduleId: string, paused: boolean, actor: string | null): Promise<ScheduleRecord> {
    const now = this.deps.clock.now();
    const record = await this.deps.store.setSchedulePaused(definitionId, scheduleId, paused, actor, now);
    if (!record) throw await this.notFound(definitionId, scheduleId);
    this.deps.logger.info(paused ? "schedule paused" : "schedule resumed", { definition: definitionId, schedule: scheduleId, actor });
    await this.reload();
    return record;
  }

  /** Runs the schedule once now, whatever its overlap policy and pause state. */
  async trigger(definitionId: string, scheduleId: string, actor: string | null): Promise<Execution> {
    const record = await this.deps.store.getSchedule(definitionId, scheduleId);
    if (!record) throw await this.notFound(definitionId, scheduleId);
    const now = this.deps.clock.now();
    const execution = await this.deps.store.triggerSchedule(await this.execution(record, now, true), actor, now);
    if (!execution) throw await this.notFound(definitionId, scheduleId);
    this.deps.logger.info("schedule triggered by hand", { definition: definitionId, schedule: scheduleId, actor, execution: execution.id });
    this.deps.enqueue(execution);
    return execution;
  }

  private async notFound(definitionId: string, scheduleId: string): Promise<NotFoundError> {
    const [all, def] = await Promise.all([this.deps.store.listSchedules(), this.deps.store.getDefinition(definitionId)]);
    return new NotFoundError(scheduleNotFound(definitionId, scheduleId, def !== null, all));
  }
}
