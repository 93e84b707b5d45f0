/**
 * Job definitions: the checks the schema (`definition-schema.ts`) cannot
 * express (unique ids, known functions, known dependencies, no cycles, no conflicting retry
 * settings, templates in params reading only upstream tasks, and params as the function they name
 * checks them; schedules with unique ids, a valid cron expression and a known timezone). `parseDefinition` turns accepted input into a `JobDefinition` with every default
 * resolved, so the engine never re-interprets raw JSON.
 */
import * as v from "valibot";
import { type DefinitionInput, DefinitionSchema, plainObject } from "./definition-schema.ts";
import { type FieldIssue, ValidationError } from "./errors.ts";
import { concurrencyKeyOf, type FlowLimits, normalizeFlow } from "./flow.ts";
import { jsonPath } from "./json.ts";
import { DEFAULT_RETRY, NO_RETRY, type RetryPolicy } from "./retry.ts";
import { checkSchedule, SCHEDULE_DEFAULTS, type ScheduleSpec } from "./schedule.ts";
import { checkTemplates, hasTemplates } from "./template.ts";

export { MAX_SECONDS } from "./definition-schema.ts";

/** One task with every default resolved. */
export interface TaskSpec {
  id: string;
  name: string;
  functionName: string;
  params: Record<string, unknown>;
  /** Whether `params` hold templates (`{{…}}`, see template.ts): if not, they pass to the function as they are. */
  templated: boolean;
  retry: RetryPolicy;
  /** Bound of each attempt, or null for none. */
  timeoutSeconds: number | null;
  /** Resolved dependencies: `dependsOn` absent means "the previous task". */
  dependsOn: string[];
  /** When it fails for good, its dependents still run (and see its error), and the execution may still complete. */
  continueOnFailure: boolean;
  /** Run by a worker that polls for `functionName` over HTTP, not in this process. */
  remote: boolean;
}

/** Which settled executions a handler runs for. */
export type HandlerKind = "onSuccess" | "onFailure" | "onExit";
export const HANDLER_KINDS: readonly HandlerKind[] = ["onSuccess", "onFailure", "onExit"];

/** A function run once after the execution settles; its outcome never changes the execution's. */
export interface HandlerSpec {
  kind: HandlerKind;
  functionName: string;
  params: Record<string, unknown>;
  timeoutSeconds: number | null;
}

/** A validated definition, every default resolved. */
export interface JobDefinition {
  id: string;
  name: string;
  description: string | null;
  /** Bound of the whole execution from its first admission, or null for none. */
  timeoutSeconds: number | null;
  tasks: TaskSpec[];
  /** In the order they run: onSuccess or onFailure first, then onExit. */
  handlers: HandlerSpec[];
  /** `maxConcurrent`, `concurrency` and `rateLimit` (see flow.ts). */
  flow: FlowLimits;
  /** Cron schedules, in definition order (see `schedule.ts`). */
  schedules: ScheduleSpec[];
}

/** Is `name` a function the engine can run? */
export type FunctionCheck = (functionName: string) => boolean;

/** The function's own check of the params given to it (`TaskFunction.checkParams`); paths relative to the params. */
export type ParamsCheck = (functionName: string, params: Record<string, unknown>) => FieldIssue[];

/**
 * Validates raw JSON as a definition. Throws a `ValidationError` listing every offending
 * field by JSON path; returns the normalized definition otherwise.
 */
export function parseDefinition(raw: unknown, hasFunction: FunctionCheck, checkParams: ParamsCheck = () => []): JobDefinition {
  const parsed = v.safeParse(plainObject(DefinitionSchema), raw, { abortEarly: false });
  if (!parsed.success) {
    const issues = parsed.issues.map((i) => ({
      path: jsonPath((i.path ?? []).map((p) => p.key as string | number)),
      message: i.message,
    }));
    throw new ValidationError(describe(issues), issues);
  }
  const input = parsed.output;
  const issues: FieldIssue[] = [];
  const tasks = input.tasks.map((t, i) => normalizeTask(t, i, input.tasks, hasFunction, issues));
  tasks.forEach((t, i) => {
    for (const issue of checkParams(t.functionName, t.params))
      issues.push({ path: `$.tasks[${i}].params${issue.path}`, message: issue.message });
  });
  // Cycles are looked for even when other fields are wrong, so one answer lists every problem
  // (but not among duplicate ids, where "the task b" is ambiguous).
  // Templates are checked against the graph only once it is sound (unique ids, no cycle).
  if (new Set(tasks.map((t) => t.id)).size === tasks.length && !findCycle(tasks, issues)) checkTaskTemplates(tasks, issues);
  const handlers = normalizeHandlers(input, hasFunction, issues);
  for (const h of handlers) {
    for (const issue of checkParams(h.functionName, h.params))
      issues.push({ path: `$.handlers.${h.kind}.params${issue.path}`, message: issue.message });
  }
  const flow = normalizeFlow(input, issues);
  const schedules = normalizeSchedules(input, issues);
  // A schedule's executions need their concurrency key too: its input must give one.
  if (issues.length === 0) for (const [i, sched] of schedules.entries()) checkScheduleKey(flow, sched, i, issues);
  if (issues.length > 0) throw new ValidationError(describe(issues), issues);
  return {
    id: input.id,
    name: input.name ?? input.id,
    description: input.description ?? null,
    timeoutSeconds: input.timeoutSeconds ?? null,
    tasks,
    handlers,
    flow,
    schedules,
  };
}

function checkScheduleKey(flow: FlowLimits, schedule: ScheduleSpec, index: number, issues: FieldIssue[]): void {
  try {
    concurrencyKeyOf(flow, schedule.input, "schedule");
  } catch (err) {
    if (!(err instanceof ValidationError)) throw err;
    issues.push({ path: `$.schedules[${index}].input`, message: err.message });
  }
}

function normalizeSchedules(input: DefinitionInput, issues: FieldIssue[]): ScheduleSpec[] {
  const all = input.schedules ?? [];
  return all.map((s, i) => {
    if (all.findIndex((o) => o.id === s.id) !== i)
      issues.push({ path: `$.schedules[${i}].id`, message: `duplicates the id "${s.id}" of an earlier schedule` });
    const timezone = s.timezone ?? SCHEDULE_DEFAULTS.timezone;
    for (const issue of checkSchedule(s.cron, timezone)) issues.push({ path: `$.schedules[${i}]${issue.path}`, message: issue.message });
    return {
      id: s.id,
      cron: s.cron,
      timezone,
      input: s.input ?? {},
      overlap: s.overlap ?? SCHEDULE_DEFAULTS.overlap,
      catchupWindowSeconds: s.catchupWindowSeconds ?? SCHEDULE_DEFAULTS.catchupWindowSeconds,
      paused: s.paused ?? SCHEDULE_DEFAULTS.paused,
    };
  });
}

function normalizeHandlers(input: DefinitionInput, hasFunction: FunctionCheck, issues: FieldIssue[]): HandlerSpec[] {
  const out: HandlerSpec[] = [];
  for (const kind of HANDLER_KINDS) {
    const h = input.handlers?.[kind];
    if (!h) continue;
    if (!hasFunction(h.functionName))
      issues.push({ path: `$.handlers.${kind}.functionName`, message: `names no registered function: "${h.functionName}"` });
    out.push({ kind, functionName: h.functionName, params: h.params ?? {}, timeoutSeconds: h.timeoutSeconds ?? null });
  }
  return out;
}

function describe(issues: FieldIssue[]): string {
  const first = issues[0];
  const head = first ? `${first.path} ${first.message}` : "invalid definition";
  return issues.length > 1 ? `invalid definition: ${head} (and ${issues.length - 1} more)` : `invalid definition: ${head}`;
}

function normalizeTask(
  t: DefinitionInput["tasks"][number],
  index: number,
  all: DefinitionInput["tasks"],
  hasFunction: FunctionCheck,
  issues: FieldIssue[],
): TaskSpec {
  const at = (field: string) => `$.tasks[${index}]${field}`;
  if (all.findIndex((o) => o.id === t.id) !== index) {
    issues.push({ path: at(".id"), message: `duplicates the id "${t.id}" of an earlier task` });
  }
  if (!t.remote && !hasFunction(t.functionName)) {
    issues.push({ path: at(".functionName"), message: `names no registered function: "${t.functionName}"` });
  }
  const ids = new Set(all.map((o) => o.id));
  const dependsOn = t.dependsOn ?? (index === 0 ? [] : [all[index - 1]!.id]);
  t.dependsOn?.forEach((dep, j) => {
    if (dep === t.id) issues.push({ path: at(`.dependsOn[${j}]`), message: "a task cannot depend on itself" });
    else if (!ids.has(dep)) issues.push({ path: at(`.dependsOn[${j}]`), message: `names no task of this definition: "${dep}"` });
    else if (t.dependsOn!.indexOf(dep) !== j) issues.push({ path: at(`.dependsOn[${j}]`), message: `repeats "${dep}"` });
  });
  return {
    id: t.id,
    name: t.name ?? t.id,
    functionName: t.functionName,
    params: t.params ?? {},
    templated: t.params !== undefined && hasTemplates(t.params),
    retry: resolveRetry(t, at, issues),
    timeoutSeconds: t.timeoutSeconds ?? null,
    dependsOn,
    continueOnFailure: t.continueOnFailure ?? false,
    remote: t.remote ?? false,
  };
}

/** `maxRetry: n` means n retries after the first attempt; `retry` without `maxAttempts` means 3 attempts. */
function resolveRetry(t: DefinitionInput["tasks"][number], at: (f: string) => string, issues: FieldIssue[]): RetryPolicy {
  const fromMaxRetry = t.maxRetry === undefined ? undefined : t.maxRetry + 1;
  const fromRetry = t.retry?.maxAttempts;
  if (fromMaxRetry !== undefined && fromRetry !== undefined && fromMaxRetry !== fromRetry) {
    issues.push({
      path: at(".retry.maxAttempts"),
      message: `conflicts with maxRetry=${t.maxRetry} (which means ${fromMaxRetry} attempts); give one of them, or make them agree`,
    });
  }
  if (t.retry === undefined && fromMaxRetry === undefined) return NO_RETRY;
  const policy: RetryPolicy = {
    maxAttempts: fromRetry ?? fromMaxRetry ?? 3,
    intervalSeconds: t.retry?.intervalSeconds ?? DEFAULT_RETRY.intervalSeconds,
    backoffRate: t.retry?.backoffRate ?? DEFAULT_RETRY.backoffRate,
    maxDelaySeconds: t.retry?.maxDelaySeconds ?? DEFAULT_RETRY.maxDelaySeconds,
    jitterStrategy: t.retry?.jitterStrategy ?? DEFAULT_RETRY.jitterStrategy,
    errorEquals: t.retry?.errorEquals ?? [...DEFAULT_RETRY.errorEquals],
  };
  if (policy.intervalSeconds > policy.maxDelaySeconds) {
    issues.push({
      path: at(".retry.intervalSeconds"),
      message: `is ${policy.intervalSeconds}, above maxDelaySeconds=${policy.maxDelaySeconds}`,
    });
  }
  return policy;
}

/** Reports one cycle, if any, at the `dependsOn` of a task on it; true when it found one. */
function findCycle(tasks: TaskSpec[], issues: FieldIssue[]): boolean {
  const index = new Map(tasks.map((t, i) => [t.id, i]));
  const state = new Map<string, 1 | 2>(); // 1 = on the stack, 2 = done
  const stack: string[] = [];
  const visit = (id: string): boolean => {
    state.set(id, 1);
    stack.push(id);
    for (const dep of tasks[index.get(id)!]!.dependsOn) {
      if (!index.has(dep) || dep === id) continue; // an unknown id or itself: reported on their own
      const s = state.get(dep);
      if (s === 1) {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        issues.push({
          path: `$.tasks[${index.get(id)}].dependsOn`,
          message: `forms a dependency cycle: ${cycle.join(" → ")} (each task depends on the next)`,
        });
        return true;
      }
      if (s === undefined && visit(dep)) return true;
    }
    stack.pop();
    state.set(id, 2);
    return false;
  };
  for (const t of tasks) if (!state.has(t.id) && visit(t.id)) return true;
  return false;
}

/** Templates in task params may read only the outputs of tasks upstream (transitively) of their own. */
function checkTaskTemplates(tasks: TaskSpec[], issues: FieldIssue[]): void {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const ids: ReadonlySet<string> = new Set(byId.keys());
  tasks.forEach((t, i) => {
    if (!t.templated) return;
    const upstream = new Set<string>();
    const frontier = [...t.dependsOn];
    while (frontier.length > 0) {
      const id = frontier.pop()!;
      const dep = byId.get(id);
      if (!dep || upstream.has(id)) continue;
      upstream.add(id);
      frontier.push(...dep.dependsOn);
    }
    for (const issue of checkTemplates(t.params, t.id, upstream, ids))
      issues.push({ path: `$.tasks[${i}].params${issue.path}`, message: issue.message });
  });
}
