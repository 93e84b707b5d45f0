/**
 * The request body check the reference and the framework ceiling share: what Baton's
 * `POST /jobs/:definitionId/execute` accepts (no body, or a JSON object), validated with
 * valibot; anything else is a 400 problem+json, as Baton answers it.
 */
import * as v from "valibot";

const Input = v.custom<Record<string, unknown>>(
  (x) => typeof x === "object" && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype,
  'must be a JSON object, e.g. {} or {"key": "value"}',
);

export type Parsed = { ok: true; input: Record<string, unknown> } | { ok: false; detail: string };

/** Parses and validates the raw body text. */
export function parseInput(text: string): Parsed {
  if (text === "") return { ok: true, input: {} };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, detail: "the request body is not valid JSON" };
  }
  const result = v.safeParse(Input, body);
  return result.success ? { ok: true, input: result.output } : { ok: false, detail: `body ${result.issues[0].message}` };
}

export const problem = (detail: string, status: number) =>
  Response.json(
    { type: "about:blank", title: status === 404 ? "Not Found" : "Bad Request", status, detail },
    {
      status,
      headers: { "content-type": "application/problem+json" },
    },
  );

/** Prints the URL the server listens on, the one line `start.ts` waits for. */
export const announce = (port: number) => process.stdout.write(`http://127.0.0.1:${port}\n`);
