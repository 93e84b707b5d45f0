/** Hostile requests to /schedules: schedules that do not exist (404) and event pages asked for badly (400). */
import type { FuzzCase, FuzzWorld } from "./model.ts";
import { type Gen, segment, unknownId } from "./values.ts";

/** A query of a schedule's events that is not a page: each a 400 (checked before the schedule is looked up). */
const BAD_PAGES = ["limit=0", "limit=501", "limit=-1", "limit=1.5", "limit=ten", "cursor=0", "cursor=abc", "cursor=-5", "cursor=1e3"];

export function schedules(g: Gen, w: FuzzWorld): FuzzCase {
  // The fuzz world declares no schedules: any definition id, known or not, names none.
  const path = `/schedules/${segment(g.pick([g.pick(w.definitions).id, unknownId(g)]))}/${segment(unknownId(g))}`;
  switch (g.int(0, 4)) {
    case 0:
      return {
        route: "GET /schedules/{definitionId}/{scheduleId}",
        fault: "no such schedule",
        request: { method: "GET", path },
        expect: [404],
      };
    case 1:
      return {
        route: "GET /schedules/{definitionId}/{scheduleId}/events",
        fault: "events: a bad page query",
        request: { method: "GET", path: `${path}/events?${g.pick(BAD_PAGES)}` },
        expect: [400],
      };
    default: {
      const action = g.pick(["pause", "resume", "trigger"] as const);
      return {
        route: `POST /schedules/{definitionId}/{scheduleId}/${action}`,
        fault: `${action}: no such schedule`,
        request: { method: "POST", path: `${path}/${action}` },
        expect: [404],
      };
    }
  }
}
