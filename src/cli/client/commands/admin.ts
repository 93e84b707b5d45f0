/**
 * `baton workers` (remote workers seen lately) and `baton schedules [list|show|pause|resume|trigger]`
 * (the cron schedules of the definitions) through the API.
 */
import { UsageError } from "../../config.ts";
import { expectPositionals } from "../args.ts";
import { EXIT, printJson, type Session, seg } from "../session.ts";
import { fields, table, when } from "../table.ts";

interface Worker {
  workerId: string;
  functions: string[];
  lastSeenAt: string;
  leases: number;
}

export async function workers(s: Session): Promise<number> {
  expectPositionals("workers", s.positionals, [], "baton workers");
  const { body } = await s.api.get<{ workers: Worker[] }>("/workers");
  if (s.output === "json") printJson(s, body);
  else
    s.out(
      table(
        body.workers,
        [
          { header: "WORKER", cell: (w) => w.workerId },
          { header: "LEASES", cell: (w) => w.leases },
          { header: "LAST SEEN", cell: (w) => when(w.lastSeenAt) },
          { header: "FUNCTIONS", cell: (w) => w.functions },
        ],
        "no worker polled in the last 10 minutes",
      ),
    );
  return EXIT.done;
}

interface Schedule {
  definitionId: string;
  id: string;
  cron: string;
  timezone: string;
  overlap: string;
  paused: boolean;
  lastFire: string | null;
  missedCount: number;
  skippedCount: number;
  nextFireTimes: { utc: string; local: string }[];
}

const scheduleColumns = [
  { header: "DEFINITION", cell: (x: Schedule) => x.definitionId },
  { header: "SCHEDULE", cell: (x: Schedule) => x.id },
  { header: "CRON", cell: (x: Schedule) => x.cron },
  { header: "TIMEZONE", cell: (x: Schedule) => x.timezone },
  { header: "STATE", cell: (x: Schedule) => (x.paused ? "paused" : "active") },
  { header: "LAST FIRE", cell: (x: Schedule) => when(x.lastFire) },
  { header: "NEXT FIRE (LOCAL)", cell: (x: Schedule) => x.nextFireTimes[0]?.local },
];

const ACTIONS = ["list", "show", "pause", "resume", "trigger"];

export async function schedules(s: Session): Promise<number> {
  const [action = "list", ...rest] = s.positionals;
  if (!ACTIONS.includes(action))
    throw new UsageError(
      `schedules: unknown action "${action}"; use one of ${ACTIONS.join(", ")}, e.g. baton schedules pause nightly-export nightly`,
    );
  if (action === "list") {
    expectPositionals("schedules list", rest, [], "baton schedules");
    const { body } = await s.api.get<{ schedules: Schedule[] }>("/schedules");
    if (s.output === "json") printJson(s, body);
    else s.out(table(body.schedules, scheduleColumns, 'no schedules; a definition declares them in "schedules"'));
    return EXIT.done;
  }
  const [def, id] = expectPositionals(
    `schedules ${action}`,
    rest,
    ["a definition id", "a schedule id"],
    `baton schedules ${action} nightly-export nightly`,
  );
  const path = `/schedules/${seg(def!)}/${seg(id!)}`;
  if (action === "trigger") {
    const { body } = await s.api.post<{ executionID: string; status: string }>(`${path}/trigger`);
    if (s.output === "json") printJson(s, body);
    else s.out(`triggered ${def}/${id}: started ${body.executionID} (${body.status})\n`);
    return EXIT.done;
  }
  const { body } = action === "show" ? await s.api.get<Schedule>(path) : await s.api.post<Schedule>(`${path}/${action}`);
  if (s.output === "json") {
    printJson(s, body);
    return EXIT.done;
  }
  s.out(
    fields([
      ["schedule", `${body.definitionId}/${body.id}`],
      ["cron", `${body.cron} (${body.timezone})`],
      ["state", body.paused ? "paused" : "active"],
      ["overlap", body.overlap],
      ["last fire", when(body.lastFire)],
      ["missed", body.missedCount],
      ["skipped", body.skippedCount],
      ["next fires", body.nextFireTimes.map((t) => t.local).join(", ")],
    ]),
  );
  return EXIT.done;
}
