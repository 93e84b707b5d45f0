/**
 * The shapes of the API fuzz test: the routes, what the test stored before the run (the world the
 * generator aims at), one hostile request and the statuses its fault allows; and the hostile
 * bodies every route that reads one shares.
 */
import {
  anyContentType,
  BAD_BYTES_MARK,
  type Gen,
  INVALID_UTF8,
  jsonText,
  nested,
  nonObjectJson,
  notJson,
  withBadBytes,
} from "./values.ts";

/** Every route of the API (the table in src/api/routes.ts), named as in docs/api.md. */
export const ROUTES = [
  "POST /job-definitions",
  "GET /job-definitions",
  "GET /job-definitions/{id}",
  "POST /jobs/{definitionId}/execute",
  "GET /jobs/{id}/state",
  "GET /jobs/{id}/events",
  "POST /jobs/{id}/cancel",
  "POST /jobs/{id}/redrive",
  "POST /jobs/{id}/rerun",
  "GET /jobs",
  "GET /schedules",
  "GET /schedules/{definitionId}/{scheduleId}",
  "GET /schedules/{definitionId}/{scheduleId}/events",
  "POST /schedules/{definitionId}/{scheduleId}/pause",
  "POST /schedules/{definitionId}/{scheduleId}/resume",
  "POST /schedules/{definitionId}/{scheduleId}/trigger",
  "GET /system/state",
  "GET /healthz",
  "POST /workers/poll",
  "POST /workers/leases/{leaseId}/heartbeat",
  "POST /workers/leases/{leaseId}/complete",
  "POST /workers/leases/{leaseId}/fail",
  "GET /workers",
  "POST /workers/leases/report",
  "GET /metrics",
  "unknown path",
] as const;
export type Route = (typeof ROUTES)[number];

/** The methods each path answers (HEAD wherever GET), as src/api/routes.ts derives them; written out here so the fuzz checks the binary against an independent copy. */
export const ALLOWED: Record<Exclude<Route, "unknown path">, readonly string[]> = {
  "POST /job-definitions": ["GET", "HEAD", "POST"],
  "GET /job-definitions": ["GET", "HEAD", "POST"],
  "GET /job-definitions/{id}": ["GET", "HEAD"],
  "POST /jobs/{definitionId}/execute": ["POST"],
  "GET /jobs/{id}/state": ["GET", "HEAD"],
  "GET /jobs/{id}/events": ["GET", "HEAD"],
  "POST /jobs/{id}/cancel": ["POST"],
  "POST /jobs/{id}/redrive": ["POST"],
  "POST /jobs/{id}/rerun": ["POST"],
  "GET /jobs": ["GET", "HEAD"],
  "GET /schedules": ["GET", "HEAD"],
  "GET /schedules/{definitionId}/{scheduleId}": ["GET", "HEAD"],
  "GET /schedules/{definitionId}/{scheduleId}/events": ["GET", "HEAD"],
  "POST /schedules/{definitionId}/{scheduleId}/pause": ["POST"],
  "POST /schedules/{definitionId}/{scheduleId}/resume": ["POST"],
  "POST /schedules/{definitionId}/{scheduleId}/trigger": ["POST"],
  "GET /system/state": ["GET", "HEAD"],
  "GET /healthz": ["GET", "HEAD"],
  "POST /workers/poll": ["POST"],
  "POST /workers/leases/{leaseId}/heartbeat": ["POST"],
  "POST /workers/leases/{leaseId}/complete": ["POST"],
  "POST /workers/leases/{leaseId}/fail": ["POST"],
  "GET /workers": ["GET", "HEAD"],
  "POST /workers/leases/report": ["POST"],
  "GET /metrics": ["GET", "HEAD"],
};

/** What the fuzz test stored before the run; the generator aims at it. */
export interface FuzzWorld {
  /** Every stored definition: its id, how many versions, the task ids of its latest version. */
  definitions: { id: string; versions: number; tasks: string[] }[];
  /** COMPLETED; its definition is `definitions[0]`. */
  completed: string;
  /** FAILED: its task `blocked` depends on the task that failed, so a rerun from it cannot carry that one over. */
  failed: { id: string; blocked: string };
  cancelled: string;
  /** QUEUED with a runAt far ahead. */
  queued: string;
  /** An execution started with this Idempotency-Key and input; the same key with another input is a 409. */
  idempotency: { definitionId: string; key: string; input: Record<string, unknown> };
  /** Epoch ms when the world was made. */
  now: number;
}

export interface FuzzRequest {
  method: string;
  /** After the origin, percent-encoded already; bytes go through a raw socket, exactly as given. */
  path: string | Uint8Array;
  /** A byte value also sends the request through a raw socket. */
  headers?: [string, string | Uint8Array][];
  body?: Uint8Array | { chunkedBytes: number };
}

export interface FuzzCase {
  route: Route;
  fault: string;
  request: FuzzRequest;
  /** The statuses the fault allows. */
  expect: readonly number[];
}

/** The fault of a start with a runAt that names no day of the calendar (2027-02-30): a 400. */
export const IMPOSSIBLE_RUN_AT = "execute: runAt is an impossible calendar date";

export const utf8 = (s: string) => new TextEncoder().encode(s);
export const ctHeader = (g: Gen): [string, string][] => {
  const ct = anyContentType(g);
  return ct === undefined ? [] : [["Content-Type", ct]];
};
export const jsonHeader: [string, string][] = [["Content-Type", "application/json"]];
const MiB = 1024 * 1024;

/**
 * A JSON body just over 1 MiB, sent with a Content-Length or (where the route reads its body)
 * chunked: a chunked body is only counted as it is read, and cancel and redrive read none.
 */
export function overLimit(g: Gen, chunked = true): { body: FuzzRequest["body"]; fault: string } {
  if (chunked && g.chance(0.3)) return { body: { chunkedBytes: MiB + g.int(1, 70_000) }, fault: "chunked body over 1 MiB" };
  const size = MiB + g.int(1, 4096);
  const head = '{"blob":"';
  return { body: utf8(`${head + "x".repeat(size - head.length - 2)}"}`), fault: "body over 1 MiB" };
}

/** A body that is not a JSON object of any kind, and why. */
export function badJsonBody(g: Gen, validText: string): { body: Uint8Array; fault: string } {
  switch (g.int(0, 4)) {
    case 0:
      return { body: utf8(notJson(g, validText)), fault: "body: not JSON" };
    case 1:
      return { body: utf8(nonObjectJson(g)), fault: "body: JSON but not an object" };
    case 2: {
      const text = validText.replace(/"([^"]*)"/, (_m, key) => `"${key}${BAD_BYTES_MARK}"`);
      return { body: withBadBytes(g, text), fault: "body: bytes that are not UTF-8" };
    }
    case 3: {
      const depth = g.int(101, 5000);
      return { body: utf8(`{"deep":${jsonText(nested(g, depth))}}`), fault: `body: nested ${depth} deep` };
    }
    default:
      return {
        body: new Uint8Array([0xef, 0xbb, 0xbf, ...g.pick(INVALID_UTF8), ...utf8(validText)]),
        fault: "body: BOM, then bytes that are not UTF-8",
      };
  }
}
