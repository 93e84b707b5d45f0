/**
 * What each runtime's side of a doorway provides, as types only: `*-bun.ts` implements them
 * with Bun's APIs, `*-deno.ts` with Deno's, and the doorway (`http.ts`, `process.ts`,
 * `sd-notify.ts`) imports the side of the runtime that is running (`runtime.ts`). The sides
 * import nothing but this file, so neither runtime loads the other's.
 */
import type { ProcessExit, ProcessRequest } from "../domain/process.ts";

export interface HttpServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Stops accepting; with `force`, does not wait for the requests still open. */
  stop(force: boolean): Promise<void>;
}

/** What the server tells the app about a request besides the request itself: Hono reads it as `c.env`. */
export interface Peer {
  /** The address of the connection's other end (a reverse proxy's, behind one); "" when unknown. */
  remoteAddress: string;
}

export type Fetch = (req: Request, peer: Peer) => Response | Promise<Response>;

/**
 * Starts serving on `host:port`; throws at once when it cannot listen, with `code`
 * `EADDRINUSE` when the port is taken.
 */
export type ServeHttp = (fetch: Fetch, host: string, port: number) => HttpServer;

/**
 * Seconds a connection may stay silent. Bun's default (10 s) would cut a worker's long poll,
 * which may wait up to 60 s for work (`POST /workers/poll`); a little over that.
 */
export const IDLE_TIMEOUT_SECONDS = 75;

/** A child started in a new session, so it leads a process group of its own (pgid = pid). */
export interface Child {
  pid: number;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
  /** Resolves when the child itself has exited (its group may live on). */
  exited: Promise<ProcessExit>;
}

/** Starts `request.argv` with its env, cwd and stdin; throws when it cannot be started. */
export type SpawnChild = (request: ProcessRequest) => Child;

/** libc's calls that sd_notify needs, bound through the runtime's FFI. */
export interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  /** `sendto(2)`: bytes sent, or -1 (then `errorMessage` says why). */
  sendto(fd: number, bytes: Uint8Array, flags: number, address: Uint8Array): number;
  /** `strerror(errno)` of the last failed call. */
  errorMessage(): string;
}
