/** Flow control over the API: `?priority=N`, a definition's limits, `waitingFor` and `queuedWaitingFor`. */
import { afterEach, describe, expect, test } from "bun:test";
import { type Setup, setup } from "../../test/helpers/api.ts";
import { builtinFunctions } from "../tasks/registry.ts";

let t: Setup;
afterEach(() => t.close());

const sleeper = (extra: Record<string, unknown>) => ({
  id: "slow",
  tasks: [{ id: "wait", functionName: "sleep", params: { ms: 60_000 } }],
  ...extra,
});

describe("POST /jobs/{id}/execute?priority=N", () => {
  test("accepts whole numbers from -1000 to 1000 and shows them; anything else is a 400 naming the rule", async () => {
    t = await setup({ functions: builtinFunctions() });
    await t.define({ id: "j", tasks: [{ id: "a", functionName: "noop" }] });
    const ok = await t.call("POST", "/jobs/j/execute?priority=-1000", {});
    expect(ok.status).toBe(202);
    expect(ok.body.priority).toBe(-1000);
    for (const bad of ["1001", "-1001", "1.5", "high", ""]) {
      const res = await t.call("POST", `/jobs/j/execute?priority=${bad}`, {});
      expect(res.status).toBe(400);
      expect(res.body.detail).toContain('"priority" must be a whole number from -1000 to 1000');
    }
  });
});

describe("waiting executions", () => {
  test("waitingFor says which limit holds a QUEUED execution back; /system/state counts them by reason", async () => {
    t = await setup({ maxConcurrentJobs: 10 });
    await t.define(sleeper({ concurrency: { key: "{{input.customer}}", limit: 1 } }));
    const first = await t.execute("slow", { customer: "acme" });
    const second = await t.execute("slow", { customer: "acme" });
    const later = await t.call("POST", "/jobs/slow/execute?delaySeconds=3600", { customer: "bolt" });
    const running = await t.call("GET", `/jobs/${first}/state`);
    expect(running.body).toMatchObject({ status: "RUNNING", concurrencyKey: "acme", waitingFor: null });
    const queued = await t.call("GET", `/jobs/${second}/state`);
    expect(queued.body).toMatchObject({ status: "QUEUED", concurrencyKey: "acme", waitingFor: "concurrencyKey", priority: 0 });
    expect((await t.call("GET", `/jobs/${later.body.executionID}/state`)).body.waitingFor).toBe("runAt");
    const system = await t.call("GET", "/system/state");
    expect(system.body.queuedWaitingFor).toEqual({ slot: 0, concurrencyKey: 1, definitionLimit: 0, rateLimit: 0, runAt: 1 });
    expect(system.body.queuedCount).toBe(2);
  });

  test("an input the concurrency key cannot be computed from is a 400, and nothing is stored", async () => {
    t = await setup();
    await t.define(sleeper({ concurrency: { key: "{{input.customer}}", limit: 1 } }));
    const res = await t.call("POST", "/jobs/slow/execute", { client: "acme" });
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('cannot compute the concurrency key from this input: {{input.customer}}: input has no "customer"');
    expect((await t.call("GET", "/jobs")).body.jobs).toEqual([]);
  });
});
