/**
 * The handlers of `/workers`: remote workers poll for attempts of the functions they run, keep
 * their lease with heartbeats, and complete or fail the attempt under it. Every change goes
 * through the engine; a lease that is not held any more answers 409 and the worker must stop.
 * Outcomes may also come in batches (`/workers/leases/report`, or `results` on a poll), each
 * item answered as its own complete or fail would answer, so one bad item never fails the others.
 */
import * as v from "valibot";
import { BatonError, UnavailableError } from "../domain/errors.ts";
import type { WorkerInfo } from "../domain/store.ts";
import type { RemoteTask } from "../engine/remote.ts";
import { readJsonBody } from "./body.ts";
import type { EngineCommands, RouteHandler } from "./ports.ts";
import { problemOf } from "./problem.ts";
import { parseBody } from "./validate.ts";
import { iso } from "./views.ts";

/** Longest a poll may wait for work. */
export const MAX_WAIT_SECONDS = 60;
/** Most attempts one poll may take. */
export const MAX_TASKS_PER_POLL = 100;
/** Most outcomes one report (or one poll) may carry. */
export const MAX_RESULTS_PER_REQUEST = 256;

const Name = (what: string) =>
  v.pipe(v.string(`must be ${what}`), v.minLength(1, "must not be empty"), v.maxLength(128, "must be at most 128 characters"));

const strict = (fields: string) => (issue: v.BaseIssue<unknown>) =>
  issue.expected === "never"
    ? `is not a field here (${fields})`
    : issue.received === "undefined" && issue.path?.length
      ? "is required"
      : "must be an object";

const ErrorBody = v.strictObject(
  {
    name: Name("the error's name (a string)"),
    message: v.optional(v.pipe(v.string("must be a string"), v.maxLength(8192, "must be at most 8192 characters")), ""),
  },
  strict("name, message"),
);

/** One outcome of a batch: `output` completes the attempt (null if left out), `error` fails it. */
const ResultItem = v.pipe(
  v.strictObject(
    { leaseId: Name("a lease id (a string)"), output: v.optional(v.unknown()), error: v.optional(ErrorBody) },
    strict("leaseId, output, error"),
  ),
  v.check((item) => item.output === undefined || item.error === undefined, "must carry output or error, not both"),
);

const Results = v.pipe(
  v.array(ResultItem, "must be an array of outcomes ({leaseId, output} or {leaseId, error})"),
  v.maxLength(MAX_RESULTS_PER_REQUEST, `must hold at most ${MAX_RESULTS_PER_REQUEST} outcomes; send the rest in another request`),
);

export const PollBody = v.strictObject(
  {
    workerId: Name("a worker id (a string)"),
    functions: v.pipe(
      v.array(Name("a function name (a string)"), "must be an array of function names"),
      v.minLength(1, "must name at least one function"),
      v.maxLength(100, "must name at most 100 functions"),
    ),
    max: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.integer("must be a whole number"),
        v.minValue(1, `must be from 1 to ${MAX_TASKS_PER_POLL}`),
        v.maxValue(MAX_TASKS_PER_POLL, `must be from 1 to ${MAX_TASKS_PER_POLL}`),
      ),
      1,
    ),
    waitSeconds: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.minValue(0, `must be from 0 to ${MAX_WAIT_SECONDS}`),
        v.maxValue(MAX_WAIT_SECONDS, `must be from 0 to ${MAX_WAIT_SECONDS}`),
      ),
      0,
    ),
    results: v.optional(Results),
  },
  strict("workerId, functions, max, waitSeconds, results"),
);

export const ReportBody = v.strictObject({ results: Results }, strict("results"));

export const CompleteBody = v.strictObject({ output: v.optional(v.unknown()) }, strict("output"));

export const FailBody = v.strictObject({ error: ErrorBody }, strict("error"));

const taskView = (t: RemoteTask) => ({ ...t, leaseExpiresAt: iso(t.leaseExpiresAt), deadline: iso(t.deadline) });
const workerView = (w: WorkerInfo) => ({ ...w, lastSeenAt: iso(w.lastSeenAt) });

/**
 * Records each outcome as its own complete or fail would, all at once (group commit makes them
 * one transaction), and answers in order what that call would answer: the task's status, or its
 * problem. An unexpected error is no item's answer: it fails the request (500, logged).
 */
function report(engine: EngineCommands, results: v.InferOutput<typeof Results>) {
  return Promise.all(
    results.map(async ({ leaseId, output, error }) => {
      try {
        return { leaseId, ...(await (error ? engine.failLease(leaseId, error) : engine.completeLease(leaseId, output ?? null))) };
      } catch (err) {
        if (!(err instanceof BatonError)) throw err;
        return { leaseId, problem: problemOf(err).problem };
      }
    }),
  );
}

/**
 * `POST /workers/poll`: the outcomes in `results` are recorded as the poll arrives (they do not
 * wait for its tasks), and answered beside them.
 */
export const poll: RouteHandler = async (c, { engine }) => {
  const body = parseBody(PollBody, (await readJsonBody(c)) ?? {});
  if (engine.isStopping) throw new UnavailableError("Baton is shutting down; poll again after the restart");
  const reported = body.results && report(engine, body.results);
  // The request's signal fires when the worker hangs up: its poll stops waiting.
  const polled = engine.poll(body.workerId, body.functions, body.max, Math.round(body.waitSeconds * 1000), c.req.raw.signal);
  const [tasks, results] = await Promise.all([polled, reported]);
  return c.json(results ? { tasks: tasks.map(taskView), results } : { tasks: tasks.map(taskView) });
};

/** `POST /workers/leases/report` */
export const reportResults: RouteHandler = async (c, { engine }) => {
  const body = parseBody(ReportBody, await readJsonBody(c));
  return c.json({ results: await report(engine, body.results) });
};

/** `POST /workers/leases/:leaseId/heartbeat` */
export const heartbeat: RouteHandler = async (c, { engine }) => {
  const { leaseExpiresAt, cancelRequested } = await engine.heartbeat(c.req.param("leaseId")!);
  return c.json({ leaseExpiresAt: iso(leaseExpiresAt), cancelRequested });
};

/** `POST /workers/leases/:leaseId/complete` */
export const complete: RouteHandler = async (c, { engine }) => {
  const body = parseBody(CompleteBody, (await readJsonBody(c)) ?? {});
  return c.json(await engine.completeLease(c.req.param("leaseId")!, body.output ?? null));
};

/** `POST /workers/leases/:leaseId/fail` */
export const fail: RouteHandler = async (c, { engine }) => {
  const { error } = parseBody(FailBody, await readJsonBody(c));
  return c.json(await engine.failLease(c.req.param("leaseId")!, error));
};

/** `GET /workers` */
export const listWorkers: RouteHandler = async (c, { engine }) => c.json({ workers: (await engine.workers()).map(workerView) });
