/**
 * The JSON Schema of a job definition file, for editors (`"$schema"` in a definition) and for
 * `GET /schemas/job-definition.json` and `baton schema`. Its shape is converted from the
 * valibot schema registration uses (`domain/definition-schema.ts`); this file adds only the
 * titles and descriptions an editor shows, by field path. What only the server checks is said
 * in the schema's own description (and in docs/definitions.md).
 */
import { DefinitionSchema } from "../domain/definition-schema.ts";
import { bodySchema, type JsonSchema } from "./json-schema.ts";

export const DEFINITION_SCHEMA_ID = "urn:baton:schema:job-definition";

const SERVER_ONLY =
  "Only the server checks: that task ids are unique, that every functionName is a function it runs, that dependsOn names " +
  "tasks of this definition and makes no cycle, that maxRetry and retry.maxAttempts agree, that retry.intervalSeconds is not above maxDelaySeconds, that templates ({{…}}) in params " +
  "read only upstream tasks, each function's own params (e.g. shell's command), that schedule ids are unique and each cron " +
  "expression and timezone is valid, that a concurrency key can be computed from a schedule's input, and that ids are not " +
  '"." or "..". Run `baton validate FILE` for all of them.';

const SECONDS = "Seconds, at most 2592000 (30 days).";
const HANDLER = "A function run once after the execution settles; its outcome never changes the execution's.";

/** Descriptions by path: `a.b` for a property, `a[]` for an array's items, `*` for any handler kind. */
const DESCRIPTIONS: Record<string, string> = {
  $schema: "Where an editor finds this JSON Schema. Baton ignores it and does not store it.",
  id: "The definition's id, used in URLs (POST /jobs/{id}/execute): 1 to 128 characters of A-Z a-z 0-9 . _ -",
  name: "A name for people; defaults to the id.",
  description: "What the job does, for people (at most 4096 characters).",
  timeoutSeconds: `Bound of the whole execution from its first admission; none when absent. ${SECONDS}`,
  handlers: "Functions run once after the execution settles: onSuccess or onFailure, then onExit.",
  "handlers.*": HANDLER,
  "handlers.*.functionName": "The function to run: a built-in (noop, echo, sleep, fail, http, shell) or one loaded with --functions.",
  "handlers.*.params": "Parameters given to the function; templates such as {{execution.status}} are resolved.",
  "handlers.*.timeoutSeconds": `Bound of the handler's run. ${SECONDS}`,
  maxConcurrent: "At most this many RUNNING executions of this definition; the rest wait QUEUED.",
  concurrency: "At most `limit` RUNNING executions per value of `key`.",
  "concurrency.key": 'A template over the input naming the group, e.g. "{{input.customer}}".',
  "concurrency.limit": "At most this many RUNNING executions per key value.",
  rateLimit: "At most `count` starts in any window of `perSeconds`.",
  "rateLimit.count": "Starts allowed per window.",
  "rateLimit.perSeconds": `Length of the window. ${SECONDS}`,
  tasks: "The tasks, 1 to 1000. Without dependsOn a task runs after the one before it.",
  "tasks[]": "One task: a function call with its params, retries and timeout.",
  "tasks[].id": "Unique within the definition: 1 to 128 characters of A-Z a-z 0-9 . _ -",
  "tasks[].name": "A name for people; defaults to the id.",
  "tasks[].functionName": "The function to run: a built-in (noop, echo, sleep, fail, http, shell) or one loaded with --functions.",
  "tasks[].params": "Parameters given to the function; templates such as {{input.x}} or {{tasks.a.output}} are resolved.",
  "tasks[].maxRetry": "Retries after the first attempt (0 to 999), with the default backoff; or give retry, not both.",
  "tasks[].retry": "The retry policy: attempts, backoff and which errors are retried.",
  "tasks[].retry.maxAttempts": "Attempts in all, the first included (1 to 1000).",
  "tasks[].retry.intervalSeconds": `Delay before the first retry. ${SECONDS}`,
  "tasks[].retry.backoffRate": "Each delay is the previous one times this (1 to 100).",
  "tasks[].retry.maxDelaySeconds": `Cap of any delay. ${SECONDS}`,
  "tasks[].retry.jitterStrategy": "FULL picks each delay at random up to its value; NONE uses it as is.",
  "tasks[].retry.errorEquals": "Retry only errors with these names; every error when absent.",
  "tasks[].retry.errorEquals[]": "An error name, e.g. TimeoutError.",
  "tasks[].timeoutSeconds": `Bound of each attempt. ${SECONDS}`,
  "tasks[].dependsOn": "Ids of the tasks this one waits for; [] to start at once. Absent: the task before it.",
  "tasks[].dependsOn[]": "The id of a task of this definition.",
  "tasks[].continueOnFailure": "When it fails for good, its dependents still run and the execution may still complete.",
  "tasks[].remote": "Run by a worker polling POST /workers/poll for this functionName, not in the server.",
  schedules: "Cron schedules that start executions (at most 100).",
  "schedules[]": "One cron schedule.",
  "schedules[].id": "Unique within the definition: 1 to 128 characters of A-Z a-z 0-9 . _ -",
  "schedules[].cron": 'Five cron fields, or six with seconds first, e.g. "0 3 * * *"; nicknames such as @hourly work too.',
  "schedules[].timezone": 'An IANA timezone the cron expression reads in, e.g. "Europe/Paris"; UTC when absent.',
  "schedules[].input": "The input of the executions it starts.",
  "schedules[].overlap":
    "What a fire does while an earlier execution of this schedule is unfinished: skip it (default), buffer one, or allow it.",
  "schedules[].catchupWindowSeconds":
    "After downtime, fires at most this many seconds old are started; older ones are recorded as missed. Default 0.",
  "schedules[].paused": "Starts paused.",
};

/** Adds each field's description by its path, and returns the paths that have none (a test wants them empty). */
function describe(schema: JsonSchema, path: string, missing: string[]): void {
  const key = path.replace(/^handlers\.(onSuccess|onFailure|onExit)/, "handlers.*");
  if (path !== "") {
    const text = DESCRIPTIONS[key];
    if (text === undefined) missing.push(path);
    else schema.description = text;
  }
  const props = schema.properties as Record<string, JsonSchema> | undefined;
  for (const [name, sub] of Object.entries(props ?? {})) describe(sub, path === "" ? name : `${path}.${name}`, missing);
  const items = schema.items as JsonSchema | undefined;
  if (items && typeof items === "object" && (items.type === "object" || items.type === "string")) describe(items, `${path}[]`, missing);
}

/** The schema and the field paths left without a description. */
export function definitionJsonSchemaWithGaps(): { schema: JsonSchema; undescribed: string[] } {
  const body = bodySchema(DefinitionSchema);
  const undescribed: string[] = [];
  describe(body, "", undescribed);
  const schema: JsonSchema = {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: DEFINITION_SCHEMA_ID,
    title: "Baton job definition",
    description: `A job definition, as registered with POST /job-definitions or put in the jobs folder. ${SERVER_ONLY}`,
    ...body,
  };
  return { schema, undescribed };
}

/** The JSON Schema of a definition file. */
export const definitionJsonSchema = (): JsonSchema => definitionJsonSchemaWithGaps().schema;
