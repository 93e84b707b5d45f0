/** The Bun side of platform/http.ts: the only `Bun.serve`. */
import { IDLE_TIMEOUT_SECONDS, type Peer, type ServeHttp } from "./sides.ts";

/**
 * Bun's own body limit is set out of the way: the app enforces its limit (api/body.ts) and
 * answers 413 problem+json. Measured on Bun 1.4.4, a body over Bun's limit never reaches the
 * app: Bun answers a bare `413 Request Entity Too Large` with `Connection: close`, no body.
 * Under it, Bun calls the app as soon as the headers have arrived, and whatever body the app
 * leaves unread after answering is read off the socket and thrown away, never buffered:
 * 200 MiB sent after a 413 left a bare Bun.serve at 21 MiB resident and dist/baton flat at 43 MiB.
 */
const UNLIMITED_BODY = Number.MAX_SAFE_INTEGER;

type RequestIP = (req: Request) => { address: string } | null;

/**
 * The peer, its address looked up only when read: only the rate limit of failed tokens reads
 * it, and the lookup is a call into the server for every request (about 2% of a no-op
 * execution's main-thread samples over REST under `--cpu-prof`).
 */
class LazyPeer implements Peer {
  private address: string | undefined;
  constructor(
    private readonly req: Request,
    private readonly requestIP: RequestIP,
  ) {}
  get remoteAddress(): string {
    this.address ??= this.requestIP(this.req)?.address ?? "";
    return this.address;
  }
}

export const serveHttp: ServeHttp = (fetch, host, port) => {
  const server = Bun.serve({
    fetch: (req, bun) => fetch(req, new LazyPeer(req, (r) => bun.requestIP(r))),
    hostname: host,
    port,
    maxRequestBodySize: UNLIMITED_BODY,
    idleTimeout: IDLE_TIMEOUT_SECONDS,
  });
  return {
    port: server.port ?? port,
    stop: (force) => server.stop(force),
  };
};
