/**
 * The access log (`--access-log`): one line per HTTP request once its answer is final, with
 * the method, the path without its query string, the status, the duration and the name of the
 * caller's token. Never the token itself, other headers, the query or a body: they may carry
 * secrets. Installed first, so it also sees the 413s of the body limit, the 401s of
 * authentication and the problem+json answers of thrown errors.
 */
import type { MiddlewareHandler } from "hono";
import type { Logger } from "../domain/log.ts";
import { principalOf } from "./caller.ts";

/** @param elapsed a monotonic clock in milliseconds (`performance.now`), injected by tests. */
export function accessLog(logger: Logger, elapsed: () => number = () => performance.now()): MiddlewareHandler {
  return async (c, next) => {
    const start = elapsed();
    try {
      await next();
    } finally {
      logger.info("http request", {
        method: c.req.method,
        path: c.req.path,
        status: c.res.status,
        durationMs: Math.round((elapsed() - start) * 100) / 100,
        token: principalOf(c)?.name,
      });
    }
  };
}
