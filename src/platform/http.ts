/** The one module that starts an HTTP server (`Bun.serve`); a Deno build swaps it. */

export interface HttpServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  /** Stops accepting; with `force`, closes open connections too. */
  stop(force: boolean): Promise<void>;
}

export function serveHttp(fetch: (req: Request) => Response | Promise<Response>, host: string, port: number): HttpServer {
  const server = Bun.serve({ fetch, hostname: host, port, maxRequestBodySize: 16 * 1024 * 1024 });
  return {
    port: server.port ?? port,
    stop: (force) => server.stop(force),
  };
}
