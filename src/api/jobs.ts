/** The handlers of `/jobs`: start executions, act on them, and read their state, their history and the list of them. */
import * as v from "valibot";
import { ConflictError, NotFoundError, ValidationError } from "../domain/errors.ts";
import { MAX_PRIORITY, MIN_PRIORITY } from "../domain/flow.ts";
import { EXECUTION_STATUSES } from "../domain/states.ts";
import { readJsonBody } from "./body.ts";
import { actorOf } from "./caller.ts";
import type { EngineCommands, RouteHandler } from "./ports.ts";
import { integerParam, jsonObject, parseBody, parseQuery, timestampParam } from "./validate.ts";
import { eventView, executionStateView, executionSummaryView, iso } from "./views.ts";

/** Page size of `GET /jobs`. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

export const ListQuery = v.object({
  status: v.optional(v.picklist(EXECUTION_STATUSES, `must be one of ${EXECUTION_STATUSES.join(", ")}`)),
  definitionId: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(128, "must be at most 128 characters"))),
  // Cursors are what a previous page returned as nextCursor: positive integers.
  cursor: v.optional(v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,14}$/, "must be the nextCursor of a previous page (a positive integer)"))),
  limit: v.optional(integerParam(1, MAX_LIMIT), String(DEFAULT_LIMIT)),
});

export const Input = jsonObject('must be a JSON object, e.g. {} or {"key": "value"}');

/** Longest delay `delaySeconds` may ask for: 366 days. A `runAt` may be any real date up to the year 9999. */
const MAX_DELAY_SECONDS = 366 * 24 * 3600;

/** The last instant an ISO-8601 string can name without an expanded (+010000) year. */
const LAST_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const PRIORITY_RULE = `must be a whole number from ${MIN_PRIORITY} to ${MAX_PRIORITY} (higher starts first; default 0)`;

export const ExecuteQuery = v.pipe(
  v.object({
    runAt: v.optional(
      v.pipe(
        timestampParam(),
        v.check((ms) => ms <= LAST_INSTANT, "is after 9999-12-31T23:59:59.999Z in UTC; give an earlier time"),
      ),
    ),
    delaySeconds: v.optional(integerParam(0, MAX_DELAY_SECONDS)),
    priority: v.optional(
      v.pipe(
        v.string(),
        v.regex(/^-?[0-9]{1,4}$/, PRIORITY_RULE),
        v.transform(Number),
        v.minValue(MIN_PRIORITY, PRIORITY_RULE),
        v.maxValue(MAX_PRIORITY, PRIORITY_RULE),
      ),
    ),
  }),
  v.check((q) => q.runAt === undefined || q.delaySeconds === undefined, "give runAt or delaySeconds, not both"),
);

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export const RerunBody = v.strictObject(
  {
    fromTask: v.pipe(v.string("must be a task id"), v.minLength(1, "must not be empty")),
    input: v.optional(jsonObject("must be a JSON object")),
  },
  (issue) =>
    issue.expected === "never"
      ? "is not a rerun field (fromTask, input)"
      : issue.received === "undefined" && issue.path?.length
        ? "is required"
        : "must be an object with fromTask",
);

const notFound = (id: string) => new NotFoundError(`no execution with id "${id}"; list executions with GET /jobs`);

/** `POST /jobs/:definitionId/execute` */
export const execute: RouteHandler = async (c, { engine, now }) => {
  const body = await readJsonBody(c);
  const input = body === undefined ? {} : parseBody(Input, body);
  const query = parseQuery(ExecuteQuery, c.req.query());
  const key = c.req.header("Idempotency-Key");
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new ValidationError("invalid Idempotency-Key header: it must be 1 to 255 visible ASCII characters", [
      { path: "Idempotency-Key", message: "must be 1 to 255 visible ASCII characters" },
    ]);
  }
  const runAt = query.runAt ?? (query.delaySeconds !== undefined ? now() + query.delaySeconds * 1000 : undefined);
  // Throws NotFoundError for an unknown definition and UnavailableError while shutting down, before storing anything.
  const { execution, created } = await engine.submitWith(c.req.param("definitionId")!, input, {
    runAt,
    idempotencyKey: key,
    priority: query.priority,
    actor: actorOf(c),
  });
  c.header("Location", `/jobs/${encodeURIComponent(execution.id)}/state`);
  const answer = {
    executionID: execution.id,
    status: execution.status,
    definitionVersion: execution.definitionVersion,
    runAt: iso(execution.runAt),
    priority: execution.priority,
    concurrencyKey: execution.concurrencyKey,
  };
  return c.json(created ? answer : { ...answer, idempotentReplay: true }, created ? 202 : 200);
};

/** Cancels through the engine, or throws the error the API answers (404, 409); the dashboard's cancel calls it too. */
export async function cancelExecution(engine: Pick<EngineCommands, "cancel">, id: string, actor: string | null) {
  const result = await engine.cancel(id, actor);
  if (result.outcome === "missing") throw notFound(id);
  if (result.outcome === "finished") {
    throw new ConflictError(`execution ${id} is already ${result.status}; only QUEUED or RUNNING executions can be cancelled`);
  }
  return result;
}

/** Redrives through the engine, or throws the error the API answers (404, 409); the dashboard's redrive calls it too. */
export async function redriveExecution(engine: Pick<EngineCommands, "redrive">, id: string, actor: string | null) {
  const result = await engine.redrive(id, actor);
  if (result.outcome === "missing") throw notFound(id);
  if (result.outcome === "refused") {
    throw new ConflictError(`execution ${id} is ${result.status}; only FAILED or CANCELLED executions can be redriven`);
  }
  return result;
}

/** `POST /jobs/:executionId/cancel` */
export const cancel: RouteHandler = async (c, { engine, reads }) => {
  const id = c.req.param("executionId")!;
  const result = await cancelExecution(engine, id, actorOf(c));
  const execution = (await reads.loadExecution(id))!;
  return c.json({ executionID: id, status: execution.status, cancelRequested: true }, result.outcome === "cancelled" ? 200 : 202);
};

/** `POST /jobs/:executionId/redrive` */
export const redrive: RouteHandler = async (c, { engine }) => {
  const id = c.req.param("executionId")!;
  const result = await redriveExecution(engine, id, actorOf(c));
  return c.json({ executionID: id, status: "QUEUED", resetTasks: result.reset }, 202);
};

/** `POST /jobs/:executionId/rerun` */
export const rerun: RouteHandler = async (c, { engine }) => {
  const id = c.req.param("executionId")!;
  const { fromTask, input } = parseBody(RerunBody, await readJsonBody(c));
  const execution = await engine.rerun(id, fromTask, input, actorOf(c));
  c.header("Location", `/jobs/${encodeURIComponent(execution.id)}/state`);
  return c.json({ executionID: execution.id, status: execution.status, rerunOf: id, fromTask }, 202);
};

/** `GET /jobs/:executionId/state` */
export const executionState: RouteHandler = async (c, { engine, reads }) => {
  const id = c.req.param("executionId")!;
  const execution = await reads.loadExecution(id);
  if (!execution) throw notFound(id);
  const waitingFor = execution.status === "QUEUED" ? engine.waitingFor(id) : null;
  return c.json(executionStateView(execution, await reads.rerunsOf(id), waitingFor));
};

/** `GET /jobs/:executionId/events` */
export const executionEvents: RouteHandler = async (c, { reads }) => {
  const id = c.req.param("executionId")!;
  const events = await reads.events(id);
  if (!events) throw notFound(id);
  return c.json({ executionId: id, events: events.map(eventView) });
};

/** `GET /jobs` */
export const listExecutions: RouteHandler = async (c, { reads }) => {
  const { status, definitionId, cursor, limit } = parseQuery(ListQuery, c.req.query());
  const page = await reads.listExecutions({ status, definitionId, cursor, limit });
  return c.json({ jobs: page.executions.map(executionSummaryView), nextCursor: page.nextCursor });
};
