/**
 * Live updates on the compiled binary: the overview's event stream reports a burst of
 * executions in a few coalesced `change` events whose counts reach the end state, and the
 * stream ends (the server exits 0) when the server gets SIGTERM.
 */
import { expect, test } from "bun:test";
import { execute, register, startBaton, waitFor } from "./harness.ts";

test("a burst of executions arrives as a few coalesced events; SIGTERM ends the stream", async () => {
  const baton = await startBaton({ jobs: null });
  try {
    await register(baton, { id: "live-e2e", tasks: [{ id: "only", functionName: "noop" }] });
    const res = await fetch(`${baton.url}/ui/events?page=overview`);
    expect([res.status, res.headers.get("content-type")]).toEqual([200, "text/event-stream; charset=utf-8"]);
    const got = { text: "", done: false };
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        got.text += decoder.decode(value);
      }
      got.done = true;
    })();
    await waitFor("the stream's first line", async () => got.text.startsWith("retry: 5000\n"));
    const burst = 300;
    await Promise.all(Array.from({ length: burst }, () => execute(baton, "live-e2e")));
    const changes = () => [...got.text.matchAll(/^event: change\ndata: (.*)$/gm)].map((m) => JSON.parse(m[1]!).counts);
    await waitFor("an event with every execution completed", async () => changes().at(-1)?.COMPLETED === burst);
    const sent = changes();
    // One event a tick at most: far fewer than the executions, and never the same counts twice in a row.
    expect(sent.length).toBeLessThan(burst / 10);
    for (let i = 1; i < sent.length; i++) expect(sent[i]).not.toEqual(sent[i - 1]);
    expect(await baton.stop("SIGTERM")).toBe(0);
    await reading;
    expect(got.done).toBe(true);
  } finally {
    if (baton.proc.exitCode === null) await baton.kill9();
  }
}, 30_000);
