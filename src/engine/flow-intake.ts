/**
 * The way into the flow queue: what the queue must know of an execution before it can order
 * and limit it (its definition version's limits and, for a rate-limited definition, the starts
 * of the current window read back from the store), and the one timer that lets executions
 * held by a full rate window back in line when the window moves on. Admission owns the slots;
 * this owns what happens before an execution can ask for one.
 */
import type { Clock, TimerHandle } from "../domain/clock.ts";
import type { FlowLimits } from "../domain/flow.ts";
import type { Logger } from "../domain/log.ts";
import type { QueuedRef } from "../domain/model.ts";
import type { ExecutionReads } from "../domain/store.ts";
import type { DefinitionLookup } from "./deps.ts";
import type { FlowQueue, PushOptions } from "./flow-queue.ts";

export interface EnqueueOptions extends PushOptions {
  /** The definition version's limits, when the caller has them at hand. */
  limits?: FlowLimits;
}

export interface FlowIntakeDeps {
  queue: FlowQueue;
  store: Pick<ExecutionReads, "recentStarts">;
  clock: Clock;
  logger: Logger;
  definition: DefinitionLookup;
  /** The limits of a definition version already known to the catalog, without a read; undefined when it must be read. */
  cachedFlow: (definitionId: string, version: number) => FlowLimits | undefined;
  /** Something joined the queue or a window moved on: admit what can start. */
  pump: () => void;
  /** True once the engine stops: nothing joins any more. */
  stopping: () => boolean;
  /** Called when the last pending read ended without queueing anything (the engine may be idle). */
  notifyIdle: () => void;
}

/** How long a queued execution whose definition could not be read waits before it is tried again. */
const RESOLVE_RETRY_MS = 1000;

export class FlowIntake {
  /** Queued executions whose definition (or rate window) is being read before they join the queue. */
  private pending = 0;
  private reopenTimer: TimerHandle | null = null;
  private reopenAt = 0;

  constructor(private readonly deps: FlowIntakeDeps) {}

  /** Executions still being read before they join the queue. */
  get resolving(): number {
    return this.pending;
  }

  /**
   * Queues an execution and admits what it can. Its definition's limits come from the caller or
   * the catalog; when they must be read first, it joins the queue once they are.
   */
  enqueue(ref: QueuedRef, options: EnqueueOptions = {}): void {
    const { queue } = this.deps;
    const limits = options.limits ?? this.deps.cachedFlow(ref.definitionId, ref.definitionVersion);
    if (limits && !queue.needsStarts(ref.definitionId, limits)) {
      queue.push(ref, limits, options);
      this.deps.pump();
      return;
    }
    this.pending++;
    this.resolve(ref, limits).then(
      (resolved) => {
        this.pending--;
        queue.push(ref, resolved, options);
        this.deps.pump();
      },
      (err: unknown) => {
        this.deps.logger.warn("could not read the definition of a queued execution; trying again in a second", {
          executionId: ref.id,
          definitionId: ref.definitionId,
          error: String(err),
        });
        this.deps.clock.setTimer(() => {
          this.pending--;
          if (!this.deps.stopping()) this.enqueue(ref, options);
          else this.deps.notifyIdle();
        }, RESOLVE_RETRY_MS);
      },
    );
  }

  /** Reads what `push` needs of these executions (their definitions, rate windows), so the pushes need no read. */
  async prepare(refs: readonly QueuedRef[]): Promise<void> {
    const seen = new Set<string>();
    for (const ref of refs) {
      const k = `${ref.definitionId}@${ref.definitionVersion}`;
      if (seen.has(k)) continue;
      seen.add(k);
      await this.resolve(ref, this.deps.cachedFlow(ref.definitionId, ref.definitionVersion));
    }
  }

  /** Queues without admitting (at start, after `prepare`; a pump follows once everything is queued). */
  push(ref: QueuedRef, options: PushOptions = {}): void {
    const limits = this.deps.cachedFlow(ref.definitionId, ref.definitionVersion);
    if (limits && !this.deps.queue.needsStarts(ref.definitionId, limits)) this.deps.queue.push(ref, limits, options);
    else this.enqueue(ref, options);
  }

  /** One timer, due when the earliest full rate window with executions waiting at it has room again. */
  armReopen(now: number): void {
    const at = this.deps.stopping() ? null : this.deps.queue.nextReopen(now);
    if (at === null && this.reopenTimer === null) return; // the common case: no rate window is full
    if (at === null || (this.reopenTimer !== null && this.reopenAt !== at)) this.stop();
    if (at === null || this.reopenTimer !== null) return;
    const { clock } = this.deps;
    this.reopenAt = at;
    this.reopenTimer = clock.setTimer(
      () => {
        this.reopenTimer = null;
        this.deps.queue.reopen(clock.now());
        this.deps.pump();
      },
      Math.max(0, at - now),
    );
  }

  stop(): void {
    this.reopenTimer?.cancel();
    this.reopenTimer = null;
  }

  /** The limits of an execution's definition version, and its rate window read from the store if not known yet. */
  private async resolve(ref: QueuedRef, known: FlowLimits | undefined): Promise<FlowLimits> {
    const limits = known ?? (await this.deps.definition(ref.definitionId, ref.definitionVersion)).flow;
    if (limits.rateLimit && this.deps.queue.needsStarts(ref.definitionId, limits)) {
      const { count, perMs } = limits.rateLimit;
      const starts = await this.deps.store.recentStarts(ref.definitionId, this.deps.clock.now() - perMs, count);
      this.deps.queue.initStarts(ref.definitionId, starts);
    }
    return limits;
  }
}
