/**
 * The route table: every route of the API, one line each. The app registers its routes from
 * here, and derives from here the 405 answers (with their `Allow` header) and the list of paths
 * in the not-found hint. Adding a route is adding a line; HEAD is answered wherever GET is.
 */
import type { Handler } from "hono";
import { MethodNotAllowedError } from "../domain/errors.ts";
import { getDefinition, listDefinitions, registerDefinition } from "./definitions.ts";
import { cancel, execute, executionEvents, executionState, listExecutions, redrive, rerun } from "./jobs.ts";
import type { RouteHandler } from "./ports.ts";
import { definitionSchema, openapiDocument, referencePage } from "./reference.ts";
import { getSchedule, listSchedules, pauseSchedule, resumeSchedule, scheduleEvents, triggerSchedule } from "./schedules.ts";
import { backup, healthz, livez, metrics, systemState } from "./system.ts";
import { complete, fail, heartbeat, listWorkers, poll, reportResults } from "./workers.ts";

export interface Route {
  /** Never HEAD: HEAD is served by the GET route, without the body. */
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A Hono path: `:name` is a path parameter. */
  path: string;
  handler: RouteHandler;
  /** What it does, for whoever reads the table. */
  summary: string;
}

const route = (method: Route["method"], path: string, handler: RouteHandler, summary: string): Route => ({
  method,
  path,
  handler,
  summary,
});

// The order of first appearance of each path is the order of the not-found hint.
export const ROUTES: readonly Route[] = [
  route("POST", "/job-definitions", registerDefinition, "register a definition; a new version only when its body changed"),
  route("GET", "/job-definitions", listDefinitions, "the latest version of every definition"),
  route("GET", "/job-definitions/:id", getDefinition, "one definition (the latest or ?version=n) and its versions"),
  route("GET", "/jobs", listExecutions, "executions, newest first, filtered and paged"),
  route("POST", "/jobs/:definitionId/execute", execute, "start an execution, now or later, at most once per Idempotency-Key"),
  route("GET", "/jobs/:executionId/state", executionState, "an execution with its tasks and reruns"),
  route("GET", "/jobs/:executionId/events", executionEvents, "an execution's history"),
  route("POST", "/jobs/:executionId/cancel", cancel, "cancel a QUEUED or RUNNING execution"),
  route("POST", "/jobs/:executionId/redrive", redrive, "requeue a FAILED or CANCELLED execution, keeping completed tasks"),
  route("POST", "/jobs/:executionId/rerun", rerun, "a new execution from one task on, carrying the tasks before it"),
  route("GET", "/schedules", listSchedules, "every schedule with its state and next five fires"),
  route("GET", "/schedules/:definitionId/:scheduleId", getSchedule, "one schedule"),
  route("GET", "/schedules/:definitionId/:scheduleId/events", scheduleEvents, "a schedule's history, newest first, paged"),
  route("POST", "/schedules/:definitionId/:scheduleId/pause", pauseSchedule, "pause a schedule (stored, survives restarts)"),
  route("POST", "/schedules/:definitionId/:scheduleId/resume", resumeSchedule, "resume a schedule; its next fire counts from now"),
  route("POST", "/schedules/:definitionId/:scheduleId/trigger", triggerSchedule, "run a schedule once now, whatever its pause and overlap"),
  route("GET", "/system/state", systemState, "what runs and waits, and the counts"),
  route("GET", "/healthz", healthz, "readiness: can Baton take work now"),
  route("GET", "/livez", livez, "liveness: does the process answer"),
  route("POST", "/workers/poll", poll, "a worker takes attempts of remote tasks, waiting up to waitSeconds"),
  route("POST", "/workers/leases/:leaseId/heartbeat", heartbeat, "extend a lease; says whether the execution is being cancelled"),
  route("POST", "/workers/leases/:leaseId/complete", complete, "complete the attempt held under a lease"),
  route("POST", "/workers/leases/:leaseId/fail", fail, "fail the attempt held under a lease; its retry policy applies"),
  route("GET", "/workers", listWorkers, "workers seen in the last 10 minutes and the leases they hold"),
  route("GET", "/openapi.json", openapiDocument, "this API as an OpenAPI 3.1 document"),
  route("GET", "/schemas/job-definition.json", definitionSchema, "the JSON Schema of a job definition, for editors"),
  route("GET", "/reference", referencePage, "the API reference as a web page, rendered from /openapi.json"),
  route("POST", "/workers/leases/report", reportResults, "complete or fail the attempts of many leases, each answered on its own"),
  route("POST", "/system/backup", backup, "write a consistent copy of the database into --backup-dir while work goes on"),
  route("GET", "/metrics", metrics, "Prometheus metrics in the text format: counters, histograms and gauges"),
];

/** Each path of the table, in table order, with the methods it answers: HEAD wherever GET, sorted. */
export function allowedMethods(routes: readonly Route[]): Map<string, string[]> {
  const allowed = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    const methods = allowed.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === "GET") methods.add("HEAD");
    allowed.set(path, methods);
  }
  return new Map([...allowed].map(([path, methods]) => [path, [...methods].sort()]));
}

/** The paths of the table as the docs write them (`{name}` for a parameter), in table order. */
export function servedPaths(routes: readonly Route[]): string[] {
  return [...allowedMethods(routes).keys()].map((path) => path.replace(/:(\w+)/g, "{$1}"));
}

/** The first segment of every path in the table (`/jobs`, `/healthz`…): a mount may not take one. */
export function routePrefixes(routes: readonly Route[]): Set<string> {
  return new Set(routes.map((r) => `/${r.path.split("/")[1]}`));
}

/**
 * Registered for every path of the table after its real methods: any other method gets a 405
 * naming the allowed ones.
 */
export function methodNotAllowed(allow: readonly string[]): Handler {
  return (c) => {
    throw new MethodNotAllowedError(`${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(" or ")}`, [...allow]);
  };
}
