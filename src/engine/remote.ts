/**
 * Remote attempts: a task with `remote: true` is offered here instead of being called, and
 * workers take it over HTTP under a lease. Polls wait in memory and are woken the moment an
 * attempt is offered (no database polling). The attempt's outcome comes from the worker's
 * complete or fail, from the lease expiring (`services/lease-expiry.ts`), from the task's
 * `timeoutSeconds`, or from a cancel (after its grace period); each resolves the attempt's
 * promise once, and the run records it with the lease ended in the same commit.
 *
 * What lives only here is what a restart may lose: who is waiting, and which attempts are
 * offered. Leases themselves are in the store, so an attempt offered again after a restart
 * takes back the lease a worker still holds.
 *
 * Over 300 lines on purpose: offers, polls, leases and the ways an attempt ends share one
 * in-memory state (which offer holds which lease, which call is ending it); split, each part
 * would reach into the others' maps.
 */
import type { Clock, TimerHandle } from "../domain/clock.ts";
import {
  type ErrorInfo,
  ErrorNames,
  LeaseLostError,
  NotFoundError,
  StopAttemptError,
  StorageError,
  UnavailableError,
} from "../domain/errors.ts";
import { canonicalJson } from "../domain/json.ts";
import type { Logger } from "../domain/log.ts";
import type { TaskStatus } from "../domain/states.ts";
import type { Lease, LeaseGrant, LeaseSettlement, PollingWorker, Store } from "../domain/store.ts";
import { type AttemptOutcome, type LeaseOutcome, toOutput } from "./attempt.ts";

/** What a worker gets for one leased attempt. */
export interface RemoteTask {
  leaseId: string;
  executionId: string;
  taskId: string;
  attempt: number;
  functionName: string;
  input: Record<string, unknown>;
  params: Record<string, unknown>;
  results: Record<string, unknown>;
  leaseExpiresAt: number;
  /** When `timeoutSeconds` ends the attempt; null without one. */
  deadline: number | null;
}

/** The answer to a complete or fail: the task's status after it. */
export interface LeaseAnswer {
  executionId: string;
  taskId: string;
  attempt: number;
  status: TaskStatus;
}

export type OfferedAttempt = Omit<RemoteTask, "leaseId" | "leaseExpiresAt" | "deadline"> & { timeoutSeconds: number | null };

interface Offer extends OfferedAttempt {
  deadline: number | null;
  settle: (o: AttemptOutcome) => void;
  done: boolean;
  lease: { leaseId: string; expiresAt: number } | null;
  /** A call is ending the attempt: its request hash and answer, for a repeat of the same call. */
  ending: { requestHash: string | null; answer: Promise<LeaseAnswer> } | null;
  cancelRequested: boolean;
  heartbeats: number;
  timers: TimerHandle[];
}

interface Waiter {
  functions: ReadonlySet<string>;
  max: number;
  worker: PollingWorker;
  resolve: (tasks: RemoteTask[]) => void;
  timer: TimerHandle;
}

export interface RemoteDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** How long a lease lasts from its grant or last heartbeat. */
  leaseMs: number;
  newId: () => string;
  /** A lease is now held here (granted, or taken back after a restart). */
  onLeased: () => void;
}

export class RemoteDispatcher {
  private readonly queues = new Map<string, Offer[]>();
  private readonly leased = new Map<string, Offer>();
  private waiters: Waiter[] = [];
  private wakeScheduled = false;

  constructor(private readonly deps: RemoteDeps) {}

  /** True while a lease is held by an attempt of this process. */
  get holding(): boolean {
    return this.leased.size > 0;
  }

  /**
   * Offers a committed attempt to workers; resolves with its outcome. A `resumed` attempt (started
   * before this process) takes back a lease that survived the restart; one this process started
   * cannot have a lease yet, so it skips that read.
   */
  async offer(attempt: OfferedAttempt, controller: AbortController, resumed = true): Promise<AttemptOutcome> {
    const { store, clock } = this.deps;
    const open = resumed ? await store.openLeaseOf(attempt.executionId, attempt.taskId, attempt.attempt) : null;
    return new Promise<AttemptOutcome>((resolve) => {
      const now = clock.now();
      const deadline = attempt.timeoutSeconds === null ? null : now + attempt.timeoutSeconds * 1000;
      const offer: Offer = {
        ...attempt,
        deadline,
        settle: resolve,
        done: false,
        lease: null,
        ending: null,
        cancelRequested: false,
        heartbeats: 0,
        timers: [],
      };
      offer.settle = (o) => {
        if (offer.done) return;
        offer.done = true;
        for (const t of offer.timers) t.cancel();
        if (offer.lease) this.leased.delete(offer.lease.leaseId);
        resolve(o);
      };
      if (controller.signal.aborted) return offer.settle({ kind: "interrupted" });
      controller.signal.addEventListener("abort", () => this.aborted(offer, controller.signal.reason), { once: true });
      if (deadline !== null) offer.timers.push(clock.setTimer(() => this.timedOut(offer), deadline - now));
      if (open) {
        offer.lease = { leaseId: open.leaseId, expiresAt: open.expiresAt };
        this.leased.set(open.leaseId, offer);
        this.deps.onLeased();
        if (open.expiresAt <= now) this.expire(open, now);
        return;
      }
      this.enqueue(offer);
    });
  }

  /**
   * Takes up to `max` offered attempts of `functions`, waiting up to `waitMs` for one. A poll
   * whose `signal` fires (the worker hung up) stops waiting, so no lease goes to a worker that left.
   */
  async poll(workerId: string, functions: readonly string[], max: number, waitMs: number, signal?: AbortSignal): Promise<RemoteTask[]> {
    const worker = { workerId, functions };
    const wanted = new Set(functions);
    let taken = this.take(wanted, max);
    if (taken.length === 0) {
      // Nothing to grant (whose write would see the worker too): the worker is seen on its own.
      await this.deps.store.seeWorker(workerId, functions, this.deps.clock.now());
      taken = this.take(wanted, max);
    }
    if (taken.length > 0 || waitMs <= 0 || signal?.aborted) return this.grant(worker, taken);
    return new Promise<RemoteTask[]>((resolve) => {
      const giveUp = () => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.timer.cancel();
        resolve([]);
      };
      const waiter: Waiter = { functions: wanted, max, worker, resolve, timer: this.deps.clock.setTimer(giveUp, waitMs) };
      this.waiters.push(waiter);
      signal?.addEventListener("abort", giveUp, { once: true });
    });
  }

  /** Extends a held lease; a lease not held any more is a `LeaseLostError` (409). */
  async heartbeat(leaseId: string): Promise<{ leaseExpiresAt: number; cancelRequested: boolean }> {
    const now = this.deps.clock.now();
    const offer = this.leased.get(leaseId);
    if (offer?.ending) throw new LeaseLostError(`lease ${leaseId} is not held any more: its attempt is being ended; stop working on it`);
    if (offer?.lease && offer.lease.expiresAt <= now) {
      this.expire({ leaseId, expiresAt: offer.lease.expiresAt }, now);
      throw new LeaseLostError(
        `lease ${leaseId} expired at ${new Date(offer.lease.expiresAt).toISOString()} without a heartbeat; stop working on it`,
      );
    }
    if (offer) offer.heartbeats++;
    try {
      const result = await this.deps.store.heartbeatLease(leaseId, now + this.deps.leaseMs, now);
      if (result.outcome === "missing") throw new NotFoundError(`there is no lease ${leaseId}`);
      if (result.outcome === "lost")
        throw new LeaseLostError(`lease ${leaseId} is not held any more: ${result.reason}; stop working on it`);
      if (offer?.lease && !offer.done) offer.lease.expiresAt = result.expiresAt;
      return { leaseExpiresAt: result.expiresAt, cancelRequested: result.cancelRequested || (offer?.cancelRequested ?? false) };
    } finally {
      if (offer) offer.heartbeats--;
    }
  }

  complete(leaseId: string, output: unknown): Promise<LeaseAnswer> {
    return this.end(leaseId, "completed", { output: output ?? null }, toOutput(output));
  }

  fail(leaseId: string, error: ErrorInfo): Promise<LeaseAnswer> {
    return this.end(leaseId, "failed", { error }, { kind: "error", error });
  }

  /** Called by the expiry service for a lease whose stored expiry has passed: fails the attempt with States.HeartbeatTimeout. */
  expire(lease: Pick<Lease, "leaseId" | "expiresAt">, now: number): boolean {
    const offer = this.leased.get(lease.leaseId);
    if (!offer?.lease || offer.done) return false;
    if (offer.ending || offer.cancelRequested || offer.heartbeats > 0 || offer.lease.expiresAt > now) return true;
    const at = new Date(offer.lease.expiresAt).toISOString();
    this.deps.logger.warn(
      "a worker's lease expired without a heartbeat; the attempt fails with States.HeartbeatTimeout and its retry policy applies",
      {
        execution: offer.executionId,
        task: offer.taskId,
        attempt: offer.attempt,
        lease: lease.leaseId,
      },
    );
    const error = {
      name: ErrorNames.HeartbeatTimeout,
      message: `the worker's lease ${lease.leaseId} expired at ${at} without a heartbeat`,
    };
    void this.settleUnderLease(offer, "expired", null, { kind: "error", error }).catch(() => {});
    return true;
  }

  /**
   * Shutdown: answers every waiting poll with nothing, and lets go of every offered attempt
   * (it runs again at next start). Leases stay as stored: their workers go on, and complete
   * once Baton is back (a 503 meanwhile tells them to retry).
   */
  stop(): void {
    for (const w of this.waiters.splice(0)) {
      w.timer.cancel();
      w.resolve([]);
    }
    const offers = [...this.leased.values(), ...[...this.queues.values()].flat()];
    this.queues.clear();
    for (const offer of offers) offer.settle({ kind: "interrupted" });
  }

  private async end(leaseId: string, end: "completed" | "failed", body: unknown, outcome: AttemptOutcome): Promise<LeaseAnswer> {
    const requestHash = hashOf(`${end}:${canonicalJson(body)}`);
    const offer = this.leased.get(leaseId);
    if (!offer) return this.storedAnswer(leaseId, requestHash);
    if (offer.ending) {
      if (offer.ending.requestHash === requestHash) return offer.ending.answer;
      throw new LeaseLostError(`lease ${leaseId} is already being ended by another call; stop working on it`);
    }
    if (offer.cancelRequested) throw new LeaseLostError(`the execution of lease ${leaseId} was cancelled; nothing was recorded`);
    const now = this.deps.clock.now();
    if (offer.lease && offer.lease.expiresAt <= now) {
      this.expire({ leaseId, expiresAt: offer.lease.expiresAt }, now);
      throw new LeaseLostError(`lease ${leaseId} expired at ${new Date(offer.lease.expiresAt).toISOString()}; nothing was recorded`);
    }
    return this.settleUnderLease(offer, end, requestHash, outcome);
  }

  /** Resolves the attempt with `outcome`, to be recorded with the lease ended; resolves once that commit is durable. */
  private settleUnderLease(
    offer: Offer,
    end: LeaseSettlement["end"],
    requestHash: string | null,
    outcome: AttemptOutcome,
  ): Promise<LeaseAnswer> {
    const leaseId = offer.lease!.leaseId;
    const answer = new Promise<LeaseAnswer>((resolve, reject) => {
      const lease: LeaseOutcome = {
        leaseId,
        end,
        requestHash,
        recorded: (status) => resolve({ executionId: offer.executionId, taskId: offer.taskId, attempt: offer.attempt, status }),
        refused: reject,
      };
      offer.settle(outcome.kind === "interrupted" ? outcome : { ...outcome, lease });
    });
    offer.ending = { requestHash, answer };
    return answer;
  }

  private async storedAnswer(leaseId: string, requestHash: string): Promise<LeaseAnswer> {
    const lease = await this.deps.store.getLease(leaseId);
    if (!lease) throw new NotFoundError(`there is no lease ${leaseId}`);
    const { ended } = lease;
    if (ended?.requestHash === requestHash && ended.taskStatus) {
      return { executionId: lease.executionId, taskId: lease.taskId, attempt: lease.attempt, status: ended.taskStatus };
    }
    if (!ended && lease.expiresAt > this.deps.clock.now()) {
      throw new UnavailableError(
        `lease ${leaseId} is held, but its attempt is not running in this Baton right now (it is starting or stopping); retry in a few seconds`,
      );
    }
    const why = ended ? `it ended (${ended.end})` : `it expired at ${new Date(lease.expiresAt).toISOString()}`;
    throw new LeaseLostError(`lease ${leaseId} is not held any more: ${why}; nothing was recorded`);
  }

  private aborted(offer: Offer, reason: unknown): void {
    if (offer.done) return;
    if (reason instanceof StopAttemptError && offer.lease && !offer.ending) {
      // A worker holds it: heartbeats now say cancelRequested; the attempt ends when the grace period does.
      offer.cancelRequested = true;
      offer.timers.push(this.deps.clock.setTimer(() => offer.settle({ kind: "interrupted" }), reason.graceMs));
      return;
    }
    offer.settle({ kind: "interrupted" });
  }

  private timedOut(offer: Offer): void {
    if (offer.done || offer.ending) return;
    const error = { name: ErrorNames.Timeout, message: `attempt did not finish within timeoutSeconds=${offer.timeoutSeconds}` };
    if (offer.lease) void this.settleUnderLease(offer, "timedOut", null, { kind: "error", error }).catch(() => {});
    else offer.settle({ kind: "error", error });
  }

  private enqueue(offer: Offer): void {
    const queue = this.queues.get(offer.functionName);
    if (queue) queue.push(offer);
    else this.queues.set(offer.functionName, [offer]);
    if (this.wakeScheduled || this.waiters.length === 0) return;
    this.wakeScheduled = true;
    // Offers made by one commit arrive in the same turn: a woken poll takes them together.
    queueMicrotask(() => {
      this.wakeScheduled = false;
      for (const waiter of [...this.waiters]) {
        const tasks = this.take(waiter.functions, waiter.max);
        if (tasks.length === 0) continue;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.timer.cancel();
        // A woken poll whose grants the database refused (they are offered again) answers nothing.
        void this.grant(waiter.worker, tasks).then(waiter.resolve, () => waiter.resolve([]));
      }
    });
  }

  /** Removes up to `max` live offers of `functions` from their queues, oldest first per function. */
  private take(functions: ReadonlySet<string>, max: number): Offer[] {
    const taken: Offer[] = [];
    for (const fn of functions) {
      const queue = this.queues.get(fn);
      while (queue && queue.length > 0 && taken.length < max) {
        const offer = queue.shift()!;
        if (!offer.done) taken.push(offer);
      }
      if (queue?.length === 0) this.queues.delete(fn);
    }
    return taken;
  }

  /**
   * Leases `offers` to `worker` in one store write, which also sees the worker. A storage fault
   * offers them again and rejects (the poll answers 503, as when the worker could not be seen).
   */
  private async grant(worker: PollingWorker, offers: Offer[]): Promise<RemoteTask[]> {
    if (offers.length === 0) return [];
    const { store, clock, leaseMs, newId } = this.deps;
    const now = clock.now();
    const expiresAt = now + leaseMs;
    const leases = offers.map((o) => ({ leaseId: newId(), ...pick(o), workerId: worker.workerId, expiresAt }));
    let grants: LeaseGrant[];
    try {
      grants = await store.grantLeases(worker, leases, now);
    } catch (err) {
      if (err instanceof StorageError) for (const offer of offers) if (!offer.done) this.enqueue(offer); // the database refused them for now
      throw err;
    }
    const tasks: RemoteTask[] = [];
    grants.forEach((grant, i) => {
      const offer = offers[i]!;
      const { executionId, taskId, attempt } = offer;
      if ("refused" in grant)
        this.deps.logger.debug("an offered attempt could not be leased", { execution: executionId, task: taskId, error: grant.refused });
      // Ended (cancelled, timed out) while the grant was being written: the lease ends with its task.
      if ("refused" in grant || offer.done) return;
      const { leaseId } = leases[i]!;
      offer.lease = { leaseId, expiresAt };
      this.leased.set(leaseId, offer);
      this.deps.onLeased();
      const { functionName, input, params, results, deadline } = offer;
      tasks.push({ leaseId, executionId, taskId, attempt, functionName, input, params, results, leaseExpiresAt: expiresAt, deadline });
    });
    return tasks;
  }
}

const pick = ({ executionId, taskId, attempt }: Offer) => ({ executionId, taskId, attempt });

/** A short hash of a request, to tell a repeat of the call that ended a lease from another call (cyrb53). */
function hashOf(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(16);
}
