/**
 * Hostile requests to /jobs and /jobs/{id}/…: execute, state, events, cancel, redrive, rerun, the list.
 * Over 300 lines: one generator per route of the jobs resource, kept side by side so a new
 * route's hostile cases are written next to its siblings'.
 */

import { bytes } from "../raw-http.ts";
import {
  badJsonBody,
  ctHeader,
  type FuzzCase,
  type FuzzRequest,
  type FuzzWorld,
  IMPOSSIBLE_RUN_AT,
  jsonHeader,
  overLimit,
  utf8,
} from "./model.ts";
import {
  badId,
  type Gen,
  INVALID_UTF8,
  jsonText,
  nested,
  notJson,
  notObject,
  notString,
  Pairs,
  Raw,
  segment,
  unknownId,
} from "./values.ts";

// ---- POST /jobs/{definitionId}/execute ----

const validInput = (g: Gen): Record<string, unknown> => ({ n: g.int(0, 1e6), s: g.pick(["x", "\ud800", "😀", "\u202E", "a\u0000b", "é"]) });

function badRunAt(g: Gen, w: FuzzWorld): string {
  const year = new Date(w.now).getUTCFullYear() + 1;
  return g.pick([
    "tomorrow",
    "now",
    "",
    `${year}-01-01`,
    `${year}-01-01T00:00:00`,
    `${year}-13-01T00:00:00Z`,
    `${year}-00-10T00:00:00Z`,
    `${year}-01-32T00:00:00Z`,
    `${year}-01-01T25:00:00Z`,
    `${year}-01-01T00:61:00Z`,
    `+00${year}-01-01T00:00:00Z`,
    `${year}-01-01T00:00:00+25:00`,
    `${year}-01-01T00:00:00+0100`,
    `${year}-01-01 00:00:00Z`,
    `${year}-01-01T00:00:00.1234567890Z`,
    `${year}-01-01T00:00:00Z\u0000`,
    "\u0662\u0660\u0662\u0667-01-01T00:00:00Z",
    "NaN",
    "Infinity",
    "-1",
    String(Math.floor(w.now / 1000) + 3600),
    "0000-00-00T00:00:00Z",
    "9999-99-99T99:99:99Z",
    "9".repeat(g.int(50, 8000)),
  ]);
}

/** Dates that match the format but name no day: the other engineer's fix makes them a 400. */
function impossibleRunAt(g: Gen, w: FuzzWorld): string {
  const year = new Date(w.now).getUTCFullYear() + 1;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return `${g.pick([
    `${year}-02-30`,
    `${year}-02-31`,
    `${year}-04-31`,
    `${year}-06-31`,
    `${year}-09-31`,
    `${year}-11-31`,
    ...(leap ? [] : [`${year}-02-29`]),
  ])}T00:00:00Z`;
}

const badDelay = (g: Gen) =>
  g.pick(["-1", "1.5", "1e3", "abc", "", "NaN", "Infinity", "-0", "31622401", "99999999999", "0x10", " 5", "+5", "\u0665", "5s"]);

const validQuery = (g: Gen, w: FuzzWorld) =>
  g.pick([
    () => "",
    () => `delaySeconds=${g.int(0, 31_622_400)}`,
    () => `runAt=${encodeURIComponent(new Date(w.now + g.int(60, 86_400) * 1000).toISOString())}`,
  ])();

function badKey(g: Gen): string | Uint8Array {
  return g.pick<() => string | Uint8Array>([
    () => "",
    () => " ",
    () => "a b",
    () => "k".repeat(g.int(256, 4000)),
    () => "tab\there",
    () => "caf\u00e9",
    () => "\u00ff",
    () => utf8("ключ"),
    () => utf8("😀"),
    () => bytes("a", [0x7f], "b"),
    () => bytes([0xff, 0xfe]),
  ])();
}

export function execute(g: Gen, w: FuzzWorld): FuzzCase {
  const route = "POST /jobs/{definitionId}/execute";
  const def = g.pick(w.definitions).id;
  const path = (id: string, query: string) => `/jobs/${segment(id)}/execute${query ? `?${query}` : ""}`;
  const inputText = () => (g.chance(0.2) ? "" : JSON.stringify(validInput(g)));
  const req = (
    id: string,
    query: string,
    body: Uint8Array | FuzzRequest["body"],
    headers: [string, string | Uint8Array][] = jsonHeader,
  ): FuzzRequest => ({ method: "POST", path: path(id, query), headers, body });
  switch (g.int(0, 7)) {
    case 0: {
      const { body, fault } = overLimit(g);
      return { route, fault, request: req(def, validQuery(g, w), body), expect: [413] };
    }
    case 1:
    case 2: {
      const { body, fault } = badJsonBody(g, JSON.stringify(validInput(g)));
      return { route, fault, request: req(g.chance(0.8) ? def : unknownId(g), validQuery(g, w), body, ctHeader(g)), expect: [400] };
    }
    case 3: {
      const [fault, query] = g.pick<() => [string, string]>([
        () => ["runAt not a date-time", `runAt=${encodeURIComponent(badRunAt(g, w))}`],
        () => ["delaySeconds not a whole number from 0 to 366 days", `delaySeconds=${encodeURIComponent(badDelay(g))}`],
        () => [
          "both runAt and delaySeconds",
          `delaySeconds=${g.int(0, 1000)}&runAt=${encodeURIComponent(new Date(w.now + 3_600_000).toISOString())}`,
        ],
      ])();
      return { route, fault, request: req(g.chance(0.8) ? def : unknownId(g), query, utf8(inputText())), expect: [400] };
    }
    case 4: {
      const key = badKey(g);
      return {
        route,
        fault: "Idempotency-Key not 1 to 255 visible ASCII characters",
        request: req(def, validQuery(g, w), utf8(inputText()), [...jsonHeader, ["Idempotency-Key", key]]),
        expect: [400],
      };
    }
    case 5: {
      const { definitionId, key, input } = w.idempotency;
      const other = { ...input, changed: g.int(1, 1e6) };
      return {
        route,
        fault: "Idempotency-Key used before with another input",
        request: req(definitionId, "", utf8(JSON.stringify(other)), [...jsonHeader, ["Idempotency-Key", key]]),
        expect: [409],
      };
    }
    case 6:
      return {
        route,
        fault: "no such definition",
        request: req(g.chance(0.5) ? badId(g) : unknownId(g), validQuery(g, w), utf8(inputText())),
        expect: [404],
      };
    default:
      return {
        route,
        fault: IMPOSSIBLE_RUN_AT,
        request: req(def, `runAt=${encodeURIComponent(impossibleRunAt(g, w))}`, utf8(JSON.stringify(validInput(g)))),
        expect: [400],
      };
  }
}

// ---- /jobs/{id}/… ----

const missingExecution = (g: Gen) => (g.chance(0.5) ? badId(g) : unknownId(g));

export function readExecution(g: Gen, which: "state" | "events"): FuzzCase {
  return {
    route: `GET /jobs/{id}/${which}`,
    fault: "no such execution",
    request: { method: "GET", path: `/jobs/${segment(missingExecution(g))}/${which}` },
    expect: [404],
  };
}

/** Cancel and redrive read no body: an attached one changes nothing unless it is over the limit. */
function junkBody(g: Gen): Uint8Array | undefined {
  return g.chance(0.6) ? undefined : g.chance(0.5) ? utf8(notJson(g, '{"a":1}')) : new Uint8Array(g.pick(INVALID_UTF8));
}

export function cancel(g: Gen, w: FuzzWorld): FuzzCase {
  const route = "POST /jobs/{id}/cancel";
  if (g.chance(0.1)) {
    const { body, fault } = overLimit(g, false);
    return { route, fault, request: { method: "POST", path: `/jobs/${segment(w.completed)}/cancel`, body }, expect: [413] };
  }
  if (g.chance(0.5))
    return {
      route,
      fault: "no such execution",
      request: { method: "POST", path: `/jobs/${segment(missingExecution(g))}/cancel`, body: junkBody(g) },
      expect: [404],
    };
  const id = g.pick([w.completed, w.failed.id, w.cancelled]);
  return {
    route,
    fault: "execution already ended",
    request: { method: "POST", path: `/jobs/${segment(id)}/cancel`, body: junkBody(g) },
    expect: [409],
  };
}

export function redrive(g: Gen, w: FuzzWorld): FuzzCase {
  const route = "POST /jobs/{id}/redrive";
  if (g.chance(0.1)) {
    const { body, fault } = overLimit(g, false);
    return { route, fault, request: { method: "POST", path: `/jobs/${segment(w.completed)}/redrive`, body }, expect: [413] };
  }
  if (g.chance(0.5))
    return {
      route,
      fault: "no such execution",
      request: { method: "POST", path: `/jobs/${segment(missingExecution(g))}/redrive`, body: junkBody(g) },
      expect: [404],
    };
  return {
    route,
    fault: "execution neither FAILED nor CANCELLED",
    request: { method: "POST", path: `/jobs/${segment(g.pick([w.completed, w.queued]))}/redrive`, body: junkBody(g) },
    expect: [409],
  };
}

export function rerun(g: Gen, w: FuzzWorld): FuzzCase {
  const route = "POST /jobs/{id}/rerun";
  const at = (id: string) => `/jobs/${segment(id)}/rerun`;
  // Any execution, stored or not: the body is read first. Not "", which would make the path another route.
  const anyId = () => g.pick([w.completed, w.failed.id, w.cancelled, w.queued, unknownId(g), badId(g) || "%"]);
  switch (g.int(0, 5)) {
    case 0: {
      const { body, fault } = overLimit(g);
      return { route, fault, request: { method: "POST", path: at(w.completed), headers: jsonHeader, body }, expect: [413] };
    }
    case 1: {
      const { body, fault } = badJsonBody(g, '{"fromTask":"a"}');
      return { route, fault, request: { method: "POST", path: at(anyId()), headers: ctHeader(g), body }, expect: [400] };
    }
    case 2: {
      const [fault, body] = g.pick<() => [string, unknown]>([
        () => ["body: empty", new Raw("")],
        () => ["fromTask missing", {}],
        () => ["fromTask not a string", { fromTask: notString(g) }],
        () => ["fromTask empty", { fromTask: "" }],
        () => [
          "fromTask repeated, the last one not a task id",
          new Pairs([
            ["fromTask", "a"],
            ["fromTask", g.pick<unknown>(["", null, 7, ["a"]])],
          ]),
        ],
        () => [
          "unknown rerun field",
          new Pairs([
            ["fromTask", "a"],
            [g.pick(["__proto__", "constructor", "fromtask", "tasks", ""]), g.pick<unknown>([1, {}, null])],
          ]),
        ],
        () => ["input not an object", { fromTask: "a", input: notObject(g) }],
        () => ["input nested over 100 deep", { fromTask: "a", input: { deep: nested(g, g.int(100, 2000)) } }],
      ])();
      return {
        route,
        fault,
        request: { method: "POST", path: at(anyId()), headers: ctHeader(g), body: utf8(jsonText(body)) },
        expect: [400],
      };
    }
    case 3:
      return {
        route,
        fault: "no such execution",
        request: { method: "POST", path: at(missingExecution(g)), headers: jsonHeader, body: utf8(JSON.stringify({ fromTask: "a" })) },
        expect: [404],
      };
    case 4: {
      const fromTask = g.chance(0.5) ? badId(g) : g.pick(["A", "c", "task1", "__proto__", "constructor", "a ", "b\u0000"]);
      return {
        route,
        fault: "fromTask names no task of the definition",
        request: { method: "POST", path: at(w.completed), headers: jsonHeader, body: utf8(JSON.stringify({ fromTask })) },
        expect: [400],
      };
    }
    default:
      return {
        route,
        fault: "a task upstream of fromTask did not complete",
        request: { method: "POST", path: at(w.failed.id), headers: jsonHeader, body: utf8(JSON.stringify({ fromTask: w.failed.blocked })) },
        expect: [409],
      };
  }
}

// ---- GET /jobs ----
export function list(g: Gen, w: FuzzWorld): FuzzCase {
  const bad: Record<string, () => string> = {
    status: () => g.pick(["SLEEPING", "completed", "", "QUEUED,RUNNING", "\u0000", "😀", "DONE", "x".repeat(g.int(10, 5000)), badId(g)]),
    definitionId: () => (g.chance(0.3) ? "" : "d".repeat(g.int(129, 5000))),
    cursor: () =>
      g.pick(["0", "-1", "abc", "1.5", "1e3", "0x10", "0001", "1234567890123456", "", " 1", "NaN", "Infinity", "null", "\ud800"]),
    limit: () => g.pick(["0", "-1", "501", "1.5", "abc", "", "NaN", "Infinity", "1e2", "9999999999", "+1", " 1", "\u0661"]),
  };
  const good: Record<string, () => string> = {
    status: () => g.pick(["QUEUED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]),
    definitionId: () => g.pick(w.definitions).id,
    cursor: () => String(g.int(1, 1e9)),
    limit: () => String(g.int(1, 500)),
  };
  const names = Object.keys(bad);
  const faulty = names.filter(() => g.chance(0.4));
  if (faulty.length === 0) faulty.push(g.pick(names));
  const params = names.flatMap((n) => (faulty.includes(n) ? [[n, bad[n]!()]] : g.chance(0.3) ? [[n, good[n]!()]] : []));
  if (g.chance(0.2)) params.push(["unknown", "x"]);
  const query = params.map(([k, v]) => `${k}=${segment(v!)}`).join("&");
  return { route: "GET /jobs", fault: `bad ${faulty.join(", ")}`, request: { method: "GET", path: `/jobs?${query}` }, expect: [400] };
}
