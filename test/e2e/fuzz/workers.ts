/** Hostile requests to /workers: polls with bodies that are not a poll, and lease calls for leases that do not exist. */
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
