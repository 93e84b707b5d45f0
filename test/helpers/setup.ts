/**
 * One fresh world per test: an in-memory SQLite store, a fake clock, a seeded rng, the
 * built-in functions (plus any the test adds) and an engine over them. Nothing sleeps for real.
 */
import type { TaskFunction } from "../../src/domain/function.ts";
import type { Logger } from "../../src/domain/log.ts";
import type { EngineMetrics } from "../../src/domain/metrics.ts";
import type { Rng } from "../../src/domain/retry.ts";
import type { SecretSource } from "../../src/domain/secrets.ts";
import type { Store } from "../../src/domain/store.ts";
import { Engine } from "../../src/engine/engine.ts";
import { SqliteStore } from "../../src/store/sqlite/store.ts";
import { builtinFunctions } from "../../src/tasks/registry.ts";
import { FakeClock } from "./fake-clock.ts";

/** mulberry32: a tiny deterministic source of uniform numbers in [0, 1). */
export function seededRng(seed = 42): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Execution ids that sort in submission order: exec-0001, exec-0002, … */
export function sequentialIds(prefix = "exec"): () => string {
  let n = 0;
  return () => `${prefix}-${String(++n).padStart(4, "0")}`;
}

export interface SetupOptions {
  /** Extra functions by name, added to the built-ins. */
  functions?: Record<string, TaskFunction>;
  /** @default 10 */
  maxConcurrentJobs?: number;
  /** @default seededRng(42) */
  rng?: Rng;
  /** Reuse a store (a "restart"); a fresh in-memory one otherwise. */
  store?: Store;
  /** Reuse a clock; a fresh FakeClock otherwise. */
  clock?: FakeClock;
  newId?: () => string;
  /** What `{{secrets.NAME}}` resolves to. @default none */
  secrets?: SecretSource;
  /** @default silent */
  logger?: Logger;
  /** How long a worker's lease lasts. @default 30 s */
  leaseMs?: number;
  /** @default noMetrics */
  metrics?: EngineMetrics;
}

export interface TestWorld {
  store: Store;
  clock: FakeClock;
  rng: Rng;
  functions: ReturnType<typeof builtinFunctions>;
  engine: Engine;
  /** Registers a definition through the engine's catalog (validated). */
  register(raw: unknown): Promise<{ id: string; version: number; created: boolean }>;
  /** Runs timers and promises until the engine is idle. Throws if it can never get there. */
  drain(maxSteps?: number): Promise<void>;
}

export function setup(overrides: SetupOptions = {}): TestWorld {
  const store = overrides.store ?? SqliteStore.open({ path: ":memory:" });
  const clock = overrides.clock ?? new FakeClock();
  const rng = overrides.rng ?? seededRng(42);
  const functions = builtinFunctions(overrides.functions ?? {});
  const engine = new Engine({
    store,
    functions,
    clock,
    rng,
    maxConcurrentJobs: overrides.maxConcurrentJobs ?? 10,
    newId: overrides.newId ?? sequentialIds(),
    secrets: overrides.secrets,
    logger: overrides.logger,
    metrics: overrides.metrics,
    ...(overrides.leaseMs ? { leaseMs: overrides.leaseMs } : {}),
  });
  return {
    store,
    clock,
    rng,
    functions,
    engine,
    register: (raw) => engine.catalog.register(raw),
    drain: (maxSteps) => drain(engine, clock, maxSteps),
  };
}

/** `setup`, with the engine started (recovery done, services running). */
export async function setupStarted(overrides: SetupOptions = {}): Promise<TestWorld> {
  const w = setup(overrides);
  await w.engine.start();
  return w;
}

/** A logger that keeps every line, for tests that check what was said. */
export function recordingLogger(): Logger & { lines: { level: string; message: string; fields?: Record<string, unknown> }[] } {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => void lines.push({ level, message, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

export function isIdle(engine: Engine): boolean {
  return engine.isIdle();
}

/**
 * Fires timers one after the other until the engine has nothing queued or running. Fails
 * when the engine waits on something no timer will release (a function the test holds).
 */
export async function drain(engine: Engine, clock: FakeClock, maxSteps = 10_000): Promise<void> {
  for (let step = 0; step < maxSteps; step++) {
    await clock.flush();
    if (isIdle(engine)) return;
    if (!(await clock.advanceToNext())) {
      await clock.flush();
      if (isIdle(engine)) return;
      throw new Error(`engine is not idle (${engine.running} running) and no timer is pending`);
    }
  }
  throw new Error(`engine still busy after ${maxSteps} timer steps`);
}

// ---- factories with partial overrides ----

export interface RawTask {
  id: string;
  functionName: string;
  name?: string;
  params?: Record<string, unknown>;
  maxRetry?: number;
  retry?: Record<string, unknown>;
  timeoutSeconds?: number;
  dependsOn?: string[];
  [field: string]: unknown;
}

export interface RawDefinition {
  id: string;
  name?: string;
  description?: string;
  tasks: RawTask[];
  [field: string]: unknown;
}

/** A task running `noop`, with its id from `overrides.id` or "t1". */
export function taskDef(overrides: Partial<RawTask> = {}): RawTask {
  return { id: "t1", functionName: "noop", ...overrides };
}

/** A one-task definition `job` unless the overrides say otherwise. */
export function definition(overrides: Partial<RawDefinition> = {}): RawDefinition {
  return { id: "job", name: "Test job", tasks: [taskDef()], ...overrides };
}

/** A definition of the given tasks; each may override any field of `taskDef`. */
export function definitionOf(id: string, ...tasks: Partial<RawTask>[]): RawDefinition {
  return definition({ id, tasks: tasks.map((t, i) => taskDef({ id: `t${i + 1}`, ...t })) });
}

// ---- controllable functions ----

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(err: unknown): void;
}

export function deferred<T = unknown>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

export interface HeldCall {
  executionId: string;
  taskId: string;
  attempt: number;
  signal: AbortSignal;
  params: Record<string, unknown>;
  results: Record<string, unknown>;
  finish(value?: unknown): void;
  fail(err: unknown): void;
}

/**
 * A function whose every call waits until the test finishes it. `calls` lists them in call
 * order; `active` counts the unfinished ones and `maxActive` the most at once.
 */
export function heldFunction(): { fn: TaskFunction; calls: HeldCall[]; readonly active: number; readonly maxActive: number } {
  const calls: HeldCall[] = [];
  let active = 0;
  let maxActive = 0;
  const fn: TaskFunction = (ctx) => {
    const d = deferred<unknown>();
    active++;
    maxActive = Math.max(maxActive, active);
    let open = true;
    const close = () => {
      if (open) active--;
      open = false;
    };
    calls.push({
      executionId: ctx.executionId,
      taskId: ctx.taskId,
      attempt: ctx.attempt,
      signal: ctx.signal,
      params: ctx.params,
      results: ctx.results,
      finish: (value) => {
        close();
        d.resolve(value);
      },
      fail: (err) => {
        close();
        d.reject(err);
      },
    });
    return d.promise;
  };
  return {
    fn,
    calls,
    get active() {
      return active;
    },
    get maxActive() {
      return maxActive;
    },
  };
}

/** A function that records its calls and returns `{executionId, taskId, attempt}` at once. */
export function countingFunction(): { fn: TaskFunction; calls: { executionId: string; taskId: string; attempt: number }[] } {
  const calls: { executionId: string; taskId: string; attempt: number }[] = [];
  const fn: TaskFunction = (ctx) => {
    const call = { executionId: ctx.executionId, taskId: ctx.taskId, attempt: ctx.attempt };
    calls.push(call);
    return call;
  };
  return { fn, calls };
}
