/** Hostile requests to POST /job-definitions and GET /job-definitions/{id}. */
import { badJsonBody, ctHeader, type FuzzCase, type FuzzWorld, jsonHeader, overLimit, utf8 } from "./model.ts";
import {
  BAD_BYTES_MARK,
  badId,
  badSeconds,
  badWhole,
  type Gen,
  jsonText,
  nested,
  notArray,
  notBoolean,
  notObject,
  notString,
  Pairs,
  Raw,
  segment,
  unknownId,
  withBadBytes,
} from "./values.ts";

/** `obj[key] = value` as an own property, even for "__proto__" (which an assignment would take as the prototype). */
const own = (obj: object, key: string, value: unknown) =>
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });

const validDefinition = (g: Gen) => ({
  id: `fz-new-${g.int(0, 1e9)}`,
  name: "fuzz",
  tasks: [
    { id: "a", functionName: "noop" },
    { id: "b", functionName: "echo", params: { k: 1 } },
  ],
});

/** A valid definition with one field made invalid. */
function definitionWithBadField(g: Gen): { body: unknown; fault: string } {
  const def: any = validDefinition(g);
  const t = g.int(0, 1);
  const task = def.tasks[t];
  const mutations: [string, () => void][] = [
    ["id not an id", () => (def.id = badId(g))],
    ["id not a string", () => (def.id = notString(g))],
    [
      "name empty, too long or not a string",
      () => (def.name = g.pick<() => unknown>([() => "", () => "n".repeat(g.int(257, 3000)), () => notString(g)])()),
    ],
    ["description too long or not a string", () => (def.description = g.chance(0.5) ? "d".repeat(g.int(4097, 9000)) : notString(g))],
    ["timeoutSeconds out of range or not a number", () => (def.timeoutSeconds = badSeconds(g, false))],
    ["tasks empty or not an array", () => (def.tasks = g.chance(0.3) ? [] : notArray(g))],
    ["tasks holds something other than tasks", () => (def.tasks = [...def.tasks, notObject(g)])],
    [
      "more than 1000 tasks",
      () => (def.tasks = Array.from({ length: g.int(1001, 1200) }, (_, i) => ({ id: `t${i}`, functionName: "noop" }))),
    ],
    [
      "handlers malformed",
      () =>
        (def.handlers = g.pick<() => unknown>([
          () => notObject(g),
          () => ({ onSuccess: { functionName: "doesNotExist" } }),
          () => ({ onWhenever: { functionName: "noop" } }),
          () => ({ onExit: { functionName: "noop", extra: 1 } }),
          () => ({ onFailure: [] }),
        ])()),
    ],
    [
      "unknown definition field",
      () =>
        own(
          def,
          g.pick(["__proto__", "constructor", "prototype", "version", "createdAt", "ID", "tasks ", "", "\u0000", "😀"]),
          g.pick<unknown>([1, "x", {}, null]),
        ),
    ],
    ["task id not an id", () => (task.id = badId(g))],
    ["task id not a string", () => (task.id = notString(g))],
    ["task ids repeat", () => (def.tasks[1].id = def.tasks[0].id)],
    [
      "task name empty, too long or not a string",
      () => (task.name = g.pick<() => unknown>([() => "", () => "n".repeat(g.int(257, 2000)), () => notString(g)])()),
    ],
    [
      "functionName names no function",
      () =>
        (task.functionName = g.pick([
          "",
          "doesNotExist",
          "constructor",
          "__proto__",
          "toString",
          "hasOwnProperty",
          "valueOf",
          "Noop",
          "noop ",
          "shell",
          "http",
          badId(g),
        ])),
    ],
    ["functionName not a string", () => (task.functionName = notString(g))],
    ["params not an object", () => (task.params = notObject(g))],
    ["params nested over 100 deep", () => (task.params = { deep: nested(g, g.int(100, 3000)) })],
    ["maxRetry out of range or not an integer", () => (task.maxRetry = badWhole(g, 0, 999))],
    ["retry not an object", () => (task.retry = notObject(g))],
    ["retry.maxAttempts out of range", () => (task.retry = { maxAttempts: badWhole(g, 1, 1000) })],
    ["retry.intervalSeconds out of range", () => (task.retry = { intervalSeconds: badSeconds(g, true) })],
    [
      "retry.backoffRate out of range",
      () => (task.retry = { backoffRate: g.pick<unknown>([0.5, 0, -2, 101, "2", null, new Raw("1e309")]) }),
    ],
    ["retry.maxDelaySeconds out of range", () => (task.retry = { maxDelaySeconds: badSeconds(g, false) })],
    ["retry.jitterStrategy unknown", () => (task.retry = { jitterStrategy: g.pick<unknown>(["full", "PARTIAL", "", 1, null]) })],
    ["retry.errorEquals malformed", () => (task.retry = { errorEquals: g.pick<unknown>([[], [""], "States.ALL", [1], null, {}]) })],
    ["unknown retry field", () => (task.retry = new Pairs([[g.pick(["__proto__", "constructor", "maxattempts", "interval"]), 1]]))],
    ["maxRetry and retry.maxAttempts disagree", () => Object.assign(task, { maxRetry: 2, retry: { maxAttempts: 5 } })],
    ["task timeoutSeconds out of range", () => (task.timeoutSeconds = badSeconds(g, false))],
    [
      "dependsOn malformed",
      () => (task.dependsOn = g.pick<() => unknown>([() => notArray(g), () => [notString(g)], () => ["ghost"], () => [task.id]])()),
    ],
    ["dependsOn makes a cycle", () => Object.assign(def.tasks[0], { dependsOn: ["b"] })],
    ["continueOnFailure not a boolean", () => (task.continueOnFailure = notBoolean(g))],
    [
      "unknown task field",
      () =>
        own(task, g.pick(["__proto__", "constructor", "function", "retries", "dependson", "status"]), g.pick<unknown>([1, "x", {}, null])),
    ],
  ];
  const [fault, mutate] = g.pick(mutations);
  mutate();
  // A field repeated, the invalid value last (JSON.parse keeps the last).
  if (g.chance(0.15) && fault.startsWith("id ")) {
    const { id, ...rest } = def;
    return {
      body: new Pairs([["id", "fz-dup-first"], ...Object.entries(rest), ["id", id]]),
      fault: `${fault} (after a valid duplicate key)`,
    };
  }
  return { body: def, fault };
}

export function registerDefinition(g: Gen): FuzzCase {
  const route = "POST /job-definitions";
  const roll = g.int(0, 9);
  if (roll === 0) {
    const { body, fault } = overLimit(g);
    return { route, fault, request: { method: "POST", path: "/job-definitions", headers: jsonHeader, body }, expect: [413] };
  }
  if (roll <= 3) {
    const { body, fault } = badJsonBody(g, JSON.stringify(validDefinition(g)));
    return { route, fault, request: { method: "POST", path: "/job-definitions", headers: ctHeader(g), body }, expect: [400] };
  }
  if (roll === 4) {
    return {
      route,
      fault: "body: empty",
      request: { method: "POST", path: "/job-definitions", headers: ctHeader(g), body: utf8(g.pick(["", " ", "\n\t "])) },
      expect: [400],
    };
  }
  const { body, fault } = definitionWithBadField(g);
  let text = jsonText(body);
  // Some of them also carry bytes that are not UTF-8 inside a string: still a 400, whichever is seen first.
  if (g.chance(0.1) && text.includes('"fuzz"'))
    return {
      route,
      fault: `${fault}, and bytes that are not UTF-8`,
      request: {
        method: "POST",
        path: "/job-definitions",
        headers: ctHeader(g),
        body: withBadBytes(g, text.replace('"fuzz"', JSON.stringify(`fuzz${BAD_BYTES_MARK}`))),
      },
      expect: [400],
    };
  if (g.chance(0.1)) text = `\n  ${text}  \n`;
  return { route, fault, request: { method: "POST", path: "/job-definitions", headers: ctHeader(g), body: utf8(text) }, expect: [400] };
}

// ---- GET /job-definitions/{id} ----
export function readDefinition(g: Gen, w: FuzzWorld): FuzzCase {
  const route = "GET /job-definitions/{id}";
  const stored = g.pick(w.definitions);
  switch (g.int(0, 2)) {
    case 0: {
      const id = g.chance(0.5) ? badId(g) : unknownId(g);
      return { route, fault: "no such definition", request: { method: "GET", path: `/job-definitions/${segment(id)}` }, expect: [404] };
    }
    case 1: {
      const version = g.pick([
        "0",
        "-1",
        "1.5",
        "abc",
        "",
        "NaN",
        "Infinity",
        "1e1",
        "1000000001",
        "9999999999",
        " 1",
        "+1",
        "0x1",
        "1,2",
        "\u0661",
      ]);
      const id = g.chance(0.7) ? stored.id : unknownId(g);
      return {
        route,
        fault: "version not a whole number from 1",
        request: { method: "GET", path: `/job-definitions/${segment(id)}?version=${encodeURIComponent(version)}` },
        expect: [400],
      };
    }
    default:
      return {
        route,
        fault: "no such version",
        request: { method: "GET", path: `/job-definitions/${segment(stored.id)}?version=${g.int(stored.versions + 1, 1_000_000_000)}` },
        expect: [404],
      };
  }
}
