/**
 * HTTP/1.1 over a bare socket, for requests `fetch` will not send as written: bytes that are not
 * UTF-8 in the path or query, non-ASCII header values, dot segments it would resolve itself.
 * One request per connection (`Connection: close`); only ever to 127.0.0.1.
 */

export interface RawAnswer {
  status: number;
  /** Header names lower-cased. */
  headers: Record<string, string>;
  body: Uint8Array;
}

/** Latin-1 strings and byte arrays, concatenated: `bytes("GET /jobs/", [0xff], " HTTP/1.1")`. */
export function bytes(...parts: (string | readonly number[] | Uint8Array)[]): Uint8Array {
  return Buffer.concat(parts.map((p) => (typeof p === "string" ? Buffer.from(p, "latin1") : Buffer.from(p as number[]))));
}

/**
 * Sends `target` (the request-target, exactly these bytes) with the given headers and body, and
 * reads the answer until the server closes. Rejects when the connection closes with no answer.
 */
export async function rawRequest(
  port: number,
  method: string,
  target: Uint8Array,
  headers: [string, Uint8Array | string][] = [],
  body?: Uint8Array,
  timeoutMs = 10_000,
): Promise<RawAnswer> {
  const head = bytes(
    `${method} `,
    target,
    " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n",
    ...headers.flatMap(([name, value]) => [`${name}: `, typeof value === "string" ? Buffer.from(value, "latin1") : value, "\r\n"]),
    body ? `Content-Length: ${body.byteLength}\r\n` : "",
    "\r\n",
  );
  const received: Uint8Array[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no end of answer within ${timeoutMs} ms`)), timeoutMs);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(socket) {
          socket.write(body ? bytes(head, body) : head);
        },
        data(_socket, chunk) {
          received.push(Buffer.from(chunk));
        },
        close: done,
        end: done,
        error(_socket, err) {
          clearTimeout(timer);
          reject(err);
        },
        connectError(_socket, err) {
          clearTimeout(timer);
          reject(err);
        },
      },
    }).catch(reject);
  });
  return parseAnswer(Buffer.concat(received));
}

function parseAnswer(all: Buffer): RawAnswer {
  if (all.byteLength === 0) throw new Error("the connection closed without an answer");
  const split = all.indexOf("\r\n\r\n");
  if (split < 0) throw new Error(`an answer without the end of its head: ${JSON.stringify(all.toString("latin1").slice(0, 200))}`);
  const [statusLine, ...lines] = all.subarray(0, split).toString("latin1").split("\r\n");
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "")?.[1]);
  if (!Number.isInteger(status)) throw new Error(`not an HTTP status line: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = all.subarray(split + 4);
  if (headers["transfer-encoding"]?.toLowerCase() === "chunked") body = dechunk(body);
  else if (headers["content-length"] !== undefined) body = body.subarray(0, Number(headers["content-length"]));
  return { status, headers, body };
}

function dechunk(data: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf("\r\n", at);
    if (eol < 0) throw new Error("a chunked answer cut short");
    const size = Number.parseInt(data.subarray(at, eol).toString("latin1"), 16);
    if (!Number.isFinite(size)) throw new Error("a chunked answer with a bad chunk size");
    if (size === 0) return Buffer.concat(out);
    out.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}
