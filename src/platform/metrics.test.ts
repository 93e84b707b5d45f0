/**
 * The exposition text of `PrometheusMetrics`: every series of a definition from 0, the values
 * the port's calls add up to, histogram buckets in seconds, label values escaped, the gauges
 * read from their sources at each scrape, and a counter read from a getter.
 */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { METRICS_CONTENT_TYPE, type MetricsSources, PrometheusMetrics } from "./metrics.ts";

/** The sample lines (not comments) of the text, as "name{labels} value". */
const samples = (text: string) => text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
const value = (text: string, series: string) => {
  const line = samples(text).find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

const sources = (over: Partial<MetricsSources> = {}): MetricsSources => ({
  counts: async () => ({ queued: 7, running: 3 }),
  retrying: () => 1,
  workers: async () => [
    { workerId: "a", functions: ["f"], lastSeenAt: 1_000_000, leases: 2 },
    { workerId: "b", functions: ["f"], lastSeenAt: 1_000_000 - 121_000, leases: 0 },
  ],
  now: () => 1_000_000,
  dbPath: null,
  version: "1.2.3",
  runtime: "bun 1.4.4",
  ...over,
});

describe("PrometheusMetrics", () => {
  test("the content type of the text format", () => {
    expect(METRICS_CONTENT_TYPE).toBe("text/plain; version=0.0.4; charset=utf-8");
  });

  test("a definition's counters all appear at 0 with its first event", async () => {
    const m = new PrometheusMetrics();
    expect(samples(await m.render())).toEqual([]);
    m.retryScheduled("j");
    const text = await m.render();
    for (const status of ["COMPLETED", "FAILED", "CANCELLED"])
      expect(value(text, `baton_executions_total{definition="j",status="${status}"}`)).toBe(0);
    for (const outcome of ["completed", "failed", "timed_out"])
      expect(value(text, `baton_task_attempts_total{definition="j",outcome="${outcome}"}`)).toBe(0);
    expect(value(text, 'baton_task_retries_total{definition="j"}')).toBe(1);
    expect(value(text, 'baton_task_timeouts_total{definition="j"}')).toBe(0);
    expect(value(text, 'baton_schedule_fires_total{definition="j"}')).toBe(0);
    expect(value(text, 'baton_schedule_missed_total{definition="j"}')).toBe(0);
    expect(text).toContain("# TYPE baton_executions_total counter\n");
    expect(text).toContain("# HELP baton_task_retries_total Retries scheduled after a failed attempt.\n");
  });

  test("the calls add up; durations land in second buckets; a timeout counts twice", async () => {
    const m = new PrometheusMetrics();
    m.executionStarted("j", 40);
    m.attemptEnded("j", "completed", 300);
    m.attemptEnded("j", "timed_out", 2000);
    m.executionFinished("j", "COMPLETED", 2500);
    m.executionFinished("j", "CANCELLED", null);
    m.scheduleFired("j");
    m.scheduleMissed("j", 27);
    const text = await m.render();
    expect(value(text, 'baton_executions_total{definition="j",status="COMPLETED"}')).toBe(1);
    expect(value(text, 'baton_executions_total{definition="j",status="CANCELLED"}')).toBe(1);
    expect(value(text, 'baton_task_attempts_total{definition="j",outcome="completed"}')).toBe(1);
    expect(value(text, 'baton_task_attempts_total{definition="j",outcome="timed_out"}')).toBe(1);
    expect(value(text, 'baton_task_timeouts_total{definition="j"}')).toBe(1);
    expect(value(text, 'baton_schedule_fires_total{definition="j"}')).toBe(1);
    expect(value(text, 'baton_schedule_missed_total{definition="j"}')).toBe(27);
    expect(value(text, 'baton_task_attempt_duration_seconds_bucket{definition="j",le="0.25"}')).toBe(0);
    expect(value(text, 'baton_task_attempt_duration_seconds_bucket{definition="j",le="0.5"}')).toBe(1);
    expect(value(text, 'baton_task_attempt_duration_seconds_bucket{definition="j",le="2.5"}')).toBe(2);
    expect(value(text, 'baton_task_attempt_duration_seconds_bucket{definition="j",le="+Inf"}')).toBe(2);
    expect(value(text, 'baton_task_attempt_duration_seconds_sum{definition="j"}')).toBe(2.3);
    expect(value(text, 'baton_task_attempt_duration_seconds_count{definition="j"}')).toBe(2);
    expect(value(text, 'baton_execution_queue_wait_seconds_count{definition="j"}')).toBe(1);
    expect(value(text, 'baton_execution_queue_wait_seconds_sum{definition="j"}')).toBe(0.04);
    // A QUEUED execution cancelled never ran: counted, not observed.
    expect(value(text, 'baton_execution_duration_seconds_count{definition="j",status="COMPLETED"}')).toBe(1);
    expect(value(text, 'baton_execution_duration_seconds_count{definition="j",status="CANCELLED"}')).toBeUndefined();
  });

  test("a value on a bucket's bound is in that bucket (le is less or equal)", async () => {
    const m = new PrometheusMetrics();
    m.executionStarted("j", 500);
    const text = await m.render();
    expect(value(text, 'baton_execution_queue_wait_seconds_bucket{definition="j",le="0.25"}')).toBe(0);
    expect(value(text, 'baton_execution_queue_wait_seconds_bucket{definition="j",le="0.5"}')).toBe(1);
    expect(value(text, 'baton_execution_queue_wait_seconds_bucket{definition="j",le="+Inf"}')).toBe(1);
  });

  test("label values are escaped", async () => {
    const m = new PrometheusMetrics();
    m.scheduleFired('a"b\\c\nd');
    expect(await m.render()).toContain('baton_schedule_fires_total{definition="a\\"b\\\\c\\nd"} 1\n');
  });

  test("gauges are read from their sources at each scrape", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-metrics-"));
    try {
      const db = join(dir, "baton.db");
      writeFileSync(db, Buffer.alloc(4096));
      let queued = 7;
      const m = new PrometheusMetrics();
      m.watch(sources({ dbPath: db, counts: async () => ({ queued, running: 3 }) }));
      let text = await m.render();
      expect(value(text, "baton_executions_queued")).toBe(7);
      expect(value(text, "baton_executions_running")).toBe(3);
      expect(value(text, "baton_executions_retrying")).toBe(1);
      expect(value(text, "baton_workers_connected")).toBe(1);
      expect(value(text, "baton_leases_held")).toBe(2);
      expect(value(text, "baton_database_size_bytes")).toBe(4096);
      expect(value(text, "baton_database_wal_size_bytes")).toBe(0);
      expect(value(text, 'baton_build_info{version="1.2.3",runtime="bun 1.4.4"}')).toBe(1);
      queued = 9;
      writeFileSync(`${db}-wal`, Buffer.alloc(100));
      text = await m.render();
      expect(value(text, "baton_executions_queued")).toBe(9);
      expect(value(text, "baton_database_wal_size_bytes")).toBe(100);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("the gauges of one scrape share one read of the store", async () => {
    let reads = 0;
    const m = new PrometheusMetrics();
    m.watch(
      sources({
        counts: async () => {
          reads++;
          return { queued: 0, running: 0 };
        },
      }),
    );
    await m.render();
    expect(reads).toBe(1);
    await m.render();
    expect(reads).toBe(2);
  });

  test("a counter read from a getter", async () => {
    let deleted = 0;
    const m = new PrometheusMetrics();
    m.counterFrom("baton_test_deleted_total", "Deleted.", () => deleted);
    expect(value(await m.render(), "baton_test_deleted_total")).toBe(0);
    deleted = 42;
    expect(value(await m.render(), "baton_test_deleted_total")).toBe(42);
  });
});
