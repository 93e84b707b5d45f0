/**
 * The raw ceiling of the benchmark: `Bun.serve` on 127.0.0.1 answering every request 202
 * with no body and no work, so the load client measures what the runtime's HTTP alone
 * allows on this machine. Prints its URL on stdout once listening.
 *
 *   bun scripts/bench/reference/raw.ts
 */
import { announce } from "./body.ts";

const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(null, { status: 202 }) });
announce(server.port!);
