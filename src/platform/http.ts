/**
 * The one module that starts an HTTP server: `Bun.serve` (`http-bun.ts`) or `Deno.serve`
 * (`http-deno.ts`), whichever runtime is running. The app enforces the body limit itself
 * (api/body.ts), so both sides accept bodies of any size and hand them over as a stream.
 */
import { ON_DENO } from "./runtime.ts";
import type { ServeHttp } from "./sides.ts";

export type { HttpServer, Peer } from "./sides.ts";

const side: { serveHttp: ServeHttp } = ON_DENO ? await import("./http-deno.ts") : await import("./http-bun.ts");

/** Serves `fetch` on `host:port`; throws at once when it cannot listen (`code` `EADDRINUSE` when the port is taken). */
export const serveHttp: ServeHttp = side.serveHttp;
