/**
 * The JSON format of a job definition as a valibot schema: field types, ranges and the
 * messages a person gets for each mistake. The checks a schema cannot express, and the
 * resolution of defaults, are in `definition.ts`.
 */
import * as v from "valibot";
import { isPlainObject } from "./json.ts";

const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
const ID_RULE = "1 to 128 characters of A-Z a-z 0-9 . _ -";
/** Upper bound of any timer Baton sets from a definition: 30 days. */
export const MAX_SECONDS = 30 * 24 * 3600;

const Id = v.pipe(
  v.string("must be a string"),
  v.regex(ID_PATTERN, `must be ${ID_RULE}`),
  // URLs resolve them as path segments: /job-definitions/.. is /, so such a definition could never be read or run.
  v.check((id) => id !== "." && id !== "..", 'must not be "." or "..": URLs treat them as path segments, so it could never be read or run'),
);
/** A function's name, in a definition and as a function module's export. */
export const FunctionName = v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"));
const Name = v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"), v.maxLength(256, "must be at most 256 characters"));
const Seconds = (what: string, min: number, exclusive: boolean) =>
  v.pipe(
    v.number("must be a number"),
    v.finite("must be a finite number"),
    exclusive ? v.gtValue(min, `${what} must be greater than ${min}`) : v.minValue(min, `${what} must be at least ${min}`),
    v.maxValue(MAX_SECONDS, `${what} must be at most ${MAX_SECONDS} (30 days)`),
  );

/**
 * The message of an object-level issue: an unknown key, a missing required key, or a value
 * that is not an object at all.
 */
const objectMessage = (what: string) => (issue: v.BaseIssue<unknown>) =>
  issue.expected === "never"
    ? `is not a ${what} field`
    : issue.received === "undefined" && issue.path?.length
      ? "is required"
      : "must be an object";

/** valibot's object schemas accept arrays (they are objects); a definition never wants one. */
export const plainObject = <I, O, S extends v.GenericSchema<I, O>>(schema: S & v.GenericSchema<I, O>) =>
  v.pipe(v.custom<I>(isPlainObject, "must be an object"), schema as v.GenericSchema<I, O>);

/** A whole number from 1 to `max`. */
const Count = (max: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be an integer"),
    v.minValue(1, "must be at least 1"),
    v.maxValue(max, `must be at most ${max}`),
  );

const RetrySchema = v.strictObject(
  {
    maxAttempts: v.optional(Count(1000)),
    intervalSeconds: v.optional(Seconds("intervalSeconds", 0, false)),
    backoffRate: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.finite("must be finite"),
        v.minValue(1, "must be at least 1"),
        v.maxValue(100, "must be at most 100"),
      ),
    ),
    maxDelaySeconds: v.optional(Seconds("maxDelaySeconds", 0, true)),
    jitterStrategy: v.optional(v.picklist(["FULL", "NONE"], 'must be "FULL" or "NONE"')),
    errorEquals: v.optional(
      v.pipe(
        v.array(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty")), "must be an array of error names"),
        v.minLength(1, "must name at least one error"),
      ),
    ),
  },
  objectMessage("retry"),
);

const TaskSchema = v.strictObject(
  {
    id: Id,
    name: v.optional(Name),
    functionName: FunctionName,
    params: v.optional(plainObject(v.record(v.string(), v.unknown(), "must be an object"))),
    maxRetry: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.integer("must be an integer"),
        v.minValue(0, "must not be negative"),
        v.maxValue(999, "must be at most 999"),
      ),
    ),
    retry: v.optional(plainObject(RetrySchema)),
    timeoutSeconds: v.optional(Seconds("timeoutSeconds", 0, true)),
    dependsOn: v.optional(v.array(v.string("must be a task id"), "must be an array of task ids")),
    continueOnFailure: v.optional(v.boolean("must be true or false")),
    remote: v.optional(v.boolean("must be true or false")),
  },
  objectMessage("task"),
);

const HandlerSchema = v.strictObject(
  {
    functionName: FunctionName,
    params: v.optional(plainObject(v.record(v.string(), v.unknown(), "must be an object"))),
    timeoutSeconds: v.optional(Seconds("timeoutSeconds", 0, true)),
  },
  objectMessage("handler"),
);

const HandlersSchema = v.strictObject(
  {
    onSuccess: v.optional(plainObject(HandlerSchema)),
    onFailure: v.optional(plainObject(HandlerSchema)),
    onExit: v.optional(plainObject(HandlerSchema)),
  },
  objectMessage("handlers"),
);

/** `{"key": "{{input.customer}}", "limit": 1}`: at most `limit` RUNNING executions per key value. */
const ConcurrencySchema = v.strictObject(
  {
    key: v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"), v.maxLength(1024, "must be at most 1024 characters")),
    limit: Count(100_000),
  },
  objectMessage("concurrency"),
);

/** `{"count": 10, "perSeconds": 60}`: at most `count` starts in any window of `perSeconds`. */
const RateLimitSchema = v.strictObject(
  {
    count: Count(100_000),
    perSeconds: Seconds("perSeconds", 0, true),
  },
  objectMessage("rateLimit"),
);

const ScheduleSchema = v.strictObject(
  {
    id: Id,
    cron: v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"), v.maxLength(256, "must be at most 256 characters")),
    timezone: v.optional(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"))),
    input: v.optional(plainObject(v.record(v.string(), v.unknown(), "must be an object"))),
    overlap: v.optional(v.picklist(["skip", "bufferOne", "allow"], 'must be "skip", "bufferOne" or "allow"')),
    catchupWindowSeconds: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.integer("must be an integer"),
        v.minValue(0, "must not be negative"),
        v.maxValue(MAX_SECONDS, `must be at most ${MAX_SECONDS} (30 days)`),
      ),
    ),
    paused: v.optional(v.boolean("must be true or false")),
  },
  objectMessage("schedule"),
);

export const DefinitionSchema = v.strictObject(
  {
    // Where an editor finds the JSON Schema of this format; Baton ignores it and does not store it.
    $schema: v.optional(v.string("must be a string: the address of the JSON Schema, for editors")),
    id: Id,
    name: v.optional(Name),
    description: v.optional(v.pipe(v.string("must be a string"), v.maxLength(4096, "must be at most 4096 characters"))),
    timeoutSeconds: v.optional(Seconds("timeoutSeconds", 0, true)),
    handlers: v.optional(plainObject(HandlersSchema)),
    maxConcurrent: v.optional(Count(100_000)),
    concurrency: v.optional(plainObject(ConcurrencySchema)),
    rateLimit: v.optional(plainObject(RateLimitSchema)),
    tasks: v.pipe(
      v.array(plainObject(TaskSchema), "must be an array of tasks"),
      v.minLength(1, "must hold at least one task"),
      v.maxLength(1000, "must hold at most 1000 tasks"),
    ),
    schedules: v.optional(
      v.pipe(v.array(plainObject(ScheduleSchema), "must be an array of schedules"), v.maxLength(100, "must hold at most 100 schedules")),
    ),
  },
  objectMessage("definition"),
);

/** A definition as submitted (JSON), after the schema accepted it. */
export type DefinitionInput = v.InferOutput<typeof DefinitionSchema>;
