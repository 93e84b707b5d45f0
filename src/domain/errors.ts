/**
 * Errors with a stable `code`. The API maps each code to one HTTP status in one place;
 * nothing else builds error bodies.
 */

export interface FieldIssue {
  /** JSON path of the offending field, e.g. `$.tasks[1].dependsOn[0]`. */
  path: string;
  message: string;
}

export class BatonError extends Error {
  constructor(
    readonly code:
      | "VALIDATION"
      | "NOT_FOUND"
      | "CONFLICT"
      | "TOO_LARGE"
      | "UNAVAILABLE"
      | "STORAGE"
      | "METHOD_NOT_ALLOWED"
      | "UNAUTHORIZED"
      | "FORBIDDEN"
      | "TOO_MANY_REQUESTS",
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Input that does not validate; `issues` name every offending field. */
export class ValidationError extends BatonError {
  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super("VALIDATION", message);
  }
}

/**
 * The client closed the connection before its request body had fully arrived, so nothing was
 * done. Not a server fault: the API logs it at debug level, never as an error. It answers as a
 * 400 (the body is incomplete), though usually nobody is left to read the answer.
 */
export class ClientClosedError extends ValidationError {
  constructor(message: string) {
    super(message, [{ path: "$", message: "ended before the whole request body arrived: the client closed the connection" }]);
  }
}

export class NotFoundError extends BatonError {
  constructor(message: string) {
    super("NOT_FOUND", message);
  }
}

export class ConflictError extends BatonError {
  constructor(message: string) {
    super("CONFLICT", message);
  }
}

/** A worker's lease is not held any more (expired, ended, or its execution cancelled): the worker must stop. */
export class LeaseLostError extends ConflictError {}

export class PayloadTooLargeError extends BatonError {
  constructor(message: string) {
    super("TOO_LARGE", message);
  }
}

/** The server is shutting down or not ready; the client should retry later. */
export class UnavailableError extends BatonError {
  constructor(message: string) {
    super("UNAVAILABLE", message);
  }
}

/**
 * The database refused a write (disk full, I/O error, read-only file) or a read. The store
 * stops writing until a probe write succeeds again; the engine resumes by itself then.
 */
export class StorageError extends BatonError {
  /**
   * @param applied false when the write is known to be rolled back (every write refused before
   *   or while its transaction was applied); "unknown" when COMMIT itself failed in a way that
   *   may have left the transaction durable; null for a failed read.
   * @param reason what the database said, for people: "the disk is full (SQLITE_FULL)".
   */
  constructor(
    message: string,
    readonly applied: false | "unknown" | null,
    readonly reason: string,
    /** How long a client should wait before retrying. */
    readonly retryAfterSeconds = 5,
  ) {
    super("STORAGE", message);
  }
}

/** A write refused by the store and known not to be applied: safe to send again unchanged. */
export const isRefusedWrite = (err: unknown): err is StorageError => err instanceof StorageError && err.applied === false;

/** A failed write whose outcome is not known: the stored state must be read again. */
export const isUnknownWrite = (err: unknown): boolean => err instanceof StorageError && err.applied === "unknown";

export class MethodNotAllowedError extends BatonError {
  constructor(
    message: string,
    readonly allow: string[],
  ) {
    super("METHOD_NOT_ALLOWED", message);
  }
}

/** No token, or one Baton does not know: answered 401 with `WWW-Authenticate: Bearer`. */
export class UnauthorizedError extends BatonError {
  constructor(message: string) {
    super("UNAUTHORIZED", message);
  }
}

/** A known token whose role lacks the permission the route needs: answered 403, naming it. */
export class ForbiddenError extends BatonError {
  constructor(
    message: string,
    readonly permission: string,
  ) {
    super("FORBIDDEN", message);
  }
}

/** Too many failed authentications from one address: answered 429 with `Retry-After`. */
export class TooManyRequestsError extends BatonError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super("TOO_MANY_REQUESTS", message);
  }
}

// ---- errors thrown by or on behalf of task functions ----

/** Well-known error names, as Step Functions spells them. */
export const ErrorNames = {
  ALL: "States.ALL",
  Timeout: "States.Timeout",
  /** A remote worker's lease expired without a heartbeat. */
  HeartbeatTimeout: "States.HeartbeatTimeout",
  TaskFailed: "States.TaskFailed",
  NonRetryable: "States.NonRetryable",
  DataLimitExceeded: "States.DataLimitExceeded",
  Runtime: "States.Runtime",
} as const;

/** Throw from a task function to fail the task at once, whatever its retry policy says. */
export class NonRetryableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ErrorNames.NonRetryable;
  }
}

/** The reason an attempt's signal fires when its `timeoutSeconds` passes. */
export class TaskTimeoutError extends Error {
  constructor(seconds: number) {
    super(`attempt did not finish within timeoutSeconds=${seconds}`);
    this.name = ErrorNames.Timeout;
  }
}

/** The reason an attempt's signal fires when the server shuts down; the attempt runs again at next start. */
export class ShutdownError extends Error {
  constructor() {
    super("the server is shutting down; the attempt will run again at next start");
    this.name = "Baton.Shutdown";
  }
}

/**
 * Abort reason of attempts stopped because their execution is being cancelled or timed out:
 * the attempt is given `graceMs` to return, and its outcome is not recorded.
 */
export class StopAttemptError extends Error {
  constructor(
    message: string,
    readonly graceMs: number,
  ) {
    super(message);
    this.name = "Baton.StopAttempt";
  }
}

/** How an error is stored and shown: its name (what `errorEquals` matches) and message. */
export interface ErrorInfo {
  name: string;
  message: string;
}

/** Errors that never retry, whatever the policy says. */
export const NON_RETRYABLE_NAMES: ReadonlySet<string> = new Set([
  ErrorNames.NonRetryable,
  ErrorNames.DataLimitExceeded,
  ErrorNames.Runtime,
]);

/** Coerces anything thrown into `{name, message}`. */
export function toErrorInfo(thrown: unknown): ErrorInfo {
  if (thrown instanceof Error) {
    return { name: thrown.name || "Error", message: thrown.message };
  }
  if (typeof thrown === "object" && thrown !== null) {
    const o = thrown as { name?: unknown; message?: unknown };
    if (typeof o.name === "string" || typeof o.message === "string") {
      return { name: typeof o.name === "string" ? o.name : "Error", message: String(o.message ?? "") };
    }
  }
  let message: string;
  try {
    message = typeof thrown === "string" ? thrown : (JSON.stringify(thrown) ?? String(thrown));
  } catch {
    message = String(thrown);
  }
  return { name: "Error", message };
}
