/** The handlers of `/schedules`: the definitions' cron schedules, their history, and pause, resume and trigger. */
import * as v from "valibot";
import { NotFoundError } from "../domain/errors.ts";
import { scheduleNotFound } from "../domain/schedule.ts";
import { actorOf } from "./caller.ts";
import type { ApiPorts, RouteHandler } from "./ports.ts";
import { integerParam, parseQuery } from "./validate.ts";
import { scheduleEventView, scheduleView } from "./views.ts";

/** Page size of a schedule's events. */
const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 500;

export const EventsQuery = v.object({
  // Cursors are what a previous page returned as nextCursor: an event's seq.
  cursor: v.optional(v.pipe(v.string(), v.regex(/^[1-9][0-9]{0,14}$/, "must be the nextCursor of a previous page (a positive integer)"))),
  limit: v.optional(integerParam(1, MAX_LIMIT), String(DEFAULT_LIMIT)),
});

const params = (c: Parameters<RouteHandler>[0]) => ({ definitionId: c.req.param("definitionId")!, scheduleId: c.req.param("scheduleId")! });

/** The schedule, or a 404 naming the schedules that exist. */
async function found({ reads }: ApiPorts, definitionId: string, scheduleId: string) {
  const schedule = await reads.getSchedule(definitionId, scheduleId);
  if (schedule) return schedule;
  const [all, def] = await Promise.all([reads.listSchedules(), reads.getDefinition(definitionId)]);
  throw new NotFoundError(scheduleNotFound(definitionId, scheduleId, def !== null, all));
}

/** `GET /schedules` */
export const listSchedules: RouteHandler = async (c, { reads, now }) => {
  const at = now();
  return c.json({ schedules: (await reads.listSchedules()).map((s) => scheduleView(s, at)) });
};

/** `GET /schedules/:definitionId/:scheduleId` */
export const getSchedule: RouteHandler = async (c, api) => {
  const { definitionId, scheduleId } = params(c);
  return c.json(scheduleView(await found(api, definitionId, scheduleId), api.now()));
};

/** `GET /schedules/:definitionId/:scheduleId/events` */
export const scheduleEvents: RouteHandler = async (c, api) => {
  const { definitionId, scheduleId } = params(c);
  const { cursor, limit } = parseQuery(EventsQuery, c.req.query());
  await found(api, definitionId, scheduleId);
  // One more than asked tells whether a next page exists.
  const events = await api.reads.scheduleEvents(definitionId, scheduleId, limit + 1, cursor === undefined ? undefined : Number(cursor));
  const page = events.slice(0, limit);
  const nextCursor = events.length > limit ? String(page.at(-1)!.seq) : null;
  return c.json({ definitionId, scheduleId, events: page.map(scheduleEventView), nextCursor });
};

/** `POST /schedules/:definitionId/:scheduleId/pause` */
export const pauseSchedule: RouteHandler = async (c, { engine, now }) => {
  const { definitionId, scheduleId } = params(c);
  return c.json(scheduleView(await engine.pauseSchedule(definitionId, scheduleId, actorOf(c)), now()));
};

/** `POST /schedules/:definitionId/:scheduleId/resume` */
export const resumeSchedule: RouteHandler = async (c, { engine, now }) => {
  const { definitionId, scheduleId } = params(c);
  return c.json(scheduleView(await engine.resumeSchedule(definitionId, scheduleId, actorOf(c)), now()));
};

/** `POST /schedules/:definitionId/:scheduleId/trigger` */
export const triggerSchedule: RouteHandler = async (c, { engine }) => {
  const { definitionId, scheduleId } = params(c);
  const execution = await engine.triggerSchedule(definitionId, scheduleId, actorOf(c));
  c.header("Location", `/jobs/${encodeURIComponent(execution.id)}/state`);
  return c.json({ executionID: execution.id, status: execution.status, scheduleId, definitionVersion: execution.definitionVersion }, 202);
};
