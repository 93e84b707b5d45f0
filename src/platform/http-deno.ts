/**
 * The Deno side of platform/http.ts: the only `Deno.serve`. Deno has no body limit to set
 * aside (it streams every body to the app, which enforces 1 MiB in api/body.ts) and no idle
 * timeout to set: an idle keep-alive connection stays open until the client or the shutdown
 * closes it, so a worker's long poll is never cut either (docs/deno.md).
 */
import type { ServeHttp } from "./sides.ts";

export const serveHttp: ServeHttp = (fetch, host, port) => {
  // Throws at once when it cannot listen: Deno.errors.AddrInUse carries code EADDRINUSE.
  const server = Deno.serve(
    {
      hostname: host,
      port,
      // Deno prints "Listening on …" by default; Baton's own start line says where it serves.
      onListen: () => {},
    },
    (req, info) => fetch(req, { remoteAddress: info.remoteAddr.hostname }),
  );
  return {
    port: server.addr.port,
    stop: (force) => {
      // Deno has no forced close: shutdown stops accepting at once and resolves when every open
      // request has been answered. Forced, the requests still open (a worker's long poll) are
      // not waited for; they end with the process, which exits right after the stop.
      const done = server.shutdown();
      if (!force) return done;
      done.catch(() => {});
      return Promise.resolve();
    },
  };
};
