/**
 * Live updates for open pages: `GET /ui/events?page=…` is a Server-Sent Events stream that says
 * "what this page shows has changed", coalesced. One ticker per server (armed only while a
 * stream is open) reads, once per tick, one mark per distinct thing shown — the exact counts by
 * status (`execution_counts`, five rows) for the overview and the list, and an open execution's
 * number of events and the last one's type — and sends a `change` event to each stream whose
 * mark moved since the one read when it opened or last sent. However many executions change in between, a stream gets at
 * most one event per tick; an idle one gets a comment every 30 s so proxies and Bun's idle
 * timeout keep it open. Streams are bounded in number, and `close()` ends them all (shutdown).
 */
import type { Clock, TimerHandle } from "../domain/clock.ts";
import type { ReadPort } from "../domain/store.ts";

/** What a stream follows: the overview, the executions list, or one execution. */
export type LiveScope = { page: "overview" } | { page: "executions" } | { page: "execution"; id: string };

export interface LiveOptions {
  reads: Pick<ReadPort, "systemCounts" | "events">;
  clock: Clock;
  /** @default 1000: at most one event per stream per second */
  tickMs?: number;
  /** Streams open at once; one more is refused (503). @default 100 */
  maxStreams?: number;
  /** Ticks without an event before a keep-alive comment. @default 30 */
  keepAliveTicks?: number;
}

interface Stream {
  scope: LiveScope;
  /** The mark last sent (or read when the stream opened); null until that first read is back. */
  last: string | null;
  quiet: number;
  send(text: string): void;
  end(): void;
}

const encoder = new TextEncoder();

export class LiveFeed {
  private readonly streams = new Set<Stream>();
  private timer: TimerHandle | null = null;
  private ticking = false;
  private closed = false;
  private readonly tickMs: number;
  private readonly maxStreams: number;
  private readonly keepAliveTicks: number;
  /** Ticks run since the start: the benchmark and tests read it. */
  ticks = 0;

  constructor(private readonly options: LiveOptions) {
    this.tickMs = options.tickMs ?? 1000;
    this.maxStreams = options.maxStreams ?? 100;
    this.keepAliveTicks = options.keepAliveTicks ?? 30;
  }

  get open(): number {
    return this.streams.size;
  }

  get limit(): number {
    return this.maxStreams;
  }

  /** A new event stream for `scope`, or null when `maxStreams` are open already or the feed is closed. */
  subscribe(scope: LiveScope): ReadableStream<Uint8Array> | null {
    if (this.closed || this.streams.size >= this.maxStreams) return null;
    let stream: Stream | undefined;
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        stream = {
          scope,
          last: null,
          quiet: 0,
          send: (text) => controller.enqueue(encoder.encode(text)),
          end: () => {
            this.drop(stream as Stream);
            try {
              controller.close();
            } catch {
              // Already closed by the other side.
            }
          },
        };
        this.streams.add(stream);
        // Where things are now is the baseline: a change from here on is sent at the next tick.
        const opened = stream;
        void this.markOf(scope).then(
          (mark) => (opened.last ??= mark),
          () => {},
        );
        // How long a browser waits before it reconnects after the stream ends.
        stream.send("retry: 5000\n: live updates of this page, at most one event a tick\n\n");
        this.arm();
      },
      cancel: () => this.drop(stream as Stream),
    });
    return body;
  }

  /** Ends every open stream and stops the ticker: the server is stopping. */
  close(): void {
    this.closed = true;
    for (const s of [...this.streams]) s.end();
    this.disarm();
  }

  /** One tick: a mark per distinct scope, an event to each stream whose mark moved. */
  async tick(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    this.ticks++;
    try {
      const marks = new Map<string, string>();
      for (const s of [...this.streams]) {
        const key = s.scope.page === "execution" ? `execution:${s.scope.id}` : "counts";
        let mark = marks.get(key);
        if (mark === undefined) {
          mark = await this.markOf(s.scope);
          marks.set(key, mark);
        }
        if (s.last !== null && mark !== s.last) {
          s.send(`event: change\ndata: ${mark}\n\n`);
          s.quiet = 0;
        } else if (++s.quiet >= this.keepAliveTicks) {
          s.send(": still here\n\n");
          s.quiet = 0;
        }
        s.last = mark;
      }
    } finally {
      this.ticking = false;
    }
  }

  private markOf(scope: LiveScope): Promise<string> {
    return scope.page === "execution" ? this.executionMark(scope.id) : this.countsMark();
  }

  private async countsMark(): Promise<string> {
    const { byStatus } = await this.options.reads.systemCounts(0);
    return JSON.stringify({ counts: byStatus });
  }

  /** An execution changes only by recording an event: how many it has, and the last one's type, mark it. */
  private async executionMark(id: string): Promise<string> {
    const events = (await this.options.reads.events(id)) ?? [];
    return JSON.stringify({ id, events: events.length, last: events.at(-1)?.type ?? null });
  }

  private arm(): void {
    if (this.timer !== null) return;
    const next = () => {
      this.timer = this.options.clock.setTimer(() => {
        void this.tick().finally(() => {
          if (this.timer !== null) next();
        });
      }, this.tickMs);
    };
    next();
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private drop(stream: Stream): void {
    this.streams.delete(stream);
    if (this.streams.size === 0) this.disarm();
  }
}

/** `GET /ui/events?page=overview|executions|execution&id=…`: the stream, 400 for a page it cannot follow, 503 when full. */
export function eventsResponse(query: (name: string) => string | undefined, feed: LiveFeed): Response {
  const scope = scopeFrom(query("page"), query("id"));
  if (typeof scope === "string")
    return new Response(`${scope}\n`, { status: 400, headers: { "content-type": "text/plain; charset=utf-8" } });
  const body = feed.subscribe(scope);
  if (body === null)
    return new Response(
      `${feed.limit} live update streams are open already, the most this server keeps; the page still works, reload it\n`,
      {
        status: 503,
        headers: { "content-type": "text/plain; charset=utf-8", "retry-after": "30" },
      },
    );
  return new Response(body, { headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store" } });
}

/** The scope named by the query, or what is wrong with it, in words. */
export function scopeFrom(page: string | undefined, id: string | undefined): LiveScope | string {
  if (page === "overview" || page === "executions") return { page };
  if (page === "execution") return id ? { page, id } : "page=execution needs the execution's id: ?page=execution&id=…";
  return `page ${page === undefined ? "is missing" : `"${page}" is not one of overview, executions, execution`}: it says what to follow`;
}
