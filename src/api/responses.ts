/**
 * The answers of the API as valibot schemas: the shapes `views.ts` and the handlers build,
 * written once more so the OpenAPI document can publish them. They are strict where the view
 * is fixed, so a field added to a view without being added here fails the test that checks
 * real answers against the document (`openapi-responses.test.ts`).
 */
import * as v from "valibot";
import { WAIT_REASONS } from "../domain/flow.ts";
import { EXECUTION_STATUSES, TASK_STATUSES } from "../domain/states.ts";

const Time = v.pipe(v.string(), v.description("ISO-8601 in UTC, e.g. 2026-01-31T12:00:00.000Z"));
const OptTime = v.nullable(Time);
const Status = v.picklist(EXECUTION_STATUSES);
const TaskStatus = v.picklist(TASK_STATUSES);
const Json = v.pipe(v.unknown(), v.description("any JSON value"));
const JsonObject = v.record(v.string(), v.unknown());
const ErrorInfo = v.strictObject({ name: v.string(), message: v.string() });
const ExecutionError = v.strictObject({ name: v.string(), message: v.string(), taskId: v.nullable(v.string()) });
const WaitReason = v.picklist(WAIT_REASONS);

export const Problem = v.pipe(
  v.strictObject({
    type: v.pipe(v.string(), v.description("a URN naming the kind of problem, e.g. urn:baton:problem:validation")),
    title: v.string(),
    status: v.pipe(v.number(), v.integer(), v.description("always the HTTP status of the answer")),
    detail: v.pipe(v.string(), v.description("what was wrong and what to do about it")),
    errors: v.optional(v.array(v.strictObject({ path: v.string(), message: v.string() }))),
  }),
  v.description("RFC 9457 problem details; `errors` lists the offending fields on every 400"),
);

export const Health = v.strictObject({ status: v.literal("ok"), version: v.string() });

export const Backup = v.strictObject({ file: v.string(), bytes: v.pipe(v.number(), v.integer()), durationMs: v.number() });

export const Registered = v.strictObject({ message: v.string(), id: v.string(), version: v.pipe(v.number(), v.integer()) });

/** A definition as registered (its own fields, loose), plus its version and when it was stored. */
const StoredDefinition = v.looseObject({
  id: v.string(),
  tasks: v.array(JsonObject),
  version: v.number(),
  createdAt: Time,
  registeredBy: v.optional(v.pipe(v.string(), v.description("the token that registered this version; absent without tokens"))),
});
export const DefinitionList = v.array(StoredDefinition);
export const DefinitionWithVersions = v.looseObject({ ...StoredDefinition.entries, versions: v.array(v.number()) });

const summaryEntries = {
  id: v.string(),
  definitionId: v.string(),
  definitionVersion: v.number(),
  status: Status,
  startTime: v.pipe(Time, v.description("when it was accepted (same as createdAt)")),
  createdAt: Time,
  startedAt: OptTime,
  endTime: OptTime,
  runAt: OptTime,
  priority: v.number(),
  concurrencyKey: v.nullable(v.string()),
  scheduleId: v.nullable(v.string()),
  scheduledFor: OptTime,
  error: v.nullable(ExecutionError),
};

export const ExecutionList = v.strictObject({
  jobs: v.array(v.strictObject(summaryEntries)),
  nextCursor: v.pipe(v.nullable(v.string()), v.description("pass as ?cursor= for the next page; null on the last")),
});

const TaskView = v.strictObject({
  id: v.string(),
  name: v.string(),
  status: TaskStatus,
  attempts: v.number(),
  startedAt: OptTime,
  endTime: OptTime,
  nextAttemptAt: OptTime,
  output: Json,
  error: v.nullable(ErrorInfo),
  carriedOver: v.optional(v.literal(true)),
});

export const ExecutionState = v.strictObject({
  ...summaryEntries,
  waitingFor: v.pipe(v.nullable(WaitReason), v.description("what a QUEUED execution waits for; null otherwise")),
  input: JsonObject,
  output: Json,
  failedTasks: v.array(v.string()),
  cancelRequestedAt: OptTime,
  rerunOf: v.nullable(v.string()),
  reruns: v.array(v.string()),
  handlersPending: v.boolean(),
  tasks: v.array(TaskView),
});

const ExecutionEvent = v.looseObject({
  seq: v.number(),
  timestamp: Time,
  type: v.string(),
  taskId: v.optional(v.string()),
  attempt: v.optional(v.number()),
});
export const ExecutionEvents = v.strictObject({ executionId: v.string(), events: v.array(ExecutionEvent) });

export const Submitted = v.strictObject({
  executionID: v.string(),
  status: Status,
  definitionVersion: v.number(),
  runAt: OptTime,
  priority: v.number(),
  concurrencyKey: v.nullable(v.string()),
  idempotentReplay: v.optional(v.literal(true)),
});
export const Cancelled = v.strictObject({ executionID: v.string(), status: Status, cancelRequested: v.literal(true) });
export const Redriven = v.strictObject({ executionID: v.string(), status: v.literal("QUEUED"), resetTasks: v.array(v.string()) });
export const Rerun = v.strictObject({ executionID: v.string(), status: Status, rerunOf: v.string(), fromTask: v.string() });

export const Schedule = v.strictObject({
  definitionId: v.string(),
  id: v.string(),
  version: v.number(),
  cron: v.string(),
  timezone: v.string(),
  overlap: v.picklist(["skip", "bufferOne", "allow"]),
  catchupWindowSeconds: v.number(),
  input: JsonObject,
  paused: v.boolean(),
  lastFire: OptTime,
  missedCount: v.number(),
  skippedCount: v.number(),
  bufferedFire: OptTime,
  lastAction: v.nullable(v.strictObject({ action: v.picklist(["pause", "resume", "trigger"]), at: Time, actor: v.nullable(v.string()) })),
  nextFireTimes: v.array(v.strictObject({ utc: Time, local: v.string() })),
});
export const ScheduleList = v.strictObject({ schedules: v.array(Schedule) });
const ScheduleEvent = v.looseObject({
  seq: v.number(),
  timestamp: Time,
  type: v.string(),
  scheduledFor: v.optional(Time),
  executionId: v.optional(v.string()),
});
export const ScheduleEvents = v.strictObject({
  definitionId: v.string(),
  scheduleId: v.string(),
  events: v.array(ScheduleEvent),
  nextCursor: v.nullable(v.string()),
});
export const Triggered = v.strictObject({ executionID: v.string(), status: Status, scheduleId: v.string(), definitionVersion: v.number() });

export const SystemState = v.strictObject({
  activeJobs: v.array(
    v.strictObject({
      id: v.string(),
      definitionId: v.string(),
      status: Status,
      startTime: Time,
      startedAt: OptTime,
      tasks: v.array(v.strictObject({ id: v.string(), name: v.string(), status: TaskStatus })),
    }),
  ),
  queuedJobs: v.pipe(v.array(v.string()), v.description("ids of the first 100 QUEUED executions")),
  queuedCount: v.number(),
  executedJobs: v.number(),
  maxConcurrentJobs: v.number(),
  queuedWaitingFor: v.strictObject(
    Object.fromEntries(WAIT_REASONS.map((r) => [r, v.number()])) as Record<string, v.NumberSchema<undefined>>,
  ),
  version: v.string(),
  uptimeSeconds: v.number(),
});

export const LeaseAnswer = v.strictObject({ executionId: v.string(), taskId: v.string(), attempt: v.number(), status: TaskStatus });

/** What each outcome of a batch got: the answer its own call would give, or the problem it would answer. */
const ReportResults = v.pipe(
  v.array(
    v.union([v.strictObject({ leaseId: v.string(), ...LeaseAnswer.entries }), v.strictObject({ leaseId: v.string(), problem: Problem })]),
  ),
  v.description("one entry per outcome sent, in order"),
);
export const Reported = v.strictObject({ results: ReportResults });

export const Polled = v.strictObject({
  results: v.optional(v.pipe(ReportResults, v.description("present when the poll carried results: what each got"))),
  tasks: v.array(
    v.strictObject({
      leaseId: v.string(),
      executionId: v.string(),
      taskId: v.string(),
      attempt: v.number(),
      functionName: v.string(),
      input: JsonObject,
      params: JsonObject,
      results: v.pipe(JsonObject, v.description("outputs of the tasks before it, by task id")),
      leaseExpiresAt: Time,
      deadline: OptTime,
    }),
  ),
});
export const Heartbeat = v.strictObject({ leaseExpiresAt: Time, cancelRequested: v.boolean() });
export const Workers = v.strictObject({
  workers: v.array(v.strictObject({ workerId: v.string(), functions: v.array(v.string()), lastSeenAt: Time, leases: v.number() })),
});
