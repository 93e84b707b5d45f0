/**
 * What the OpenAPI document says about each route of the table, beyond its summary: its tag,
 * its query and body (the very valibot schemas the handler validates with), its answers (the
 * schemas of `responses.ts`) and the error statuses it can answer. Keyed by `METHOD path` as in
 * `ROUTES`; a route missing here fails `openapi.test.ts`.
 */
import type * as v from "valibot";
import { DefinitionSchema } from "../domain/definition-schema.ts";
import { TIMESTAMP_EXAMPLE } from "../domain/timestamp.ts";
import { VersionQuery } from "./definitions.ts";
import { ExecuteQuery, Input, ListQuery, RerunBody } from "./jobs.ts";
import * as R from "./responses.ts";
import { EventsQuery } from "./schedules.ts";
import { CompleteBody, FailBody, PollBody, ReportBody } from "./workers.ts";

type AnySchema = v.GenericSchema<unknown, unknown>;

export interface Answer {
  description: string;
  /** The JSON body; absent for a body that is not JSON (see `contentType`). */
  schema?: AnySchema;
  /** @default "application/json" */
  contentType?: string;
}

export interface Operation {
  tag: "definitions" | "executions" | "schedules" | "system" | "workers" | "reference";
  /** Longer than the table's summary: what a caller must know. */
  description?: string;
  query?: AnySchema;
  /** What a query parameter is, where its schema's messages do not say it. */
  notes?: Record<string, string>;
  body?: { schema: AnySchema; required: boolean; example?: unknown };
  /** An `Idempotency-Key` header is read. */
  idempotencyKey?: true;
  answers: Record<number, Answer>;
  /** Error statuses beside those every route can answer (500; 413 and a write's 503 where there is a body or a change). */
  errors: number[];
  /** Served without credentials (health checks, the reference documents). */
  open?: true;
  /** Changes state: may answer 503 storage-unavailable while the disk refuses writes. */
  writes?: true;
}

const EXAMPLE_DEFINITION = {
  $schema: "http://127.0.0.1:8080/schemas/job-definition.json",
  id: "nightly-report",
  tasks: [
    { id: "fetch", functionName: "http", params: { url: "http://127.0.0.1:9000/data" }, maxRetry: 2 },
    { id: "store", functionName: "echo", params: { rows: "{{tasks.fetch.output.body}}" } },
  ],
};

const json = (description: string, schema: AnySchema): Answer => ({ description, schema });

export const OPERATIONS: Record<string, Operation> = {
  "POST /job-definitions": {
    tag: "definitions",
    description: "Validated in full before anything is stored: a 400 lists every offending field by JSON path. `$schema` is ignored.",
    body: { schema: DefinitionSchema, required: true, example: EXAMPLE_DEFINITION },
    answers: {
      201: json("registered: a new id or a new version", R.Registered),
      200: json("unchanged: the latest version has this body", R.Registered),
    },
    errors: [400],
    writes: true,
  },
  "GET /job-definitions": {
    tag: "definitions",
    answers: { 200: json("the latest version of each definition", R.DefinitionList) },
    errors: [],
  },
  "GET /job-definitions/:id": {
    tag: "definitions",
    query: VersionQuery,
    answers: { 200: json("the definition as registered, with its version and every version number", R.DefinitionWithVersions) },
    errors: [400, 404],
  },
  "GET /jobs": {
    tag: "executions",
    query: ListQuery,
    answers: { 200: json("a page of executions, newest first", R.ExecutionList) },
    errors: [400],
  },
  "POST /jobs/:definitionId/execute": {
    tag: "executions",
    description:
      "The body is the execution's input (a JSON object; empty means {}). runAt (an ISO-8601 date-time with a time zone, up to year 9999) " +
      "or delaySeconds starts it later, not both. A replayed Idempotency-Key answers 200 with the first execution.",
    query: ExecuteQuery,
    notes: { runAt: `when to start it: an ISO-8601 date-time with a time zone, e.g. ${TIMESTAMP_EXAMPLE} (in a URL, send + as %2B)` },
    body: { schema: Input, required: false, example: { customer: "acme" } },
    idempotencyKey: true,
    answers: {
      202: json("accepted: QUEUED or RUNNING", R.Submitted),
      200: json("an Idempotency-Key replay: the execution it started", R.Submitted),
    },
    errors: [400, 404, 409, 503],
    writes: true,
  },
  "GET /jobs/:executionId/state": {
    tag: "executions",
    answers: { 200: json("the execution with its tasks", R.ExecutionState) },
    errors: [404],
  },
  "GET /jobs/:executionId/events": {
    tag: "executions",
    answers: { 200: json("every event, oldest first; fields beyond seq, timestamp and type depend on the type", R.ExecutionEvents) },
    errors: [404],
  },
  "POST /jobs/:executionId/cancel": {
    tag: "executions",
    answers: {
      200: json("it was QUEUED and is CANCELLED now", R.Cancelled),
      202: json("it is RUNNING: its attempts are aborted and it ends CANCELLED", R.Cancelled),
    },
    errors: [404, 409],
    writes: true,
  },
  "POST /jobs/:executionId/redrive": {
    tag: "executions",
    answers: { 202: json("QUEUED again; the tasks that will run again are listed", R.Redriven) },
    errors: [404, 409, 503],
    writes: true,
  },
  "POST /jobs/:executionId/rerun": {
    tag: "executions",
    body: { schema: RerunBody, required: true, example: { fromTask: "store" } },
    answers: { 202: json("a new execution that carries the tasks before fromTask", R.Rerun) },
    errors: [400, 404, 409, 503],
    writes: true,
  },
  "GET /schedules": { tag: "schedules", answers: { 200: json("every schedule", R.ScheduleList) }, errors: [] },
  "GET /schedules/:definitionId/:scheduleId": { tag: "schedules", answers: { 200: json("the schedule", R.Schedule) }, errors: [404] },
  "GET /schedules/:definitionId/:scheduleId/events": {
    tag: "schedules",
    query: EventsQuery,
    answers: { 200: json("a page of the schedule's events, newest first", R.ScheduleEvents) },
    errors: [400, 404],
  },
  "POST /schedules/:definitionId/:scheduleId/pause": {
    tag: "schedules",
    answers: { 200: json("the schedule, paused", R.Schedule) },
    errors: [404],
    writes: true,
  },
  "POST /schedules/:definitionId/:scheduleId/resume": {
    tag: "schedules",
    answers: { 200: json("the schedule, running", R.Schedule) },
    errors: [404],
    writes: true,
  },
  "POST /schedules/:definitionId/:scheduleId/trigger": {
    tag: "schedules",
    answers: { 202: json("the execution it started", R.Triggered) },
    errors: [404, 503],
    writes: true,
  },
  "GET /system/state": { tag: "system", answers: { 200: json("what runs and waits, and the counts", R.SystemState) }, errors: [] },
  "GET /healthz": {
    tag: "system",
    description: "503 while shutting down, while the database does not answer, or while it refuses writes.",
    answers: { 200: json("ready", R.Health) },
    errors: [503],
    open: true,
  },
  "GET /livez": {
    tag: "system",
    description: "Stays 200 through storage faults; 503 only when the database does not answer reads.",
    answers: { 200: json("alive", R.Health) },
    errors: [503],
    open: true,
  },
  "POST /workers/poll": {
    tag: "workers",
    body: { schema: PollBody, required: true, example: { workerId: "worker-1", functions: ["resize"], max: 1, waitSeconds: 20 } },
    answers: { 200: json("the attempts leased to this worker; none after waitSeconds", R.Polled) },
    errors: [400, 503],
    writes: true,
  },
  "POST /workers/leases/:leaseId/heartbeat": {
    tag: "workers",
    answers: { 200: json("the lease, extended", R.Heartbeat) },
    errors: [404, 409],
    writes: true,
  },
  "POST /workers/leases/:leaseId/complete": {
    tag: "workers",
    body: { schema: CompleteBody, required: false, example: { output: { resized: 3 } } },
    answers: { 200: json("the task's status after it", R.LeaseAnswer) },
    errors: [400, 404, 409, 503],
    writes: true,
  },
  "POST /workers/leases/:leaseId/fail": {
    tag: "workers",
    body: { schema: FailBody, required: true, example: { error: { name: "ResizeError", message: "bad image" } } },
    answers: { 200: json("the task's status after it: RUNNING again when it retries", R.LeaseAnswer) },
    errors: [400, 404, 409, 503],
    writes: true,
  },
  "POST /workers/leases/report": {
    tag: "workers",
    description:
      "Each item is recorded exactly as its own complete or fail call would be, and answered the same way; one bad item never fails the others.",
    body: {
      schema: ReportBody,
      required: true,
      example: { results: [{ leaseId: "01a2297d-a292-73f9-8d8e-2f3c8c0d0a11", output: { resized: 3 } }] },
    },
    answers: { 200: json("what each outcome got, in order", R.Reported) },
    errors: [400],
    writes: true,
  },
  "GET /workers": { tag: "workers", answers: { 200: json("the workers and their leases", R.Workers) }, errors: [] },
  "GET /openapi.json": { tag: "reference", answers: { 200: { description: "this document" } }, errors: [], open: true },
  "GET /schemas/job-definition.json": {
    tag: "reference",
    description: 'Put its address in a definition file as "$schema" and an editor completes and checks the file.',
    answers: { 200: { description: "a JSON Schema (2020-12)" } },
    errors: [],
    open: true,
  },
  "GET /reference": {
    tag: "reference",
    answers: { 200: { description: "an HTML page with everything this document says", contentType: "text/html" } },
    errors: [],
    open: true,
  },
  "POST /system/backup": {
    tag: "system",
    description:
      "Writes `baton-<UTC time>.db` into `--backup-dir` (SQLite's `VACUUM INTO` on a connection and thread of their own): everything committed before the call, while the server keeps committing. 409 when the server has no `--backup-dir` or the file exists; 503 when the file cannot be written. Needs the `backup` permission (role admin). Restore with `baton restore FILE --db PATH`.",
    answers: { 201: json("the backup written", R.Backup) },
    errors: [409, 503],
  },
  "GET /metrics": {
    tag: "system",
    description:
      "Prometheus' text exposition format (version 0.0.4): counters and histograms by definition id, gauges read at each scrape. Open like `/healthz` unless the server runs with `--metrics-auth`; then it needs a token with the `read` permission. Every metric is listed in docs/operations.md.",
    answers: { 200: { description: "the metrics, one sample per line", contentType: "text/plain" } },
    errors: [404],
  },
};

/** The routes' path parameters. */
export const PATH_PARAMETERS: Record<string, string> = {
  id: "a definition id",
  definitionId: "a definition id",
  executionId: "an execution id",
  scheduleId: "a schedule id of the definition",
  leaseId: "a lease id, as the poll returned it",
};
