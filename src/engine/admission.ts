/**
 * Admission: executions take one of `maxConcurrentJobs` slots through a semaphore, highest
 * priority first and first in, first out among equals, within their definitions' limits
 * (`flow-queue.ts`: an execution held back by a limit never blocks the others). A submission
 * that finds a free slot, nobody waiting and no limit reached takes the direct path (stored
 * RUNNING by its own commit); the others wait in the queue and are admitted one write each.
 * Each admitted execution is driven by its run until it no longer needs its slot.
 *
 * After a storage fault it resumes by itself: executions whose admission or run failed are
 * parked, holding their permit (the database may say RUNNING), and read back once fault
 * recovery finds the database accepting writes; until then nothing new is admitted.
 *
 * Over 300 lines: the permits, the parked executions and the runs being driven are one piece
 * of accounting (a permit is held exactly while one of them needs it), so they stay together;
 * the queue (`flow-queue.ts`) and what comes before it (`flow-intake.ts`) are apart.
 */
import type { JobDefinition } from "../domain/definition.ts";
import type { FlowLimits, WaitReason } from "../domain/flow.ts";
import { readyTasks, rootsOf } from "../domain/graph.ts";
import type { Execution, ExecutionWithTasks, QueuedRef } from "../domain/model.ts";
import type { DefinitionLookup, RunDeps } from "./deps.ts";
import { type EnqueueOptions, FlowIntake } from "./flow-intake.ts";
import { FlowQueue, type PushOptions } from "./flow-queue.ts";
import { Parking } from "./parking.ts";
import { ExecutionRun } from "./run.ts";
import { Semaphore } from "./semaphore.ts";

export interface AdmissionDeps {
  run: RunDeps;
  maxConcurrentJobs: number;
  /** How long a cancelled execution's running attempts get to return. */
  cancelGraceMs: number;
  definition: DefinitionLookup;
  /** The limits of a definition version already known to the catalog, without a read; undefined when it must be read. */
  cachedFlow: (definitionId: string, version: number) => FlowLimits | undefined;
  /** A settled execution read back at admission whose handlers did not all run. */
  resumeHandlers: (id: string) => void;
  /** Makes sure fault recovery runs soon. */
  arm: () => void;
  /** Called whenever a slot, a run or the queue changes: the engine may be idle now. */
  notifyIdle: () => void;
}

/** Submitted by this process, so every task is PENDING: the definition it runs, known without a read. */
export interface FreshStart {
  definitionId: string;
  definitionVersion: number;
}

interface Queued {
  id: string;
  fresh?: FreshStart;
  /** When its slot was given: the admission is stored with this time, so rate windows count what is stored. */
  at?: number;
}

export class Admission {
  private readonly semaphore: Semaphore;
  private readonly queue = new FlowQueue();
  private readonly intake: FlowIntake;
  private readonly runs = new Map<string, ExecutionRun>();
  /** Cancels accepted for RUNNING executions whose run this process has not built yet. */
  private readonly pendingCancels = new Set<string>();
  /**
   * Executions whose admission or run failed, each holding its permit (the database may say
   * RUNNING): read again and admitted or resumed, in the order they failed, by `resumeParked`.
   */
  private readonly parked: Parking;
  /**
   * Set when the store refuses writes, cleared once `resumeParked` has sent the refused
   * writes again: until then nothing is admitted, so that an execution's end refused during
   * the fault commits before the admission that takes its slot.
   */
  private awaitingResume = false;
  private stopping = false;

  constructor(private readonly deps: AdmissionDeps) {
    this.semaphore = new Semaphore(deps.maxConcurrentJobs, () => deps.run.clock.now());
    this.parked = new Parking(deps.run.clock, deps.run.logger, deps.arm);
    const { store, clock, logger } = deps.run;
    this.intake = new FlowIntake({
      queue: this.queue,
      store,
      clock,
      logger,
      definition: deps.definition,
      cachedFlow: deps.cachedFlow,
      pump: () => this.pump(),
      stopping: () => this.stopping,
      notifyIdle: deps.notifyIdle,
    });
  }

  /** True once `stop` began: nothing new is admitted. */
  get isStopping(): boolean {
    return this.stopping;
  }

  /** Executions holding a slot right now. */
  get running(): number {
    return this.semaphore.inUse;
  }

  /** Milliseconds of slots held, summed over slots, since the engine was made. */
  get slotBusyMs(): number {
    return this.semaphore.busyMs;
  }

  /** Nothing running or finishing, and nothing queued that this process will still admit. */
  isIdle(): boolean {
    return (
      (this.stopping || (this.queue.length === 0 && this.intake.resolving === 0)) && this.semaphore.inUse === 0 && this.runs.size === 0
    );
  }

  /** True while parked executions or refused writes of running ones wait. */
  get waiting(): boolean {
    return this.parked.size > 0 || [...this.runs.values()].some((r) => r.waitingForStore);
  }

  /** Runs waiting out a task's retry backoff. */
  retrying(): number {
    let n = 0;
    for (const run of this.runs.values()) if (run.retrying) n++;
    return n;
  }

  /** Ids of the first `n` executions waiting in this process, in the order they would start if no limit held them back. */
  queuedIds(n: number): string[] {
    return this.queue.peekIds(n);
  }

  /** What a QUEUED execution waits for in this process; null when it does not wait here. */
  waitingFor(id: string): Exclude<WaitReason, "runAt"> | null {
    return this.queue.reasonOf(id) ?? null;
  }

  /** Executions waiting in this process by what they wait for (`runAt` is not counted here). */
  waitingCounts(): Record<WaitReason, number> {
    const counts = this.queue.waitingCounts();
    // Those whose definition is being read wait for nothing but that: count them in line.
    counts.slot += this.intake.resolving;
    return counts;
  }

  /**
   * False from the store's first refused write until `resumeParked` (the store reports every
   * fault through `onWriteFault`): admissions wait, their slots free, instead of failing.
   */
  private get admitting(): boolean {
    return !this.awaitingResume;
  }

  /** The store refused a write: admit nothing until fault recovery has sent the refused writes again. */
  faultSeen(): void {
    this.awaitingResume = true;
    this.deps.arm();
  }

  /** A free slot, nobody in line and no limit reached: takes the slot and the places for a submission's direct path. */
  tryDirect(ref: QueuedRef, limits: FlowLimits, now: number): boolean {
    if (!this.admitting || this.stopping || this.semaphore.inUse >= this.semaphore.limit) return false;
    if (!this.queue.tryDirect(ref, limits, now)) return false;
    this.semaphore.forceAcquire(); // a permit is free: checked above
    return true;
  }

  /** Drives an execution its submission stored RUNNING (its permit already held); returns it without its tasks. */
  runDirect(admitted: ExecutionWithTasks, def: JobDefinition, roots: readonly string[]): Execution {
    this.deps.run.metrics.executionStarted(def.id, (admitted.startedAt ?? admitted.createdAt) - admitted.createdAt);
    void this.drive(new ExecutionRun(this.deps.run, admitted, def, new Set(roots)));
    const { tasks: _, ...execution } = admitted;
    return execution;
  }

  /** Queues an execution that is (or may be) stored QUEUED, and admits what it can (see `flow-intake.ts`). */
  enqueue(ref: QueuedRef, options: EnqueueOptions = {}): void {
    this.intake.enqueue(ref, options);
  }

  /** Reads what `push` needs of these executions, so the pushes at start need no read. */
  prepare(refs: readonly QueuedRef[]): Promise<void> {
    return this.intake.prepare(refs);
  }

  /** Queues without admitting yet (at start, after `prepare`; `pump` follows once everything is queued). */
  push(ref: QueuedRef, options: PushOptions = {}): void {
    this.intake.push(ref, options);
  }

  /** Admits from the queue while permits are free, unless writes are refused. */
  pump(): void {
    const now = this.deps.run.clock.now();
    while (!this.stopping && this.admitting && this.semaphore.inUse < this.semaphore.limit) {
      const entry = this.queue.next(now);
      if (!entry) break;
      this.semaphore.forceAcquire();
      const { id, fresh, definitionId, definitionVersion } = entry;
      void this.admit(fresh ? { id, fresh: { definitionId, definitionVersion }, at: now } : { id, at: now });
    }
    if (this.queue.rateLimited) this.intake.armReopen(now);
    this.deps.notifyIdle();
  }

  /** Gives an execution's permit and places back and lets the queue move. */
  release(id: string): void {
    this.semaphore.release();
    this.queue.release(id, this.deps.run.clock.now());
    this.pump();
  }

  /** Forgets a QUEUED execution that was cancelled. */
  forget(id: string): void {
    if (this.queue.remove(id, this.deps.run.clock.now())) this.pump();
  }

  /** Parks an execution holding its permit, to be read again by `resumeParked`. */
  park(id: string, err: unknown, failures: number, what: string): void {
    this.parked.park(id, err, failures, what);
  }

  /** A cancel was accepted for a RUNNING execution: its run ends it, now or once built. */
  cancelRun(id: string): void {
    const run = this.runs.get(id);
    if (run) run.end("cancel", this.deps.cancelGraceMs);
    else this.pendingCancels.add(id);
  }

  /** Admits nothing more and stops every run; returns them (a stop waits for them). */
  stop(): ExecutionRun[] {
    this.stopping = true;
    this.intake.stop();
    const runs = [...this.runs.values()];
    for (const run of runs) run.stop();
    return runs;
  }

  /** Aborts the attempts of every run left without recording them; returns how many runs. */
  interrupt(): number {
    let interrupted = 0;
    for (const run of this.runs.values()) {
      interrupted++;
      run.interrupt();
    }
    return interrupted;
  }

  /**
   * Fault recovery's first part, once writes are accepted: refused decisions of running
   * executions are sent again first (an execution's end before the admission that takes its
   * slot), then parked executions that are due are read again, in the order they failed.
   * Pass the result to `moveOn`.
   */
  resumeParked(now: number): Promise<ExecutionRun | null>[] {
    for (const run of this.runs.values()) run.replay();
    this.awaitingResume = false;
    const admissions: Promise<ExecutionRun | null>[] = [];
    this.parked.takeDue(now, (id, failures) => admissions.push(this.admission({ id }, failures)));
    return admissions;
  }

  /** Parked admissions read the database first: the queue waits until their writes are queued, to keep its order. */
  moveOn(admissions: Promise<ExecutionRun | null>[]): void {
    if (admissions.length === 0) this.pump();
    else {
      void Promise.all(admissions).then((runs) => {
        for (const run of runs) if (run) void this.drive(run);
        this.pump();
      });
    }
  }

  /** Holds a permit: admits the execution, then drives it. */
  private async admit(queued: Queued, failures = 0): Promise<void> {
    const run = await this.admission(queued, failures);
    if (run) return this.drive(run);
  }

  /** Holds a permit: the admission's write. The run to drive, or null when the permit was given back or the admission parked. */
  private async admission({ id, fresh, at }: Queued, failures: number): Promise<ExecutionRun | null> {
    let run: ExecutionRun | null;
    try {
      const now = at ?? this.deps.run.clock.now();
      run = fresh ? await this.admitFresh(id, fresh.definitionId, fresh.definitionVersion, now) : await this.admitStored(id, now);
    } catch (err) {
      // Keeps the permit: the database may hold it RUNNING (a commit of unknown outcome).
      this.parked.park(id, err, failures + 1, "could not admit an execution");
      return null;
    }
    if (!run) {
      this.release(id); // found nothing to run
      this.deps.notifyIdle();
    }
    return run;
  }

  /**
   * Holds a permit for an admitted execution: runs it, and releases the permit once it no
   * longer needs its slot. A run that broke keeps (or takes back) its permit, since the
   * database still says RUNNING, and is parked to be read again and resumed.
   */
  private async drive(run: ExecutionRun): Promise<void> {
    const { id } = run;
    let released = false;
    let failure: unknown = null;
    const held = this.queue.heldEntry(id);
    try {
      this.runs.set(id, run);
      if (this.stopping) run.stop();
      if (this.pendingCancels.delete(id)) run.end("cancel", this.deps.cancelGraceMs);
      const done = run.start();
      await run.slotFree;
      if (run.brokenBy === null) {
        released = true;
        this.release(id);
      }
      await done;
    } catch (err) {
      failure = err;
    } finally {
      this.runs.delete(id);
      failure ??= run.brokenBy;
      if (failure !== null && !this.stopping) {
        // Its end was decided (slot released) but did not commit: the slot is still taken in the database.
        if (released) {
          this.semaphore.forceAcquire();
          if (held) this.queue.retake(held);
        }
        this.parked.park(id, failure, 1, "could not run an execution");
      } else if (!released) this.release(id);
      this.deps.notifyIdle();
    }
  }

  /** All tasks PENDING: the admission starts the roots in the same commit. */
  private async admitFresh(id: string, definitionId: string, definitionVersion: number, now: number): Promise<ExecutionRun | null> {
    const def = await this.deps.definition(definitionId, definitionVersion);
    const roots = rootsOf(def);
    const admitted = await this.deps.run.store.admit(
      id,
      now,
      roots.map((taskId) => ({ taskId, attempt: 1 })),
    );
    if (admitted) this.firstStart(admitted, now);
    return admitted && new ExecutionRun(this.deps.run, admitted, def, new Set(roots));
  }

  /** The metrics hear of an execution's first admission (a redriven one was admitted before). */
  private firstStart(admitted: ExecutionWithTasks, now: number): void {
    if (admitted.startedAt === now) this.deps.run.metrics.executionStarted(admitted.definitionId, now - admitted.createdAt);
  }

  /**
   * Admits what the database holds (after a restart, a redrive, a fault): RUNNING takes its
   * slot back and resumes; QUEUED (maybe requeued with progress) is admitted with what is
   * ready; a settled one gets its pending handlers run; a missing one (a start whose commit
   * failed) is nothing to run.
   */
  private async admitStored(id: string, now: number): Promise<ExecutionRun | null> {
    const { store } = this.deps.run;
    const stored = await store.loadExecution(id);
    if (!stored) return null;
    if (stored.status !== "QUEUED" && stored.status !== "RUNNING") {
      if (stored.handlersPending) this.deps.resumeHandlers(id);
      return null;
    }
    const def = await this.deps.definition(stored.definitionId, stored.definitionVersion);
    if (stored.status === "RUNNING") {
      if (this.runs.has(id)) return null; // driven already, under its own permit
      await store.resume(id, now);
      return new ExecutionRun(this.deps.run, stored, def);
    }
    const rows = new Map(stored.tasks.map((t) => [t.taskId, t]));
    const ready = readyTasks(def, rows).map((t) => ({ taskId: t.id, attempt: rows.get(t.id)!.attempts + 1 }));
    const admitted = await store.admit(id, now, ready);
    if (admitted) this.firstStart(admitted, now);
    return admitted && new ExecutionRun(this.deps.run, admitted, def, new Set(ready.map((r) => r.taskId)));
  }
}
