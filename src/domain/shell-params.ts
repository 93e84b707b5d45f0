/**
 * The params of the `shell` task kind: their schema, the check at registration (before
 * templates resolve, so a field that is one whole template is checked only at run time), and
 * the parse before each attempt, which turns them into what a process runner needs.
 */
import * as v from "valibot";
import { type FieldIssue, NonRetryableError } from "./errors.ts";
import { isPlainObject, jsonPath } from "./json.ts";

/** Default of `killGraceSeconds`: how long a group has between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_SECONDS = 5;

/** Params after parsing: the program and its arguments, everything a runner needs. */
export interface ShellParams {
  /** `["/bin/sh", "-c", command]` with `shell: true`, otherwise the `command` array. */
  argv: string[];
  /** The `env` param only; the task adds the base environment and the `BATON_*` variables. */
  env: Record<string, string>;
  cwd?: string;
  /** `stdin` as text: a string as it is, any other JSON serialized. */
  stdin?: string;
  /** The task's own cap of each stream, when it sets one. */
  maxOutputBytes?: number;
  killGraceSeconds: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Strings as they are; numbers and booleans (what a whole template such as `{{input.n}}` may give) as text. */
const Text = (what: string) =>
  v.pipe(
    v.union([v.string(), v.pipe(v.number(), v.finite()), v.boolean()], `must be ${what}`),
    v.transform((x) => String(x)),
  );

const Argv = v.pipe(
  v.array(Text("a string (a number or true/false is turned into one)"), "must be an array of strings"),
  v.minLength(1, "must name at least the program"),
  v.check((argv) => argv[0] !== "", "must start with the program, not an empty string"),
);

const Command = v.union(
  [v.pipe(v.string(), v.minLength(1, "must not be empty")), Argv],
  'must be an array like ["prog", "arg"], or a string with "shell": true',
);

const fields = {
  command: Command,
  shell: v.optional(v.boolean("must be true or false")),
  env: v.optional(
    v.pipe(
      v.custom<Record<string, unknown>>(isPlainObject, "must be an object of variable names to strings"),
      v.record(
        v.pipe(v.string(), v.regex(ENV_NAME, "is not a variable name (letters, digits and _, not starting with a digit)")),
        Text("a string"),
      ),
    ),
  ),
  cwd: v.optional(v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"))),
  stdin: v.optional(v.unknown()),
  maxOutputBytes: v.optional(
    v.pipe(v.number("must be a number"), v.integer("must be a whole number of bytes"), v.minValue(2, "must be at least 2")),
  ),
  killGraceSeconds: v.optional(
    v.pipe(v.number("must be a number"), v.minValue(0, "must not be negative"), v.maxValue(3600, "must be at most 3600")),
  ),
};

const message = (issue: v.BaseIssue<unknown>) =>
  issue.expected === "never"
    ? "is not a shell param (command, shell, env, cwd, stdin, maxOutputBytes, killGraceSeconds)"
    : issue.received === "undefined" && issue.path?.length
      ? "is required"
      : "must be an object";
const Full = v.strictObject(fields, message);
/** At registration, when `command` is one whole template: its type is known only at run time. */
const CommandLater = v.strictObject({ ...fields, command: v.optional(Command) }, message);

type Parsed = v.InferOutput<typeof Full>;

/** `"{{…}}"` and nothing else: resolves to a value of any JSON type. */
const isWholeTemplate = (x: unknown) => typeof x === "string" && /^\{\{[^{}]*\}\}$/.test(x.trim());

const issuesOf = (issues: v.BaseIssue<unknown>[]): FieldIssue[] =>
  issues.map((i) => ({ path: jsonPath((i.path ?? []).map((p) => p.key as string | number)).slice(1), message: i.message }));

/** A string command runs only through the shell, and the shell runs only a string. */
function pairing(command: unknown, shell: unknown): FieldIssue | null {
  if (typeof command === "string" && shell !== true)
    return { path: ".command", message: 'is a string, which runs only with "shell": true; or give an array like ["prog", "arg"]' };
  if (Array.isArray(command) && shell === true)
    return { path: ".command", message: 'must be one string with "shell": true (it runs as /bin/sh -c "…")' };
  return null;
}

/**
 * Registration check. Issue paths are relative to the params (`.command`); a field that is one
 * whole template is left to the check before each attempt.
 */
export function checkShellParams(params: Record<string, unknown>): FieldIssue[] {
  const known = Object.fromEntries(Object.entries(params).filter(([, x]) => !isWholeTemplate(x)));
  const commandLater = isWholeTemplate(params.command);
  const result = v.safeParse(commandLater ? CommandLater : Full, known, { abortEarly: false });
  if (!result.success) return issuesOf(result.issues);
  if (commandLater || isWholeTemplate(params.shell)) return [];
  const issue = pairing(params.command, params.shell);
  return issue ? [issue] : [];
}

/** Parse before an attempt, templates resolved. Throws `NonRetryableError`: the same params would fail again. */
export function parseShellParams(params: Record<string, unknown>): ShellParams {
  const result = v.safeParse(Full, params, { abortEarly: false });
  const issue = result.success ? pairing(params.command, params.shell) : issuesOf(result.issues)[0]!;
  if (issue) throw new NonRetryableError(`params${issue.path} ${issue.message}`);
  const p = result.output as Parsed;
  return {
    argv: typeof p.command === "string" ? ["/bin/sh", "-c", p.command] : p.command,
    env: p.env ?? {},
    ...(p.cwd === undefined ? {} : { cwd: p.cwd }),
    ...(p.stdin === undefined ? {} : { stdin: typeof p.stdin === "string" ? p.stdin : JSON.stringify(p.stdin) }),
    ...(p.maxOutputBytes === undefined ? {} : { maxOutputBytes: p.maxOutputBytes }),
    killGraceSeconds: p.killGraceSeconds ?? DEFAULT_KILL_GRACE_SECONDS,
  };
}
