/**
 * The metrics of `GET /metrics`, in Prometheus' text format: the one doorway to `prom-client`.
 * `PrometheusMetrics` implements the engine's port (`domain/metrics.ts`) with counters and
 * histograms labelled by definition id (never an execution id), and reads its gauges when
 * scraped (`watch`): what is queued, running and retrying, the workers and their leases, the
 * database's file sizes, the build. Counters only grow within a process and start at 0 with it.
 *
 * The engine calls it on its hot path: a call looks its definition's series up in a Map and adds
 * to plain fields (`metric-families.ts`); prom-client writes the text at scrape time. Every
 * counter of a definition is created at 0 when the definition is first seen, so `rate()` and
 * `increase()` see the first event.
 */
import { statSync } from "node:fs";
import { Counter, Gauge, type Metric, Registry } from "prom-client";
import type { WorkerInfo } from "../domain/lease-store.ts";
import { ATTEMPT_OUTCOMES, type AttemptOutcome, type EngineMetrics } from "../domain/metrics.ts";
import type { SettledStatus } from "../domain/settled.ts";
import { CounterFamily, type CounterSeries, type Family, HistogramFamily, type HistogramSeries } from "./metric-families.ts";

/** The content type of the text exposition format, version 0.0.4. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Seconds: from 5 ms (an in-process task) to an hour (a long remote job). */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/** The runtime, for `baton_build_info`: `bun 1.4.4` or `deno 2.9.6`. */
export { RUNTIME } from "./runtime.ts";

/** A worker counts as connected when it polled this recently (a poll waits at most 60 s). */
export const CONNECTED_WITHIN_MS = 120_000;

const STATUSES: readonly SettledStatus[] = ["COMPLETED", "FAILED", "CANCELLED"];

/** What the gauges read at scrape time. */
export interface MetricsSources {
  /** Executions QUEUED (exact) and RUNNING, from the store. */
  counts(): Promise<{ queued: number; running: number }>;
  /** RUNNING executions waiting out a retry's backoff. */
  retrying(): number;
  /** Workers seen recently, with the leases each holds. */
  workers(): Promise<WorkerInfo[]>;
  now(): number;
  /** The database file (its WAL is beside it, `-wal`); null for a database in memory. */
  dbPath: string | null;
  version: string;
  /** e.g. `bun 1.4.4`. */
  runtime: string;
}

/** One definition's series, created once. */
interface Children {
  executions: Record<SettledStatus, CounterSeries>;
  executionSeconds: Record<SettledStatus, HistogramSeries>;
  attempts: Record<AttemptOutcome, CounterSeries>;
  attemptSeconds: HistogramSeries;
  queueWait: HistogramSeries;
  retries: CounterSeries;
  timeouts: CounterSeries;
  fires: CounterSeries;
  missed: CounterSeries;
}

export class PrometheusMetrics implements EngineMetrics {
  readonly contentType = METRICS_CONTENT_TYPE;
  readonly registry = new Registry();
  private readonly byDefinition = new Map<string, Children>();
  private readonly executions = this.counter("baton_executions_total", "Executions ended, by definition and final status.");
  private readonly attempts = this.counter("baton_task_attempts_total", "Task attempts whose outcome was recorded, by outcome.");
  private readonly retries = this.counter("baton_task_retries_total", "Retries scheduled after a failed attempt.");
  private readonly timeouts = this.counter(
    "baton_task_timeouts_total",
    "Task attempts that ran out of time (timeoutSeconds, or a lost lease).",
  );
  private readonly fires = this.counter("baton_schedule_fires_total", "Cron fires of schedules that started an execution.");
  private readonly missed = this.counter("baton_schedule_missed_total", "Cron fires recorded as missed (Baton down or the clock jumped).");
  private readonly attemptSeconds = this.histogram(
    "baton_task_attempt_duration_seconds",
    "How long task attempts ran, from their start to their recorded outcome.",
  );
  private readonly queueWait = this.histogram(
    "baton_execution_queue_wait_seconds",
    "How long executions waited from created to first RUNNING (delayed starts included).",
  );
  private readonly executionSeconds = this.histogram(
    "baton_execution_duration_seconds",
    "How long executions ran, from their first start to their end (a QUEUED execution cancelled is not observed).",
  );

  executionStarted(definitionId: string, waitMs: number): void {
    this.of(definitionId).queueWait.observe(waitMs / 1000);
  }

  executionFinished(definitionId: string, status: SettledStatus, durationMs: number | null): void {
    const c = this.of(definitionId);
    c.executions[status].inc();
    if (durationMs !== null) c.executionSeconds[status].observe(durationMs / 1000);
  }

  attemptEnded(definitionId: string, outcome: AttemptOutcome, durationMs: number): void {
    const c = this.of(definitionId);
    c.attempts[outcome].inc();
    c.attemptSeconds.observe(durationMs / 1000);
    if (outcome === "timed_out") c.timeouts.inc();
  }

  retryScheduled(definitionId: string): void {
    this.of(definitionId).retries.inc();
  }

  scheduleFired(definitionId: string): void {
    this.of(definitionId).fires.inc();
  }

  scheduleMissed(definitionId: string, count: number): void {
    this.of(definitionId).missed.inc(count);
  }

  /** The gauges, read from `sources` at each scrape. Call once. */
  watch(sources: MetricsSources): void {
    const read = shared(() => sources.counts());
    this.gauge("baton_executions_queued", "Executions QUEUED: waiting for a slot, a limit or their start time.", async (g) =>
      g.set((await read()).queued),
    );
    this.gauge("baton_executions_running", "Executions RUNNING (each holds one of --max-concurrent-jobs slots).", async (g) =>
      g.set((await read()).running),
    );
    this.gauge("baton_executions_retrying", "RUNNING executions waiting out a task's retry backoff.", (g) => g.set(sources.retrying()));
    const seen = shared(() => sources.workers());
    this.gauge("baton_workers_connected", "Remote workers that polled in the last 2 minutes.", async (g) => {
      const since = sources.now() - CONNECTED_WITHIN_MS;
      g.set((await seen()).filter((w) => w.lastSeenAt >= since).length);
    });
    this.gauge("baton_leases_held", "Leases of remote task attempts held by workers, not ended or expired.", async (g) =>
      g.set((await seen()).reduce((n, w) => n + w.leases, 0)),
    );
    const { dbPath } = sources;
    if (dbPath !== null) {
      this.gauge("baton_database_size_bytes", "Size of the SQLite database file.", (g) => g.set(fileSize(dbPath)));
      this.gauge("baton_database_wal_size_bytes", "Size of the database's write-ahead log (-wal file); 0 when absent.", (g) =>
        g.set(fileSize(`${dbPath}-wal`)),
      );
    }
    const info = new Gauge({
      name: "baton_build_info",
      help: "Always 1: the version and runtime of this Baton.",
      labelNames: ["version", "runtime"],
      registers: [this.registry],
    });
    info.set({ version: sources.version, runtime: sources.runtime }, 1);
  }

  /**
   * A counter whose value is read from `read` at each scrape, for totals another part keeps
   * (e.g. what retention deleted): one line where it is wired, in `cli/serve.ts`.
   */
  counterFrom(name: string, help: string, read: () => number): void {
    const counter = new Counter({
      name,
      help,
      registers: [this.registry],
      collect() {
        counter.reset();
        counter.inc(read());
      },
    });
  }

  /** The exposition text of every metric, gauges read now. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  private of(definitionId: string): Children {
    return this.byDefinition.get(definitionId) ?? this.create(definitionId);
  }

  /** Every series of a definition: the counters at 0 from now on, the histograms from their first observation. */
  private create(definition: string): Children {
    const by = <K extends string, T>(keys: readonly K[], make: (key: K) => T) =>
      Object.fromEntries(keys.map((k) => [k, make(k)])) as Record<K, T>;
    const children: Children = {
      executions: by(STATUSES, (status) => this.executions.add({ definition, status })),
      executionSeconds: by(STATUSES, (status) => this.executionSeconds.add({ definition, status })),
      attempts: by(ATTEMPT_OUTCOMES, (outcome) => this.attempts.add({ definition, outcome })),
      attemptSeconds: this.attemptSeconds.add({ definition }),
      queueWait: this.queueWait.add({ definition }),
      retries: this.retries.add({ definition }),
      timeouts: this.timeouts.add({ definition }),
      fires: this.fires.add({ definition }),
      missed: this.missed.add({ definition }),
    };
    this.byDefinition.set(definition, children);
    return children;
  }

  private counter(name: string, help: string): CounterFamily {
    return this.register(new CounterFamily(name, help));
  }

  private histogram(name: string, help: string): HistogramFamily {
    return this.register(new HistogramFamily(name, help, BUCKETS));
  }

  /** prom-client's registry renders any metric that answers `get()` as its own metrics do. */
  private register<F extends Family>(family: F): F {
    this.registry.registerMetric(family as unknown as Metric);
    return family;
  }

  private gauge(name: string, help: string, collect: (g: Gauge) => void | Promise<void>): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        return collect(this);
      },
    });
  }
}

/** `read`, shared by the gauges of one scrape: they are collected together, so they share the read in flight. */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () =>
    (pending ??= read().finally(() => {
      pending = null;
    }));
}

/** A file's size in bytes; 0 when it does not exist. */
function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
