/** The overview's charts: where a window's bars fall, what the summary says, and what each bar says on hover. */
import { describe, expect, test } from "bun:test";
import { type UiWorld, uiWorld } from "../../test/helpers/ui.ts";
import { ActivityChart, summary, WINDOWS, windowFrom } from "./activity-svg.tsx";

const [hour, day] = WINDOWS as [(typeof WINDOWS)[0], (typeof WINDOWS)[0]];
const T = Date.UTC(2026, 10, 30, 1, 30, 15);
const bucket = (i: number, created: number, failed: number, capped = false) => ({
  from: windowFrom(hour, T) + i * 60_000,
  created,
  failed,
  capped,
});

test("bars fall on whole minutes and hours, the last one holding now", () => {
  expect(new Date(windowFrom(hour, T)).toISOString()).toBe("2026-11-30T00:31:00.000Z");
  expect(new Date(windowFrom(day, T)).toISOString()).toBe("2026-11-29T02:00:00.000Z");
});

test("a day's bars and axis name the date as well, since its first and last bars share a time", async () => {
  const from = windowFrom(day, T);
  const buckets = Array.from({ length: 24 }, (_, i) => ({
    from: from + i * 3_600_000,
    created: i === 23 ? 5 : 0,
    failed: 0,
    capped: false,
  }));
  expect(summary(day, buckets)).toBe("Last day: 5 executions created, 0 of them failed (0%). Busiest hour: 5 from 11-30 01:00 UTC.");
  const svg = String(await (<ActivityChart window={day} buckets={buckets} />).toString());
  expect(svg).toContain(">11-29 02:00 UTC</text>");
  expect(svg).toContain(">11-30 02:00 UTC</text>");
});

test("the summary gives totals, the failure rate and the busiest bar in words", () => {
  const buckets = Array.from({ length: 60 }, (_, i) => bucket(i, i === 10 ? 40 : 2, i === 10 ? 4 : 0));
  expect(summary(hour, buckets)).toBe("Last hour: 158 executions created, 4 of them failed (2.5%). Busiest minute: 40 from 00:41 UTC.");
  expect(summary(hour, [bucket(0, 0, 0)])).toBe("Last hour: no execution was created.");
  expect(summary(hour, [bucket(0, 10, 10, true)])).toBe(
    "Last hour: 10 executions created, at least 10 of them failed (at least 100%). Busiest minute: 10 from 00:31 UTC.",
  );
});

test("the chart is labelled by its summary, and every bar says its numbers", async () => {
  const svg = String(await (<ActivityChart window={hour} buckets={[bucket(0, 8, 2), bucket(1, 0, 0)]} />).toString());
  expect(svg).toContain(`role="img" aria-labelledby="activity-hour-title activity-hour-summary"`);
  expect(svg).toContain("<title>00:31 UTC: 8 created, 2 failed (25%)</title>");
  expect(svg).toContain("<title>00:32 UTC: 0 created, 0 failed (0%)</title>");
  expect(svg.match(/class="c-bad"/g)).toHaveLength(1);
  expect(svg).toContain('<polyline class="c-rate"');
});

describe("on the overview", () => {
  let w: UiWorld;
  test("the charts count what was created and failed in the window", async () => {
    w = await uiWorld();
    try {
      await w.register({ id: "ok", tasks: [{ id: "a", functionName: "noop" }] });
      await w.register({ id: "bad", tasks: [{ id: "a", functionName: "fail" }] });
      for (const id of ["ok", "ok", "ok", "bad"]) await w.engine.submit(id, {});
      await w.drain();
      const { html } = await w.page("/ui/");
      expect(html).toContain(`id="live-activity" data-live`);
      expect(html).toContain("Last hour: 4 executions created, 1 of them failed (25%).");
      expect(html).toContain("Last day: 4 executions created, 1 of them failed (25%).");
    } finally {
      await w.close();
    }
  });
});
