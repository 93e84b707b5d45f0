/**
 * Data-flow templates in task params: `{{input.a.b}}`, `{{tasks.ID.output.x}}`,
 * `{{execution.id}}`, `{{execution.scheduledFor}}` (the ISO nominal time of a scheduled execution, null
 * otherwise), `{{task.attempt}}` and `{{secrets.NAME}}`, found in string values at any depth (never in keys).
 * A string that is exactly one template takes the value's JSON type; templates inside a longer
 * string are stringified. Registration checks them (`checkTemplates`); the engine resolves them
 * before each attempt (`resolveParams`). Pure functions, no I/O.
 *
 * Paths are dot-separated keys; a numeric segment indexes an array. Task ids may hold dots, so
 * the rule is: a task id runs from `tasks.` up to the FIRST `.output` segment
 * (`tasks.fetch.v2.output.x` reads task `fetch.v2`, path `x`). A task whose id has `output` as a
 * later segment (`a.output`), or an empty segment (`a..b`), cannot be referenced; a template
 * that could also be read as naming such a task is rejected at registration as ambiguous.
 *
 * A secret resolves only here, when an attempt starts, from the scope's `SecretSource`; a name
 * with no value fails the attempt naming it (never an empty string). Registration checks only
 * the name's form: a secret may be configured after the definition is registered.
 */
import { ErrorNames, type FieldIssue } from "./errors.ts";
import { isPlainObject, jsonPath } from "./json.ts";
import { SECRET_NAME, type SecretSource } from "./secrets.ts";

/** What one template reads. */
export type TemplateRef =
  | { kind: "input"; path: string[] }
  | { kind: "task"; taskId: string; path: string[] }
  | { kind: "executionId" }
  | { kind: "scheduledFor" }
  | { kind: "attempt" }
  | { kind: "secret"; name: string };

/** A template found in params: where its string is, and what it reads or why it is malformed. */
export type FoundTemplate = { path: (string | number)[]; template: string } & ({ ref: TemplateRef } | { error: string });

/** What templates resolve against, for one attempt. */
export interface TemplateScope {
  input: unknown;
  /** Outputs of completed tasks by id (at least those upstream of the task). */
  outputs: Readonly<Record<string, unknown>>;
  executionId: string;
  /** The execution's nominal schedule time as ISO 8601, or null when no schedule started it. @default null */
  scheduledFor?: string | null;
  attempt: number;
  /** Where `{{secrets.NAME}}` resolves; absent, every secret template fails. */
  secrets?: SecretSource;
}

/**
 * A template that is malformed or resolves to nothing. Named `States.Runtime` (as Step Functions
 * names a path that cannot be applied): retrying cannot help, so the attempt fails for good.
 */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ErrorNames.Runtime;
  }
}

const OPEN = "{{";
const CLOSE = "}}";
const SEGMENT = /^[^\s.{}]+$/;

/** One template of a string, or the literal text between templates. */
type Part = string | { template: string; ref: TemplateRef };

/** Parses the inside of `{{ … }}` (whitespace around it allowed) into a reference; throws `TemplateError`. */
export function parseTemplate(expr: string): TemplateRef {
  const text = expr.trim();
  const shown = `{{${expr}}}`;
  if (text === "") throw new TemplateError(`${shown}: empty template`);
  const segs = text.split(".");
  if (!segs.every((s) => SEGMENT.test(s)))
    throw new TemplateError(`${shown}: malformed path (dot-separated keys without spaces or braces)`);
  const [root, ...rest] = segs;
  if (root === "input") return { kind: "input", path: rest };
  if (root === "execution" && rest.length === 1 && rest[0] === "id") return { kind: "executionId" };
  if (root === "execution" && rest.length === 1 && rest[0] === "scheduledFor") return { kind: "scheduledFor" };
  if (root === "task" && rest.length === 1 && rest[0] === "attempt") return { kind: "attempt" };
  if (root === "secrets") {
    const name = rest.length === 1 ? rest[0]! : "";
    if (!SECRET_NAME.test(name)) throw new TemplateError(`${shown}: a secret is read as secrets.NAME (letters, digits and _)`);
    return { kind: "secret", name };
  }
  if (root === "tasks") {
    const end = rest.indexOf("output", 1);
    if (end < 0) throw new TemplateError(`${shown}: a task's output is read as tasks.<id>.output[.path]`);
    return { kind: "task", taskId: rest.slice(0, end).join("."), path: rest.slice(end + 1) };
  }
  throw new TemplateError(
    `${shown}: unknown reference (use input, tasks.<id>.output, execution.id, execution.scheduledFor, task.attempt or secrets.NAME)`,
  );
}

/** Splits a string into literal text and templates; throws `TemplateError` when one is malformed. */
function parseString(s: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (let open = s.indexOf(OPEN); open >= 0; open = s.indexOf(OPEN, at)) {
    const close = s.indexOf(CLOSE, open + OPEN.length);
    if (close < 0) throw new TemplateError(`"${s.slice(open, open + 40)}": "{{" without a closing "}}"`);
    if (open > at) parts.push(s.slice(at, open));
    parts.push({ template: s.slice(open, close + CLOSE.length), ref: parseTemplate(s.slice(open + OPEN.length, close)) });
    at = close + CLOSE.length;
  }
  if (at < s.length) parts.push(s.slice(at));
  return parts;
}

/** Does any string in `value` (at any depth) hold a template? Cheap: looks for `{{` only. */
export function hasTemplates(value: unknown): boolean {
  if (typeof value === "string") return value.includes(OPEN);
  if (Array.isArray(value)) return value.some(hasTemplates);
  if (isPlainObject(value)) return Object.values(value).some(hasTemplates);
  return false;
}

/** Every template in `params`, in document order; a malformed string gives one entry with an `error`. */
export function findTemplates(params: unknown): FoundTemplate[] {
  const out: FoundTemplate[] = [];
  const walk = (value: unknown, path: (string | number)[]): void => {
    if (typeof value === "string") {
      if (!value.includes(OPEN)) return;
      try {
        for (const p of parseString(value)) if (typeof p !== "string") out.push({ path, ...p });
      } catch (err) {
        out.push({ path, template: value, error: (err as Error).message });
      }
    } else if (Array.isArray(value)) {
      for (const [i, v] of value.entries()) walk(v, [...path, i]);
    } else if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(params, []);
  return out;
}

/**
 * Registration check of one task's params: malformed templates, unknown references, and task
 * outputs the task cannot see (only tasks in `upstream`, its transitive dependencies). Issue
 * paths are relative to the params (`.url`, `.items[0]`): the caller prefixes `$.tasks[i].params`.
 */
export function checkTemplates(
  params: unknown,
  taskId: string,
  upstream: ReadonlySet<string>,
  allTaskIds: ReadonlySet<string>,
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const found of findTemplates(params)) {
    const message = "error" in found ? found.error : checkRef(found.template, found.ref, taskId, upstream, allTaskIds);
    if (message) issues.push({ path: jsonPath(found.path).slice(1), message });
  }
  return issues;
}

function checkRef(
  template: string,
  ref: TemplateRef,
  taskId: string,
  upstream: ReadonlySet<string>,
  allTaskIds: ReadonlySet<string>,
): string | null {
  if (ref.kind !== "task") return null;
  // Another known id ending at a later `.output` segment: the reader may have meant that one.
  const segs = [ref.taskId, "output", ...ref.path];
  for (let i = 1; i < segs.length; i++) {
    const longer = segs.slice(0, i).join(".");
    if (segs[i] === "output" && longer !== ref.taskId && allTaskIds.has(longer)) {
      return `${template}: ambiguous: a task id ends at the first ".output", so this names "${ref.taskId}", never "${longer}"`;
    }
  }
  if (!allTaskIds.has(ref.taskId)) return `${template}: names no task of this definition: "${ref.taskId}"`;
  if (ref.taskId === taskId) return `${template}: a task cannot read its own output`;
  if (!upstream.has(ref.taskId))
    return `${template}: "${ref.taskId}" is not upstream of "${taskId}" (only tasks it depends on, directly or transitively, can be read)`;
  return null;
}

/**
 * A new params object with every template replaced (the definition's params are never touched).
 * Throws a `TemplateError` naming the template and the missing path when one resolves to nothing.
 */
export function resolveParams(params: Readonly<Record<string, unknown>>, scope: TemplateScope): Record<string, unknown> {
  return resolveValue(params, scope) as Record<string, unknown>;
}

function resolveValue(value: unknown, scope: TemplateScope): unknown {
  if (typeof value === "string") {
    if (!value.includes(OPEN)) return value;
    const parts = parseString(value);
    const only = parts[0];
    if (parts.length === 1 && only !== undefined && typeof only !== "string") return lookup(only.template, only.ref, scope);
    return parts.map((p) => (typeof p === "string" ? p : stringify(lookup(p.template, p.ref, scope)))).join("");
  }
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, scope));
  if (isPlainObject(value)) {
    // fromEntries defines own keys, so a "__proto__" key stays a plain key.
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, scope)]));
  }
  return value;
}

const stringify = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

function lookup(template: string, ref: TemplateRef, scope: TemplateScope): unknown {
  switch (ref.kind) {
    case "executionId":
      return scope.executionId;
    case "scheduledFor":
      return scope.scheduledFor ?? null;
    case "attempt":
      return scope.attempt;
    case "secret": {
      const value = scope.secrets?.get(ref.name);
      if (value === undefined)
        throw new TemplateError(
          `${template}: no secret named ${ref.name} is configured in this Baton (set BATON_SECRET_${ref.name}, or add a line ${ref.name}=… to the --secrets-file)`,
        );
      return value;
    }
    case "input":
      return walkPath(template, "input", scope.input, ref.path);
    case "task": {
      const name = `tasks.${ref.taskId}`;
      const output = Object.hasOwn(scope.outputs, ref.taskId) ? scope.outputs[ref.taskId] : undefined;
      if (output === undefined) throw new TemplateError(`${template}: ${name} has no output`);
      return walkPath(template, `${name}.output`, output, ref.path);
    }
  }
}

/** Follows `path` from `root` (named `name`); a missing key, index or undefined value throws. */
function walkPath(template: string, name: string, root: unknown, path: readonly string[]): unknown {
  let current = root;
  let at = name;
  if (current === undefined) throw new TemplateError(`${template}: ${at} is undefined`);
  for (const key of path) {
    let next: unknown;
    if (Array.isArray(current)) next = /^(0|[1-9]\d*)$/.test(key) ? current[Number(key)] : undefined;
    else if (isPlainObject(current) && Object.hasOwn(current, key)) next = current[key];
    if (next === undefined) throw new TemplateError(`${template}: ${at} has no "${key}"${describe(current)}`);
    current = next;
    at += `.${key}`;
  }
  return current;
}

/** Why a value has no key, when it is not an object: ` (it is null)`, ` (it is an array of 2)`. */
function describe(v: unknown): string {
  if (Array.isArray(v)) return ` (it is an array of ${v.length})`;
  if (isPlainObject(v)) return "";
  return v === null ? " (it is null)" : ` (it is a ${typeof v})`;
}
