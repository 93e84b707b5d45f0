/**
 * Hostile requests to /workers: polls with bodies that are not a poll, lease calls for leases
 * that do not exist, and reports of outcomes that are not outcomes.
 */
import { badJsonBody, type FuzzCase, type FuzzWorld, jsonHeader, overLimit, utf8 } from "./model.ts";
import { type Gen, segment, unknownId } from "./values.ts";

const VALID_POLL = '{"workerId":"w1","functions":["resize"],"max":1,"waitSeconds":0}';

/** A poll field out of its range or of the wrong type: each a 400. */
const BAD_POLLS: [string, string][] = [
  ['{"workerId":"w1","functions":["resize"],"waitSeconds":61}', "waitSeconds over 60"],
  ['{"workerId":"w1","functions":["resize"],"waitSeconds":-1}', "negative waitSeconds"],
  ['{"workerId":"w1","functions":["resize"],"max":0}', "max of 0"],
  ['{"workerId":"w1","functions":["resize"],"max":1.5}', "fractional max"],
  ['{"workerId":"w1","functions":[]}', "no functions"],
  ['{"workerId":"","functions":["resize"]}', "empty workerId"],
  ['{"workerId":"w1","functions":"resize"}', "functions not an array"],
  ['{"functions":["resize"]}', "no workerId"],
  ['{"workerId":"w1","functions":["resize"],"extra":true}', "unknown field"],
  ['{"workerId":"w1","functions":["resize"],"results":[{"output":1}]}', "an outcome without a leaseId"],
  ['{"workerId":"w1","functions":["resize"],"results":{"leaseId":"x"}}', "results not an array"],
];

const VALID_REPORT = '{"results":[{"leaseId":"x","output":{"n":1}}]}';

/** A report whose outcomes cannot be matched to leases: each a 400 for the whole request. */
const BAD_REPORTS: [string, string][] = [
  ["{}", "no results"],
  ['{"results":[{"leaseId":"x","output":1},{"leaseId":7}]}', "a leaseId that is not a string"],
  ['{"results":[{"leaseId":"x","output":1,"error":{"name":"E"}}]}', "both output and error"],
  ['{"results":[{"leaseId":"x","error":{"message":"m"}}]}', "an error without a name"],
  ['{"results":[{"leaseId":"x","status":"COMPLETED"}]}', "an unknown field in an outcome"],
  [`{"results":[${Array(257).fill('{"leaseId":"x"}').join(",")}]}`, "257 outcomes"],
];

export function poll(g: Gen, _w: FuzzWorld): FuzzCase {
  const route = "POST /workers/poll";
  if (g.chance(0.1)) {
    const { body, fault } = overLimit(g);
    return { route, fault, request: { method: "POST", path: "/workers/poll", headers: jsonHeader, body }, expect: [413] };
  }
  if (g.chance(0.5)) {
    const [text, fault] = g.pick(BAD_POLLS);
    return {
      route,
      fault: `poll: ${fault}`,
      request: { method: "POST", path: "/workers/poll", headers: jsonHeader, body: utf8(text) },
      expect: [400],
    };
  }
  const { body, fault } = badJsonBody(g, VALID_POLL);
  return { route, fault, request: { method: "POST", path: "/workers/poll", headers: jsonHeader, body }, expect: [400] };
}

/** A heartbeat, complete or fail for a lease that never existed: 404 (or 400 for a fail whose body is not a failure). */
export function leaseCall(g: Gen, _w: FuzzWorld): FuzzCase {
  const call = g.pick(["heartbeat", "complete", "fail"] as const);
  const body = call === "fail" ? '{"error":{"name":"Boom","message":"m"}}' : call === "complete" ? '{"output":{"n":1}}' : "";
  return {
    route: `POST /workers/leases/{leaseId}/${call}`,
    fault: "no such lease",
    request: { method: "POST", path: `/workers/leases/${segment(unknownId(g))}/${call}`, headers: jsonHeader, body: utf8(body) },
    expect: [404],
  };
}

export function report(g: Gen, _w: FuzzWorld): FuzzCase {
  const route = "POST /workers/leases/report";
  const path = "/workers/leases/report";
  if (g.chance(0.1)) {
    const { body, fault } = overLimit(g);
    return { route, fault, request: { method: "POST", path, headers: jsonHeader, body }, expect: [413] };
  }
  if (g.chance(0.5)) {
    const [text, fault] = g.pick(BAD_REPORTS);
    return { route, fault: `report: ${fault}`, request: { method: "POST", path, headers: jsonHeader, body: utf8(text) }, expect: [400] };
  }
  const { body, fault } = badJsonBody(g, VALID_REPORT);
  return { route, fault, request: { method: "POST", path, headers: jsonHeader, body }, expect: [400] };
}
