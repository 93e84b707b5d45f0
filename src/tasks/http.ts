/**
 * `http`: calls a URL with the global `fetch` and the attempt's signal (a timeout, cancel or
 * shutdown aborts the request). The output is `{status, headers, body}`; the body is read as a
 * stream into a bounded head-and-tail capture, so a huge answer never exhausts memory, and is
 * parsed when the answer says it is JSON and was not truncated. An unexpected status fails the
 * attempt as `Http.Status.<code>`; no answer at all as `Http.Network`. Both are ordinary error
 * names, so the task's retry policy decides whether they are retried.
 *
 * Params are checked by hand when the attempt starts (after templates): `src/tasks` may use no
 * packages, so valibot is not available here. A bad param fails the attempt for good.
 */
import { DEFAULT_CAPTURE_BYTES, HeadTailCapture } from "../domain/capture.ts";
import { NonRetryableError } from "../domain/errors.ts";
import type { TaskContext, TaskFunction } from "../domain/function.ts";
import { isPlainObject } from "../domain/json.ts";

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const PARAMS = ["method", "url", "headers", "query", "body", "expectStatus", "followRedirects"];
/** How much of an unexpected answer's body its error message quotes. */
const QUOTED_BODY_CHARS = 300;

export interface HttpRequestSpec {
  method: (typeof METHODS)[number];
  url: URL;
  headers: Record<string, string>;
  /** undefined: no body. */
  body: string | undefined;
  /** null: any 2xx. */
  expectStatus: number[] | null;
  followRedirects: boolean;
}

export interface HttpOutput {
  status: number;
  headers: Record<string, string>;
  /** The parsed JSON when the answer is JSON and whole; otherwise the text (marked where truncated). */
  body: unknown;
}

/** A request that got no answer: refused, reset, unresolvable, or broken while the body was read. */
export class HttpNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Http.Network";
  }
}

/** An answer whose status is not one of `expectStatus` (any 2xx by default). */
export class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = `Http.Status.${status}`;
  }
}

const bad = (param: string, what: string, got: unknown) =>
  new NonRetryableError(`params.${param} ${what}, got ${JSON.stringify(got) ?? String(got)}`);

/** Checks and normalizes the (template-resolved) params; throws `NonRetryableError` naming the first bad one. */
export function httpRequestSpec(params: Record<string, unknown>): HttpRequestSpec {
  const unknown = Object.keys(params).find((k) => !PARAMS.includes(k));
  if (unknown !== undefined) throw new NonRetryableError(`params.${unknown} is not an http param (use ${PARAMS.join(", ")})`);
  const { method = "GET", url, headers = {}, query = {}, body, expectStatus, followRedirects = true } = params;

  if (typeof url !== "string") throw bad("url", "must be a string", url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad("url", "must be an absolute URL", url);
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw bad("url", "must be an http: or https: URL", url);

  const upper = typeof method === "string" ? method.toUpperCase() : method;
  if (!METHODS.includes(upper as HttpRequestSpec["method"])) throw bad("method", `must be one of ${METHODS.join(", ")}`, method);

  if (!isPlainObject(headers)) throw bad("headers", "must be an object of strings", headers);
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== "string") throw bad(`headers.${name}`, "must be a string", value);
  }
  const outHeaders = { ...(headers as Record<string, string>) };

  if (!isPlainObject(query)) throw bad("query", "must be an object of strings, numbers or booleans", query);
  for (const [name, value] of Object.entries(query)) {
    if (typeof value !== "string" && typeof value !== "number" && typeof value !== "boolean")
      throw bad(`query.${name}`, "must be a string, number or boolean", value);
    parsed.searchParams.append(name, String(value));
  }

  let text: string | undefined;
  if (body !== undefined) {
    if (upper === "GET" || upper === "HEAD")
      throw new NonRetryableError(`params.body cannot be sent with ${upper}; use POST, PUT or PATCH`);
    if (typeof body === "string") text = body;
    else {
      text = JSON.stringify(body);
      const named = Object.keys(outHeaders).some((h) => h.toLowerCase() === "content-type");
      if (!named) outHeaders["content-type"] = "application/json";
    }
  }

  let statuses: number[] | null = null;
  if (expectStatus !== undefined) {
    const ok =
      Array.isArray(expectStatus) &&
      expectStatus.length > 0 &&
      expectStatus.every((s) => typeof s === "number" && Number.isInteger(s) && s >= 100 && s <= 599);
    if (!ok) throw bad("expectStatus", "must be a non-empty list of status codes (100 to 599)", expectStatus);
    statuses = expectStatus as number[];
  }
  if (typeof followRedirects !== "boolean") throw bad("followRedirects", "must be true or false", followRedirects);

  return {
    method: upper as HttpRequestSpec["method"],
    url: parsed,
    headers: outHeaders,
    body: text,
    expectStatus: statuses,
    followRedirects,
  };
}

/** The `http` function, keeping at most `maxOutputBytes` of each answer's body. */
export function httpFunction({ maxOutputBytes = DEFAULT_CAPTURE_BYTES }: { maxOutputBytes?: number } = {}): TaskFunction {
  return (ctx) => callHttp(ctx, maxOutputBytes);
}

async function callHttp(ctx: TaskContext, maxOutputBytes: number): Promise<HttpOutput> {
  const spec = httpRequestSpec(ctx.params);
  const target = `${spec.method} ${spec.url.href}`;
  let response: Response;
  try {
    response = await fetch(spec.url, {
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      redirect: spec.followRedirects ? "follow" : "manual",
      signal: ctx.signal,
    });
  } catch (err) {
    // A timeout, cancel or shutdown: the attempt's outcome is the signal's reason.
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw new HttpNetworkError(`${target}: no response: ${describe(err)}`);
  }
  const capture = new HeadTailCapture(maxOutputBytes);
  try {
    if (response.body) for await (const chunk of response.body) capture.push(chunk);
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    throw new HttpNetworkError(`${target}: answered ${response.status} but the connection broke while reading the body: ${describe(err)}`);
  }
  const text = capture.text();
  const expected = spec.expectStatus ? spec.expectStatus.includes(response.status) : response.status >= 200 && response.status < 300;
  if (!expected) {
    const wanted = spec.expectStatus ? spec.expectStatus.join(", ") : "any 2xx";
    const quoted = text.length > QUOTED_BODY_CHARS ? `${text.slice(0, QUOTED_BODY_CHARS)}…` : text;
    throw new HttpStatusError(
      response.status,
      `${target} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}, expected ${wanted}${quoted ? `; body: ${quoted.replace(/\s+/g, " ")}` : ""}`,
    );
  }
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: parseBody(text, response.headers.get("content-type"), capture.truncated),
  };
}

/** JSON when the answer says so (`application/json`, `…+json`) and came whole; the text otherwise. */
function parseBody(text: string, contentType: string | null, truncated: boolean): unknown {
  if (truncated || text === "" || !contentType || !/[/+]json\b/i.test(contentType)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}
