/** `GET /metrics` through the app: the text and its content type, HEAD, the gauges at scrape time, and an app built without metrics. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";
import { createApp } from "./app.ts";

let t: Setup;
beforeEach(async () => (t = await setup()));
afterEach(() => t.close());

describe("GET /metrics", () => {
  test("the text format, with what the engine recorded and the gauges read now", async () => {
    await t.define(definition("job"));
    await t.execute("job");
    await t.execute("job");
    await t.engine.idle();
    await t.engine.submitWith("job", {}, { runAt: Date.now() + 3_600_000 });
    const res = await t.call("GET", "/metrics");
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/plain; version=0.0.4; charset=utf-8"]);
    const lines = (res.body as string).split("\n");
    expect(lines).toContain('baton_executions_total{definition="job",status="COMPLETED"} 2');
    expect(lines).toContain('baton_task_attempts_total{definition="job",outcome="completed"} 2');
    expect(lines).toContain("baton_executions_queued 1");
    expect(lines).toContain("baton_executions_running 0");
    expect(lines).toContain("# TYPE baton_task_attempt_duration_seconds histogram");
  });

  test("HEAD answers the headers without the text", async () => {
    const res = await t.app.request("/metrics", { method: "HEAD" });
    expect([res.status, res.headers.get("content-type"), await res.text()]).toEqual([200, "text/plain; version=0.0.4; charset=utf-8", ""]);
  });

  test("an app built without metrics answers 404 saying so", async () => {
    const app = createApp({ engine: t.engine, reads: t.store, version: "x", startedAt: 0 });
    const res = await app.request("/metrics");
    expect([res.status, ((await res.json()) as { detail: string }).detail]).toEqual([
      404,
      "this app was built without metrics; 'baton serve' always serves them at /metrics",
    ]);
  });
});
