/** Hostile requests any path can get: a method it does not answer, a path Baton does not serve, bytes fetch would not send. */
import { bytes } from "../raw-http.ts";
import { ALLOWED, type FuzzCase, type FuzzWorld, jsonHeader, type Route, utf8 } from "./model.ts";
import { badId, type Gen, INVALID_UTF8, segment, unknownId } from "./values.ts";

function concretePath(g: Gen, w: FuzzWorld, route: Exclude<Route, "unknown path">): string {
  const exec = () => segment(g.pick([w.completed, w.failed.id, w.queued, `nope-${g.int(0, 1e6)}`]));
  const schedule = () => `${segment(g.pick(w.definitions).id)}/${segment(unknownId(g))}`;
  const paths: Record<typeof route, () => string> = {
    "POST /job-definitions": () => "/job-definitions",
    "GET /job-definitions": () => "/job-definitions",
    "GET /job-definitions/{id}": () => `/job-definitions/${segment(g.pick([g.pick(w.definitions).id, unknownId(g)]))}`,
    "POST /jobs/{definitionId}/execute": () => `/jobs/${segment(g.pick(w.definitions).id)}/execute`,
    "GET /jobs/{id}/state": () => `/jobs/${exec()}/state`,
    "GET /jobs/{id}/events": () => `/jobs/${exec()}/events`,
    "POST /jobs/{id}/cancel": () => `/jobs/${segment(w.queued)}/cancel`,
    "POST /jobs/{id}/redrive": () => `/jobs/${segment(w.failed.id)}/redrive`,
    "POST /jobs/{id}/rerun": () => `/jobs/${segment(w.completed)}/rerun`,
    "GET /jobs": () => "/jobs",
    "GET /schedules": () => "/schedules",
    "GET /schedules/{definitionId}/{scheduleId}": () => `/schedules/${schedule()}`,
    "GET /schedules/{definitionId}/{scheduleId}/events": () => `/schedules/${schedule()}/events`,
    "POST /schedules/{definitionId}/{scheduleId}/pause": () => `/schedules/${schedule()}/pause`,
    "POST /schedules/{definitionId}/{scheduleId}/resume": () => `/schedules/${schedule()}/resume`,
    "POST /schedules/{definitionId}/{scheduleId}/trigger": () => `/schedules/${schedule()}/trigger`,
    "GET /system/state": () => "/system/state",
    "GET /healthz": () => "/healthz",
    "POST /workers/poll": () => "/workers/poll",
    "POST /workers/leases/{leaseId}/heartbeat": () => `/workers/leases/${segment(unknownId(g))}/heartbeat`,
    "POST /workers/leases/{leaseId}/complete": () => `/workers/leases/${segment(unknownId(g))}/complete`,
    "POST /workers/leases/{leaseId}/fail": () => `/workers/leases/${segment(unknownId(g))}/fail`,
    "GET /workers": () => "/workers",
    "POST /workers/leases/report": () => "/workers/leases/report",
    "GET /metrics": () => "/metrics",
  };
  return paths[route]();
}

/** A method the path does not answer (HEAD is left out: its answer has no body to check). */
export function wrongMethod(g: Gen, w: FuzzWorld, route: Exclude<Route, "unknown path">): FuzzCase {
  const allowed = ALLOWED[route];
  const method = g.pick(
    ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "PROPFIND", "MKCOL", "TRACE"].filter((m) => !allowed.includes(m)),
  );
  const path = concretePath(g, w, route);
  // fetch refuses TRACE; the raw socket sends it. A valid body for the right method changes nothing here.
  const raw = method === "TRACE" || method === "PROPFIND";
  const body = method !== "GET" && !raw && g.chance(0.3) ? utf8(JSON.stringify({ fromTask: "a" })) : undefined;
  return {
    route,
    fault: `method ${method}`,
    request: { method, path: raw ? bytes(path) : path, headers: body ? jsonHeader : [], body },
    expect: [405],
  };
}

// "/" is not here: GET / redirects to the dashboard (test/e2e/ui.test.ts).
const UNKNOWN_PATHS = [
  "/job-definition",
  "/job-definitions/",
  "/job-definitions/a/b",
  "/job-definitions/a/versions",
  "/jobs/",
  "/jobs/x",
  "/jobs/x/",
  "/jobs/x/y",
  "/jobs/x/state/y",
  "/jobs/x/execute/now",
  "/jobs/x/y/state",
  "/jobs//state",
  "/system",
  "/system/",
  "/system/state/",
  "/system/state/x",
  "/healthz/",
  "/healthz/x",
  "/HEALTHZ",
  "/Jobs",
  "/api/jobs",
  "/v1/jobs",
  "/.env",
  "/.git/config",
  "/admin",
  "/metrics/",
  "/metrics/x",
  "/METRICS",
  "/favicon.ico",
  "/%2e%2e/%2e%2e/etc/passwd",
  "/job-definitions%2Fx",
  "/jobs%2Fx%2Fstate",
  "//healthz",
  "/jobs/%2e%2e/state",
  "/jobs/x/%2e%2e",
];

export function unknownPath(g: Gen): FuzzCase {
  const path = g.chance(0.8) ? g.pick(UNKNOWN_PATHS) : `/${segment(badId(g))}/${segment(unknownId(g))}`;
  const method = g.pick(["GET", "POST", "PUT", "DELETE", "PATCH"]);
  const body = method !== "GET" && g.chance(0.3) ? utf8('{"a":1}') : undefined;
  // Raw, because fetch tidies paths ("//healthz" goes out as "/healthz").
  return {
    route: "unknown path",
    fault: `${method} to a path Baton does not serve`,
    request: { method, path: bytes(path), headers: body ? jsonHeader : [], body },
    expect: [404],
  };
}

/** Bytes fetch would not send: not UTF-8 in the path or the query, dot segments unresolved. */
export function rawBytes(g: Gen, _w: FuzzWorld): FuzzCase {
  const bad = () => g.pick(INVALID_UTF8);
  switch (g.int(0, 4)) {
    case 0:
      return {
        route: "GET /job-definitions/{id}",
        fault: "raw bytes that are not UTF-8 in the id",
        request: { method: "GET", path: bytes("/job-definitions/a", bad(), "b") },
        expect: [404],
      };
    case 1: {
      const which = g.pick(["state", "events"] as const);
      return {
        route: `GET /jobs/{id}/${which}`,
        fault: "raw bytes that are not UTF-8 in the id",
        request: { method: "GET", path: bytes("/jobs/", bad(), `/${which}`) },
        expect: [404],
      };
    }
    case 2:
      return {
        route: "GET /jobs",
        fault: "raw bytes that are not UTF-8 in a query value",
        request: { method: "GET", path: bytes(`/jobs?${g.pick(["status", "limit", "cursor"])}=`, bad()) },
        expect: [400],
      };
    case 3: {
      const which = g.pick(["state", "events", "cancel", "redrive"]);
      return {
        route: "unknown path",
        fault: "raw dot segments out of /jobs",
        request: {
          method: which === "state" || which === "events" ? "GET" : "POST",
          path: bytes(`/jobs/${"../".repeat(g.int(1, 6))}etc/passwd/${which}`),
        },
        expect: [404],
      };
    }
    default:
      return {
        route: "POST /jobs/{definitionId}/execute",
        fault: "raw bytes that are not UTF-8 in the definition id",
        request: { method: "POST", path: bytes("/jobs/", bad(), "/execute"), headers: jsonHeader, body: utf8("{}") },
        expect: [404],
      };
  }
}
