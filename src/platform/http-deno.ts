/**
 * The Deno side of platform/http.ts: the only `Deno.serve`. Deno has no body limit to set
 * aside (it streams every body to the app, which enforces 1 MiB in api/body.ts) and no idle
 * timeout to set: an idle keep-alive connection stays open until the client or the shutdown
 * closes it, so a worker's long poll is never cut either (docs/deno.md).
 */
import type { ServeHttp } from "./sides.ts";

/**
 * How long a forced stop waits for the requests still open. The shutdown has already ended what
 * it can (live streams closed, long polls answered), so this is the time to flush those last
 * answers; Deno cannot cut a connection itself, and whatever is open after it ends with the process.
 */
const FORCED_STOP_WAIT_MS = 1_000;

export const serveHttp: ServeHttp = (fetch, host, port) => {
  // Throws at once when it cannot listen: Deno.errors.AddrInUse carries code EADDRINUSE.
  const server = Deno.serve(
    {
      hostname: host,
      port,
      // Deno prints "Listening on …" by default; Baton's own start line says where it serves.
      onListen: () => {},
    },
    (req, info) => fetch(hangUpAsAbort(req), { remoteAddress: info.remoteAddr.hostname }),
  );
  return {
    port: server.addr.port,
    stop: async (force) => {
      const done = server.shutdown();
      if (!force) return done;
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([done.catch(() => {}), new Promise((r) => (timer = setTimeout(r, FORCED_STOP_WAIT_MS)))]);
      clearTimeout(timer);
    },
  };
};

/**
 * A client that hangs up in the middle of its body: Deno fails the read with `BadResource`
 * ("Cannot read body as underlying resource unavailable"), where Bun and the Fetch standard
 * fail it with an `AbortError`, which is what api/body.ts recognises as the client leaving.
 * The body is passed through a stream that turns the one into the other; a request without
 * a body is handed over as it came. The stream touches Deno's body only when the app reads it
 * (no read ahead): a body the app never reads (a 413 by Content-Length) is left to Deno, which
 * then discards it and keeps the connection.
 */
function hangUpAsAbort(req: Request): Request {
  const source = req.body;
  if (source === null) return req;
  let reader: { read(): Promise<{ done: boolean; value?: Uint8Array }>; cancel(reason?: unknown): Promise<void> } | undefined;
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        reader ??= source.getReader();
        const open = reader;
        try {
          const { value, done } = await open.read();
          if (done) controller.close();
          else controller.enqueue(value);
        } catch (err) {
          controller.error(
            err instanceof Error && err.name === "BadResource" ? new DOMException("The connection was closed.", "AbortError") : err,
          );
        }
      },
      cancel: (reason) => (reader ?? source).cancel(reason),
    },
    { highWaterMark: 0 },
  );
  try {
    return new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal, duplex: "half" } as RequestInit);
  } catch {
    // A method fetch forbids (TRACE, CONNECT) cannot be rebuilt: handed over as it came, for the app's 405.
    return req;
  }
}
