/**
 * Live updates on the fake clock: a stream gets one coalesced `change` a tick however much
 * changed, nothing while nothing changes, a keep-alive comment when quiet; streams are bounded,
 * and `close()` ends them all and stops the ticker. The route is read through the app, without a server.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import { type UiWorld, uiWorld } from "../../test/helpers/ui.ts";
import type { ExecutionEventRecord, SystemCounts } from "../domain/model.ts";
import { EXECUTION_STATUSES, type ExecutionStatus } from "../domain/states.ts";
import { LiveFeed, scopeFrom } from "./live.ts";

/** Reads whose answers the test sets, counting how often each is made. */
function fakeReads() {
  const byStatus = Object.fromEntries(EXECUTION_STATUSES.map((s) => [s, 0])) as Record<ExecutionStatus, number>;
  const history: ExecutionEventRecord[] = [];
  const calls = { counts: 0, events: 0 };
  return {
    byStatus,
    history,
    calls,
    reads: {
      systemCounts: async (): Promise<SystemCounts> => {
        calls.counts++;
        return { running: [], queued: [], queuedCount: byStatus.QUEUED, completedCount: byStatus.COMPLETED, byStatus: { ...byStatus } };
      },
      events: async (id: string) => {
        calls.events++;
        return id === "e1" ? [...history] : null;
      },
    },
  };
}

/** Everything a stream sends, collected as it arrives; `done` once it ended. */
function collect(stream: ReadableStream<Uint8Array> | null) {
  if (stream === null) throw new Error("the feed refused the stream");
  const got = { text: "", done: false };
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      got.text += decoder.decode(value);
    }
    got.done = true;
  })();
  return got;
}

const changes = (text: string) => [...text.matchAll(/^event: change\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1] as string));

describe("LiveFeed", () => {
  test("a burst of changes between two ticks is one event; no change, no event", async () => {
    const clock = new FakeClock();
    const f = fakeReads();
    const feed = new LiveFeed({ reads: f.reads, clock });
    const got = collect(feed.subscribe({ page: "overview" }));
    await clock.flush();
    expect(got.text).toStartWith("retry: 5000\n");
    f.byStatus.QUEUED = 1; // after the stream opened: sent at the first tick
    await clock.advance(1000);
    expect(changes(got.text)).toEqual([{ counts: { ...f.byStatus } }]);
    await clock.advance(1000);
    expect(changes(got.text)).toHaveLength(1);
    for (let i = 0; i < 10_000; i++) f.byStatus.COMPLETED++;
    await clock.advance(1000);
    expect(changes(got.text).at(-1)).toEqual({ counts: { ...f.byStatus } });
    expect(changes(got.text)).toHaveLength(2);
    await clock.advance(5000);
    expect(changes(got.text)).toHaveLength(2);
    f.byStatus.FAILED = 3;
    await clock.advance(500); // not a tick yet
    expect(changes(got.text)).toHaveLength(2);
    await clock.advance(500);
    expect(changes(got.text).at(-1)).toEqual({ counts: { ...f.byStatus } });
    feed.close();
  });

  test("streams of the same thing share one read a tick", async () => {
    const clock = new FakeClock();
    const f = fakeReads();
    const feed = new LiveFeed({ reads: f.reads, clock });
    const a = collect(feed.subscribe({ page: "overview" }));
    const b = collect(feed.subscribe({ page: "executions" }));
    const c = collect(feed.subscribe({ page: "execution", id: "e1" }));
    await clock.advance(1000);
    expect(f.calls).toEqual({ counts: 3, events: 2 }); // one read each when opened, then one of each a tick
    f.history.push({ type: "TaskStarted" } as ExecutionEventRecord);
    await clock.advance(1000);
    expect([changes(a.text), changes(b.text)]).toEqual([[], []]);
    expect(changes(c.text)).toEqual([{ id: "e1", events: 1, last: "TaskStarted" }]);
    feed.close();
  });

  test("a quiet stream gets a keep-alive comment", async () => {
    const clock = new FakeClock();
    const feed = new LiveFeed({ reads: fakeReads().reads, clock, keepAliveTicks: 3 });
    const got = collect(feed.subscribe({ page: "overview" }));
    await clock.advance(2000);
    expect(got.text).not.toContain(": still here");
    await clock.advance(1000);
    expect(got.text).toContain(": still here\n\n");
    feed.close();
  });

  test("streams are bounded; close ends them, stops the ticker and refuses new ones", async () => {
    const clock = new FakeClock();
    const feed = new LiveFeed({ reads: fakeReads().reads, clock, maxStreams: 2 });
    const streams = [collect(feed.subscribe({ page: "overview" })), collect(feed.subscribe({ page: "overview" }))];
    expect(feed.subscribe({ page: "overview" })).toBeNull();
    expect([feed.open, clock.pending]).toEqual([2, 1]);
    feed.close();
    await clock.flush();
    expect(streams.map((s) => s.done)).toEqual([true, true]);
    expect([feed.open, clock.pending]).toEqual([0, 0]);
    expect(feed.subscribe({ page: "overview" })).toBeNull();
  });

  test("a stream the browser closed is dropped, and the ticker stops with the last one", async () => {
    const clock = new FakeClock();
    const feed = new LiveFeed({ reads: fakeReads().reads, clock });
    const stream = feed.subscribe({ page: "overview" });
    await stream?.cancel();
    expect([feed.open, clock.pending]).toEqual([0, 0]);
  });
});

test("scopeFrom says what is wrong with the query", () => {
  expect(scopeFrom("overview", undefined)).toEqual({ page: "overview" });
  expect(scopeFrom("execution", "abc")).toEqual({ page: "execution", id: "abc" });
  expect(scopeFrom("execution", undefined)).toBe("page=execution needs the execution's id: ?page=execution&id=…");
  expect(scopeFrom(undefined, undefined)).toBe("page is missing: it says what to follow");
  expect(scopeFrom("home", undefined)).toBe(`page "home" is not one of overview, executions, execution: it says what to follow`);
});

describe("GET /ui/events", () => {
  let w: UiWorld;
  afterEach(() => w.close());

  test("streams the overview's changes as executions run, coalesced into one event a tick", async () => {
    w = await uiWorld();
    await w.register({ id: "quick", tasks: [{ id: "only", functionName: "noop" }] });
    const res = await w.app.request("/ui/events?page=overview");
    expect([
      res.status,
      res.headers.get("content-type"),
      res.headers.get("content-security-policy")?.includes("connect-src 'self'"),
    ]).toEqual([200, "text/event-stream; charset=utf-8", true]);
    const got = collect(res.body);
    await w.clock.advance(1000);
    for (let i = 0; i < 20; i++) await w.engine.submit("quick", {});
    await w.clock.advance(1000);
    const sent = changes(got.text);
    expect(sent).toHaveLength(1);
    expect(sent[0].counts.QUEUED + sent[0].counts.RUNNING + sent[0].counts.COMPLETED).toBe(20);
  });

  test("a page it cannot follow is a 400 in words", async () => {
    w = await uiWorld();
    const res = await w.app.request("/ui/events?page=definitions");
    expect([res.status, await res.text()]).toEqual([
      400,
      `page "definitions" is not one of overview, executions, execution: it says what to follow\n`,
    ]);
  });

  test("every live page names its stream and marks what the script swaps in", async () => {
    w = await uiWorld();
    await w.register({ id: "quick", tasks: [{ id: "only", functionName: "noop" }] });
    const e = await w.engine.submit("quick", {});
    const pages: [string, string, string][] = [
      ["/ui/", "/ui/events?page=overview", "live-overview"],
      ["/ui/executions", "/ui/events?page=executions", "live-executions"],
      [`/ui/executions/${e.id}`, `/ui/events?page=execution&amp;id=${e.id}`, "live-execution"],
    ];
    for (const [path, events, region] of pages) {
      const { html } = await w.page(path);
      expect(html).toContain(`data-events="${events}" hidden`);
      expect(html).toContain(`id="${region}" data-live`);
      expect(html).toContain(`<a class="skip" href="#main">`);
    }
    expect((await w.page("/ui/workers")).html).not.toContain("data-events");
  });
});
