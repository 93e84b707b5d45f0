/**
 * The one place where an error becomes an HTTP answer: RFC 9457 problem+json with
 * `{type, title, status, detail}`, plus `errors: [{path, message}]` on every 400.
 * Route handlers only throw the domain's error classes; nothing else builds error bodies.
 */
import type { Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  BatonError,
  ClientClosedError,
  type FieldIssue,
  MethodNotAllowedError,
  NotFoundError,
  StorageError,
  TooManyRequestsError,
  UnauthorizedError,
  ValidationError,
} from "../domain/errors.ts";
import type { Logger } from "../domain/log.ts";

/** The body of every error answer. */
export interface Problem {
  /** A URN naming the kind of problem, e.g. `urn:baton:problem:validation`. */
  type: string;
  title: string;
  /** Always equal to the HTTP status of the answer. */
  status: number;
  /** What was wrong and what to do about it, for an operator. */
  detail: string;
  /** Offending fields; present on every 400. */
  errors?: FieldIssue[];
}

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

interface Kind {
  status: ContentfulStatusCode;
  type: string;
  title: string;
}

const KINDS: Record<BatonError["code"] | "INTERNAL", Kind> = {
  VALIDATION: { status: 400, type: "urn:baton:problem:validation", title: "Invalid request" },
  NOT_FOUND: { status: 404, type: "urn:baton:problem:not-found", title: "Not found" },
  METHOD_NOT_ALLOWED: { status: 405, type: "urn:baton:problem:method-not-allowed", title: "Method not allowed" },
  UNAUTHORIZED: { status: 401, type: "urn:baton:problem:unauthorized", title: "Unauthorized" },
  FORBIDDEN: { status: 403, type: "urn:baton:problem:forbidden", title: "Forbidden" },
  CONFLICT: { status: 409, type: "urn:baton:problem:conflict", title: "Conflict" },
  TOO_LARGE: { status: 413, type: "urn:baton:problem:too-large", title: "Request body too large" },
  TOO_MANY_REQUESTS: { status: 429, type: "urn:baton:problem:too-many-requests", title: "Too many requests" },
  UNAVAILABLE: { status: 503, type: "urn:baton:problem:unavailable", title: "Service unavailable" },
  STORAGE: { status: 503, type: "urn:baton:problem:storage-unavailable", title: "Storage unavailable" },
  INTERNAL: { status: 500, type: "urn:baton:problem:internal", title: "Internal server error" },
};

// Never echo an unexpected error's message: it may name files, SQL or data.
const INTERNAL_DETAIL =
  "Baton hit an unexpected error and did not finish this request; it may or may not have been applied. " +
  "Check the server log (lines 'request failed') for the cause, then check the state and retry.";

/** Maps any thrown value to the problem it answers, and the headers that go with it. */
export function problemOf(err: unknown): { problem: Problem; headers: Record<string, string> } {
  const headers: Record<string, string> = { "Content-Type": PROBLEM_CONTENT_TYPE };
  if (err instanceof BatonError) {
    const kind = KINDS[err.code];
    const problem: Problem = { type: kind.type, title: kind.title, status: kind.status, detail: err.message };
    if (err.code === "VALIDATION") problem.errors = err instanceof ValidationError ? err.issues : [];
    if (err instanceof MethodNotAllowedError) headers.Allow = err.allow.join(", ");
    if (err instanceof StorageError) headers["Retry-After"] = String(err.retryAfterSeconds);
    if (err instanceof UnauthorizedError) headers["WWW-Authenticate"] = 'Bearer realm="baton"';
    if (err instanceof TooManyRequestsError) headers["Retry-After"] = String(err.retryAfterSeconds);
    return { problem, headers };
  }
  if (err instanceof HTTPException) {
    // Only Hono's own middleware throws these; keep their status, answer in our format.
    const kind = Object.values(KINDS).find((k) => k.status === err.status) ?? { ...KINDS.INTERNAL, status: err.status, title: "Error" };
    const problem: Problem = {
      type: kind.type,
      title: kind.title,
      status: kind.status,
      detail: err.status >= 500 ? INTERNAL_DETAIL : err.message || kind.title,
    };
    if (kind.status === 400) problem.errors = [];
    return { problem, headers };
  }
  const kind = KINDS.INTERNAL;
  return { problem: { type: kind.type, title: kind.title, status: kind.status, detail: INTERNAL_DETAIL }, headers };
}

function respond(c: Context, err: unknown): Response {
  const { problem, headers } = problemOf(err);
  return c.body(JSON.stringify(problem), problem.status as ContentfulStatusCode, headers);
}

/**
 * Installs the app's only `onError` and `notFound` handlers. `served` lists what the not-found
 * hint names, e.g. `["/jobs", "/healthz"]`: the paths of the route table, then the mounts.
 */
export function installProblemHandlers(app: Hono, logger: Logger, served: readonly string[]): void {
  const hint = served.length > 1 ? `${served.slice(0, -1).join(", ")} and ${served.at(-1)}` : served.join("");
  app.onError((err, c) => {
    // A client hanging up mid-upload is routine, not a server fault: debug, never error.
    if (err instanceof ClientClosedError)
      logger.debug("request abandoned by the client", { method: c.req.method, path: c.req.path, reason: err.message });
    if (!(err instanceof BatonError) && !(err instanceof HTTPException && err.status < 500)) {
      // Method and path only: bodies, headers and query strings may carry secrets.
      logger.error("request failed with an unexpected error", {
        method: c.req.method,
        path: c.req.path,
        error: `${err.name}: ${err.message}`,
        stack: err.stack,
      });
    }
    return respond(c, err);
  });
  app.notFound((c) => respond(c, new NotFoundError(`no route for ${c.req.method} ${c.req.path}; Baton serves ${hint}`)));
}
