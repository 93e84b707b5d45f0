/** The route table and what is derived from it: every route answers, every other method a 405, the not-found hint. */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { type Setup, setup } from "../../test/helpers/api.ts";
import { allowedMethods, ROUTES, servedPaths } from "./routes.ts";

let t: Setup;
beforeEach(async () => (t = await setup()));
afterEach(() => t.close());

/** A concrete path for a table path: `x` for every parameter. */
const concrete = (path: string) => path.replace(/:\w+/g, "x");

describe("the table", () => {
  test("each method and path once", () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test("HEAD wherever GET, sorted", () => {
    expect(Object.fromEntries(allowedMethods(ROUTES))).toEqual({
      "/job-definitions": ["GET", "HEAD", "POST"],
      "/job-definitions/:id": ["GET", "HEAD"],
      "/jobs": ["GET", "HEAD"],
      "/jobs/:definitionId/execute": ["POST"],
      "/jobs/:executionId/state": ["GET", "HEAD"],
      "/jobs/:executionId/events": ["GET", "HEAD"],
      "/jobs/:executionId/cancel": ["POST"],
      "/jobs/:executionId/redrive": ["POST"],
      "/jobs/:executionId/rerun": ["POST"],
      "/schedules": ["GET", "HEAD"],
      "/schedules/:definitionId/:scheduleId": ["GET", "HEAD"],
      "/schedules/:definitionId/:scheduleId/events": ["GET", "HEAD"],
      "/schedules/:definitionId/:scheduleId/pause": ["POST"],
      "/schedules/:definitionId/:scheduleId/resume": ["POST"],
      "/schedules/:definitionId/:scheduleId/trigger": ["POST"],
      "/system/state": ["GET", "HEAD"],
      "/healthz": ["GET", "HEAD"],
      "/livez": ["GET", "HEAD"],
      "/workers/poll": ["POST"],
      "/workers/leases/:leaseId/heartbeat": ["POST"],
      "/workers/leases/:leaseId/complete": ["POST"],
      "/workers/leases/:leaseId/fail": ["POST"],
      "/workers": ["GET", "HEAD"],
      "/openapi.json": ["GET", "HEAD"],
      "/schemas/job-definition.json": ["GET", "HEAD"],
      "/reference": ["GET", "HEAD"],
      "/workers/leases/report": ["POST"],
      "/system/backup": ["POST"],
      "/metrics": ["GET", "HEAD"],
    });
  });

  test("every route is registered: none answers the app's 404 or 405", async () => {
    for (const { method, path } of ROUTES) {
      // A 404 here is the route's own (no such execution), never the app's "no route for".
      const res = await t.call(method, concrete(path), method === "GET" ? undefined : {});
      expect(res.status).not.toBe(405);
      expect(res.body?.detail ?? "").not.toStartWith("no route for");
    }
  });

  test("every other method on every path of the table is a 405 with the path's Allow", async () => {
    for (const [path, allow] of allowedMethods(ROUTES)) {
      for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].filter((m) => !allow.includes(m))) {
        const res = await t.app.request(concrete(path), { method, body: "{}" });
        expect(res.status).toBe(405);
        expect(res.headers.get("allow")).toBe(allow.join(", "));
        expect(((await res.json()) as { detail: string }).detail).toBe(
          `${method} is not allowed on ${concrete(path)}; use ${allow.join(" or ")}`,
        );
      }
    }
  });
});

describe("the not-found hint", () => {
  test("names every path of the table, in table order", async () => {
    const res = await t.call("GET", "/nope");
    expect(res.body.detail).toBe(
      "no route for GET /nope; Baton serves /job-definitions, /job-definitions/{id}, /jobs, /jobs/{definitionId}/execute, " +
        "/jobs/{executionId}/state, /jobs/{executionId}/events, /jobs/{executionId}/cancel, /jobs/{executionId}/redrive, " +
        "/jobs/{executionId}/rerun, /schedules, /schedules/{definitionId}/{scheduleId}, /schedules/{definitionId}/{scheduleId}/events, /schedules/{definitionId}/{scheduleId}/pause, /schedules/{definitionId}/{scheduleId}/resume, /schedules/{definitionId}/{scheduleId}/trigger, /system/state, /healthz, /livez, /workers/poll, /workers/leases/{leaseId}/heartbeat, " +
        "/workers/leases/{leaseId}/complete, /workers/leases/{leaseId}/fail, /workers, /openapi.json, /schemas/job-definition.json, /reference, /workers/leases/report, /system/backup and /metrics",
    );
    expect(servedPaths(ROUTES)).toHaveLength(29);
  });
});
