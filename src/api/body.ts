/**
 * Request bodies: the 1 MiB limit and reading JSON. Bodies are parsed as JSON whatever their
 * Content-Type says, because scripts written for the original project post with `curl -d`.
 *
 * The limit is enforced here and only here: the HTTP server (platform/http.ts) accepts any
 * size, so that every body too large gets the same 413 problem+json. Nothing over the limit
 * is ever held in memory: a declared Content-Length is refused before a byte is read, and a
 * chunked body is counted as it arrives and refused at the first byte over. What the client
 * still sends after the answer is discarded by the server as it arrives.
 */
import type { Context, MiddlewareHandler } from "hono";
import { ClientClosedError, PayloadTooLargeError, ValidationError } from "../domain/errors.ts";

/** Largest request body accepted: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () =>
  new PayloadTooLargeError(
    `the request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB); send a smaller body — keep large data elsewhere and pass a reference to it`,
  );

/** Chunked bodies already read (and counted) by `limitBody`, for `readJsonBody`. */
const countedBodies = new WeakMap<Request, Uint8Array>();

/**
 * Rejects bodies over the limit: by Content-Length when given, reading nothing; by counting
 * the bytes of a chunked body as they arrive otherwise, reading nothing past the limit.
 */
export const limitBody: MiddlewareHandler = async (c, next) => {
  const req = c.req.raw;
  // Headers first: reading `req.body` makes the runtime build a stream, which a body with a
  // Content-Length never needs (measured: about 1% of a no-op execution over REST).
  if (req.method === "GET" || req.method === "HEAD") return next();
  const declared = req.headers.get("content-length");
  if (declared !== null && !req.headers.has("transfer-encoding")) {
    if (Number(declared) > MAX_BODY_BYTES) throw tooLarge();
    return next();
  }
  if (req.body === null) return next();
  countedBodies.set(req, await readCounted(req, req.body));
  return next();
};

async function readCounted(req: Request, body: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = body.getReader();
  let bytes = new Uint8Array(0);
  let size = 0;
  for (;;) {
    let step: Awaited<ReturnType<typeof reader.read>>;
    try {
      step = await reader.read();
    } catch (err) {
      throw clientClosedOr(err, req, `after ${size} bytes of a chunked request body, before its end`);
    }
    if (step.done) break;
    const offset = size;
    size += step.value.byteLength;
    if (size > MAX_BODY_BYTES) {
      // Tells the server to stop handing us the rest; it discards it as it arrives.
      reader.cancel().catch(() => {});
      throw tooLarge();
    }
    // One buffer, grown by doubling as chunks arrive, never past the limit.
    if (size > bytes.byteLength) {
      const grown = new Uint8Array(Math.min(MAX_BODY_BYTES, Math.max(size, bytes.byteLength * 2)));
      grown.set(bytes.subarray(0, offset));
      bytes = grown;
    }
    bytes.set(step.value, offset);
  }
  return bytes.subarray(0, size);
}

/**
 * A body read that failed because the client went away becomes a `ClientClosedError`; any
 * other failure is passed on unchanged. The client went away when the request's signal has
 * fired (the Fetch standard's way to say so) or the read failed with an `AbortError`, which
 * is what Bun throws: `DOMException` "AbortError" (code 20), message "The connection was
 * closed.", with an empty stack.
 */
function clientClosedOr(err: unknown, req: Request, where: string): unknown {
  const aborted = req.signal.aborted || (err instanceof DOMException && err.name === "AbortError");
  if (!aborted) return err;
  return new ClientClosedError(`the client closed the connection ${where}; nothing was done with the request`);
}

async function bodyBytes(req: Request): Promise<Uint8Array> {
  const counted = countedBodies.get(req);
  if (counted) return counted;
  let bytes: ArrayBuffer;
  try {
    bytes = await req.arrayBuffer();
  } catch (err) {
    const declared = req.headers.get("content-length");
    throw clientClosedOr(
      err,
      req,
      declared === null
        ? "before the end of the request body"
        : `before all ${declared} bytes of the request body (its Content-Length) had arrived`,
    );
  }
  // A Content-Length smaller than the body got past `limitBody`; the bytes read are what count.
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
  return new Uint8Array(bytes);
}

/**
 * Deepest nesting of objects and arrays accepted. Far deeper bodies parse, but storing them
 * overflows the stack of `JSON.stringify`, which would answer 500 to a client error.
 */
export const MAX_BODY_DEPTH = 100;

/** The empty body (no bytes, or only whitespace) reads as `undefined`. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const bytes = await bodyBytes(c.req.raw);
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError("the request body is not UTF-8 text; send JSON encoded as UTF-8", [
      { path: "$", message: "is not UTF-8 text" },
    ]);
  }
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new ValidationError(`the request body is not valid JSON (${reason}); check the quoting of the document you sent`, [
      { path: "$", message: "is not valid JSON" },
    ]);
  }
  if (nestedDeeperThan(value, MAX_BODY_DEPTH)) {
    throw new ValidationError(`the request body nests objects and arrays more than ${MAX_BODY_DEPTH} levels deep; flatten it`, [
      { path: "$", message: `nests more than ${MAX_BODY_DEPTH} levels deep` },
    ]);
  }
  return value;
}

/**
 * An HTML form's fields (`application/x-www-form-urlencoded`, what the dashboard's forms send),
 * read from the same counted bytes as JSON; a field given twice keeps its last value.
 */
export async function readFormBody(c: Context): Promise<Record<string, string>> {
  const text = new TextDecoder().decode(await bodyBytes(c.req.raw));
  return Object.fromEntries(new URLSearchParams(text));
}

/** Iterative, so that the check itself cannot overflow the stack. */
function nestedDeeperThan(root: unknown, max: number): boolean {
  const isNode = (v: unknown): v is object => typeof v === "object" && v !== null;
  if (!isNode(root)) return false;
  const stack: [object, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (depth > max) return true;
    for (const child of Object.values(node)) if (isNode(child)) stack.push([child, depth + 1]);
  }
  return false;
}
