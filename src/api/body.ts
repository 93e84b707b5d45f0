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
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { PayloadTooLargeError, ValidationError } from "../domain/errors.ts";

/** Largest request body accepted: 1 MiB. */
export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () =>
  new PayloadTooLargeError(
    `the request body is larger than ${MAX_BODY_BYTES} bytes (1 MiB); send a smaller body — keep large data elsewhere and pass a reference to it`,
  );

/**
 * Rejects bodies over the limit: by Content-Length when given, by counting the bytes of a
 * chunked body as they arrive otherwise.
 */
export const limitBody = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: () => {
    throw tooLarge();
  },
});

/**
 * Deepest nesting of objects and arrays accepted. Far deeper bodies parse, but storing them
 * overflows the stack of `JSON.stringify`, which would answer 500 to a client error.
 */
export const MAX_BODY_DEPTH = 100;

/** The empty body (no bytes, or only whitespace) reads as `undefined`. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const bytes = await c.req.arrayBuffer();
  // A Content-Length smaller than the body got past `limitBody`; the bytes read are what count.
  if (bytes.byteLength > MAX_BODY_BYTES) throw tooLarge();
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError("the request body is not UTF-8 text; send JSON encoded as UTF-8", [{ path: "$", message: "is not UTF-8 text" }]);
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
