/** `/jobs`: start executions and read their state, their history and the list of them. */
import { Hono } from "hono";
import * as v from "valibot";
import { NotFoundError } from "../domain/errors.ts";
import { EXECUTION_STATUSES } from "../domain/states.ts";
import type { Engine } from "../engine/engine.ts";
import { readJsonBody } from "./body.ts";
import { allowOnly } from "./problem.ts";
import { integerParam, jsonObject, parseBody, parseQuery } from "./validate.ts";
import { eventView, executionStateView, executionSummaryView } from "./views.ts";

/** Page size of `GET /jobs`. */
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;

const ListQuery = v.object({
  status: v.optional(v.picklist(EXECUTION_STATUSES, `must be one of ${EXECUTION_STATUSES.join(", ")}`)),
  definitionId: v.optional(v.pipe(v.string(), v.minLength(1, "must not be empty"), v.maxLength(128, "must be at most 128 characters"))),
  // Cursors are what a previous page returned as nextCursor: positive integers.
  cursor: v.optional(v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,14}$/, "must be the nextCursor of a previous page (a positive integer)"))),
  limit: v.optional(integerParam(1, MAX_LIMIT), String(DEFAULT_LIMIT)),
});

const Input = jsonObject('must be a JSON object, e.g. {} or {"key": "value"}');

const notFound = (id: string) => new NotFoundError(`no execution with id "${id}"; list executions with GET /jobs`);

export function jobsApi(engine: Engine): Hono {
  const app = new Hono();

  app.post("/:definitionId/execute", async (c) => {
    const body = await readJsonBody(c);
    const input = body === undefined ? {} : parseBody(Input, body);
    // Throws NotFoundError for an unknown definition and UnavailableError while shutting down, before storing anything.
    const execution = await engine.submit(c.req.param("definitionId"), input);
    c.header("Location", `/jobs/${encodeURIComponent(execution.id)}/state`);
    return c.json({ executionID: execution.id, status: execution.status, definitionVersion: execution.definitionVersion }, 202);
  });

  app.get("/:executionId/state", async (c) => {
    const id = c.req.param("executionId");
    const execution = await engine.store.loadExecution(id);
    if (!execution) throw notFound(id);
    return c.json(executionStateView(execution));
  });

  app.get("/:executionId/events", async (c) => {
    const id = c.req.param("executionId");
    const events = await engine.store.events(id);
    if (!events) throw notFound(id);
    return c.json({ executionId: id, events: events.map(eventView) });
  });

  app.get("/", async (c) => {
    const { status, definitionId, cursor, limit } = parseQuery(ListQuery, c.req.query());
    const page = await engine.store.listExecutions({ status, definitionId, cursor, limit });
    return c.json({ jobs: page.executions.map(executionSummaryView), nextCursor: page.nextCursor });
  });

  app.all("/:definitionId/execute", allowOnly("POST"));
  app.all("/:executionId/state", allowOnly("GET", "HEAD"));
  app.all("/:executionId/events", allowOnly("GET", "HEAD"));
  app.all("/", allowOnly("GET", "HEAD"));
  return app;
}
