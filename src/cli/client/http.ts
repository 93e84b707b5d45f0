/**
 * The one place the client commands talk to the server: `fetch` with the base URL, the bearer
 * token and a timeout. An answer becomes its JSON body; anything else becomes a `ClientError`
 * whose one-line message says what went wrong and what to do (exit 4): the server could not be
 * reached, or it refused the request (the problem+json `detail`, with its status).
 */
import type { Connection } from "./args.ts";

/** The server could not be reached or refused the request; the message is one line for stderr. */
export class ClientError extends Error {
  override name = "ClientError";
  constructor(
    message: string,
    /** The HTTP status when the server answered, undefined when it could not be reached. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** A request answered with a 2xx: its status and JSON body. */
export interface Answer<T = unknown> {
  status: number;
  body: T;
}

/** How long one request may take before the command gives up. */
export const REQUEST_TIMEOUT_MS = 30_000;

export interface Client {
  get<T = unknown>(path: string): Promise<Answer<T>>;
  post<T = unknown>(path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer<T>>;
}

/** `fetcher` is the global fetch unless a test passes another. */
export function client(connection: Connection, fetcher: typeof fetch = fetch): Client {
  const send = async <T>(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Answer<T>> => {
    const headers: Record<string, string> = { accept: "application/json", ...extra };
    if (connection.token !== undefined) headers.authorization = `Bearer ${connection.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let res: Response;
    try {
      res = await fetcher(`${connection.url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      throw unreachable(connection.url, err);
    }
    const text = await res.text().catch(() => "");
    if (res.ok) {
      try {
        return { status: res.status, body: (text === "" ? null : JSON.parse(text)) as T };
      } catch {
        throw new ClientError(
          `${connection.url} answered ${method} ${path} with something that is not JSON; is --url pointing at Baton?`,
          res.status,
        );
      }
    }
    throw refused(res, text, connection);
  };
  return {
    get: <T>(path: string) => send<T>("GET", path),
    post: <T>(path: string, body?: unknown, headers?: Record<string, string>) => send<T>("POST", path, body, headers),
  };
}

/** One line for a request that got no answer: refused connection, unknown host, timeout. */
export function unreachable(url: string, err: unknown): ClientError {
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  // fetch may say only "fetch failed" and put the reason in `cause` (Deno, Node), with a code or only in words.
  const cause = e?.cause;
  const refusedConnection =
    [e?.code, cause?.code].some((code) => code === "ConnectionRefused" || code === "ECONNREFUSED") ||
    /\bconnection refused\b/i.test(cause?.message ?? "");
  const why =
    e?.name === "TimeoutError"
      ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`
      : refusedConnection
        ? "connection refused"
        : (cause?.message ?? e?.message ?? String(err)).split("\n")[0]!;
  return new ClientError(`cannot reach Baton at ${url} (${why}); is 'baton serve' running there? Set --url or BATON_URL to its address`);
}

/** One line for an error answer: the server's `detail` and the status, with a hint for 401/403. */
export function refused(res: Response, text: string, connection: Connection): ClientError {
  let detail: string | undefined;
  try {
    const problem = JSON.parse(text) as { detail?: unknown };
    if (typeof problem?.detail === "string" && problem.detail !== "") detail = problem.detail;
  } catch {
    // not problem+json: a proxy's page, say so by the status alone
  }
  const status = `${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  let line = detail === undefined ? `the server at ${connection.url} answered ${status}` : `${detail} (HTTP ${res.status})`;
  if (res.status === 401)
    line +=
      connection.token === undefined ? "; pass a token with --token or BATON_TOKEN" : "; check the token given by --token or BATON_TOKEN";
  return new ClientError(line.replace(/\s*\n\s*/g, " "), res.status);
}
