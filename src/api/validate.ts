/**
 * valibot for request parameters and bodies, with failures thrown as the domain's
 * `ValidationError`, so every 400 has the same shape whatever was wrong.
 */
import * as v from "valibot";
import { type FieldIssue, ValidationError } from "../domain/errors.ts";
import { isPlainObject, jsonPath } from "../domain/json.ts";
import { parseTimestamp, TIMESTAMP_EXAMPLE } from "../domain/timestamp.ts";

type Schema = v.GenericSchema<unknown, unknown>;

/** Validates query parameters; issues are named by parameter, and show the value received. */
export function parseQuery<S extends Schema>(schema: S, query: Record<string, string>): v.InferOutput<S> {
  const parsed = v.safeParse(schema, query, { abortEarly: false });
  if (parsed.success) return parsed.output;
  const issues: FieldIssue[] = parsed.issues.map((issue) => {
    const name = String(issue.path?.[0]?.key ?? "query");
    return { path: name, message: `${issue.message}, got ${JSON.stringify(query[name] ?? null)}` };
  });
  throw new ValidationError(summary("query parameter", issues), issues);
}

/** Validates a request body; issues are named by JSON path (`$` is the body itself). */
export function parseBody<S extends Schema>(schema: S, body: unknown): v.InferOutput<S> {
  const parsed = v.safeParse(schema, body, { abortEarly: false });
  if (parsed.success) return parsed.output;
  const issues: FieldIssue[] = parsed.issues.map((issue) => ({
    path: jsonPath((issue.path ?? []).map((p) => p.key as string | number)),
    message: issue.message,
  }));
  throw new ValidationError(summary("request body", issues), issues);
}

function summary(what: string, issues: FieldIssue[]): string {
  const first = issues[0]!;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more, listed in errors)` : "";
  return `invalid ${what}: ${first.path === "$" ? "the body" : `"${first.path}"`} ${first.message}${more}`;
}

/** A query parameter holding a whole number in [min, max]. */
export const integerParam = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^[0-9]{1,9}$/, `must be a whole number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `must be a whole number from ${min} to ${max}`),
    v.maxValue(max, `must be a whole number from ${min} to ${max}`),
  );

/**
 * A query parameter holding an RFC 3339 date-time with a time zone, checked for a real
 * calendar day (`parseTimestamp`); the output is epoch milliseconds.
 */
export const timestampParam = () =>
  v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => {
      const parsed = parseTimestamp(dataset.value);
      if (parsed.ok) return parsed.epochMs;
      // In a query string '+' means a space, so an unencoded "+01:00" arrives as " 01:00".
      const reason = / \d{2}:\d{2}$/.test(dataset.value)
        ? "has a space where the sign of its time zone offset belongs: in a URL a '+' reads as a space, so send it as %2B"
        : parsed.reason;
      addIssue({ message: `${reason}; it must be an ISO-8601 date-time with a time zone, e.g. ${TIMESTAMP_EXAMPLE}` });
      return NEVER;
    }),
  );

/**
 * A JSON object (not null, not an array). `custom`, not `record`: valibot's record accepts
 * arrays and drops keys such as "__proto__"; this passes the value through untouched.
 */
export const jsonObject = (message: string) => v.custom<Record<string, unknown>>(isPlainObject, message);
