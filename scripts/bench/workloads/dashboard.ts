/**
 * The page benchmark (#17): on the `history` workload's data (1,000,000 executions over the
 * last 1,000,000 ms, one in 20 FAILED, all of them in "the last 24 hours"), each dashboard page
 * is timed next to the API read of the same data, over HTTP against one server, in the same
 * run: each round times every pair, page and API request alternating, and each metric is the
 * median of all rounds. The ratio is page / API; the target is at most 2.
 *
 * The overview has no one API read: its counts, running and queued executions come from
 * /system/state, its schedules from /schedules, its workers from /workers, and its failure
 * groups from the newest 10,000 FAILED executions of the last day, which the API can only give
 * as pages of /jobs?status=FAILED. It is measured twice: against the three reads without the
 * failures (`overviewNoFailures`, no target: the page does more than the API side there), and
 * against the same data with the failures paged (`overview`). A search inside input and output
 * that matches nothing (`search`: the page reads its cap, 10,000 executions of one definition)
 * is measured against the API pages that give a client the same 10,000 to search.
 *
 * `npm run bench -- --workload dashboard --sync normal` alone: about 50 s for three runs
 * (13 s of it seeding the million executions, once per process), so it is in the default list.
 */
import { Database } from "bun:sqlite";
import { freshCopy, HISTORY_DEFINITIONS, historyRow, seededOnce, startServer } from "../common.ts";
import type { Metrics, Sizes, Variant } from "./types.ts";

interface Pair {
  name: string;
  page: string;
  /** The API requests that read the same data, made one after the other. */
  api: string[];
}

const ROUNDS = 7;
const PER_ROUND = 15;

/** The pairs, with the ids and cursors they need read from the database itself. */
function pairs(path: string, url: string): Promise<Pair[]> {
  const db = new Database(path, { readonly: true });
  const count = (db.query("SELECT COUNT(*) AS n FROM executions").get() as { n: number }).n;
  const middle = (db.query("SELECT id FROM executions WHERE seq = ?1").get(Math.ceil(count / 2)) as { id: string }).id;
  db.close();
  const deep = String(Math.max(1, Math.floor(count / 10)));
  return (async () => {
    // The newest 10,000 failures, as the API pages them (500 a page): the cursors are read once.
    const failures = ["/jobs?status=FAILED&limit=500"];
    for (let read = 500; read < 10_000; read += 500) {
      const body = (await (await fetch(`${url}${failures.at(-1)}`)).json()) as { nextCursor: string | null };
      if (body.nextCursor === null) break;
      failures.push(`/jobs?status=FAILED&limit=500&cursor=${body.nextCursor}`);
    }
    // A search that matches nothing reads its whole cap (10,000 of beta's executions); the API
    // can only hand a client the same executions to search itself, 500 a page.
    const beta = ["/jobs?definitionId=beta&limit=500"];
    for (let read = 500; read < 10_000; read += 500) {
      const body = (await (await fetch(`${url}${beta.at(-1)}`)).json()) as { nextCursor: string | null };
      if (body.nextCursor === null) break;
      beta.push(`/jobs?definitionId=beta&limit=500&cursor=${body.nextCursor}`);
    }
    const from = new Date(Date.now() - 86_400_000).toISOString().slice(0, 19);
    const overviewReads = ["/system/state", "/schedules", "/workers"];
    return [
      { name: "overviewNoFailures", page: "/ui/", api: overviewReads },
      { name: "overview", page: "/ui/", api: [...overviewReads, ...failures] },
      { name: "executions", page: "/ui/executions", api: ["/jobs?limit=50"] },
      { name: "executionsDeep", page: `/ui/executions?cursor=${deep}`, api: [`/jobs?limit=50&cursor=${deep}`] },
      {
        name: "executionsFiltered",
        page: "/ui/executions?status=FAILED&definition=beta",
        api: ["/jobs?status=FAILED&definitionId=beta&limit=50"],
      },
      { name: "search", page: `/ui/executions?definition=beta&from=${from}&text=no-such-text`, api: beta },
      { name: "execution", page: `/ui/executions/${middle}`, api: [`/jobs/${middle}/state`, `/jobs/${middle}/events`] },
      { name: "definitions", page: "/ui/definitions", api: ["/job-definitions", "/schedules"] },
      { name: "definition", page: "/ui/definitions/beta", api: ["/job-definitions/beta", "/schedules"] },
    ];
  })();
}

async function timed(url: string, paths: string[]): Promise<number> {
  const t = performance.now();
  for (const p of paths) {
    const res = await fetch(`${url}${p}`);
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`GET ${p} answered ${res.status}`);
  }
  return performance.now() - t;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export function dashboard(sizes: Sizes): Variant {
  const count = sizes.historyCount;
  const seeded = seededOnce(HISTORY_DEFINITIONS, count, historyRow);
  // Targets on the same data read both ways; overviewNoFailures leaves the failure groups out
  // of the API side only, so it says what they cost rather than how the page compares.
  const names = ["overview", "executions", "executionsDeep", "executionsFiltered", "search", "execution", "definitions", "definition"];
  return {
    workload: "dashboard",
    params: { executions: count, rounds: ROUNDS, perRound: PER_ROUND },
    async run(sync) {
      const path = freshCopy(seeded());
      const server = await startServer({ db: path, sync, limit: 10 });
      try {
        const list = await pairs(path, server.url);
        const page: Record<string, number[]> = {};
        const api: Record<string, number[]> = {};
        for (const p of list) {
          await timed(server.url, [p.page, ...p.api]); // warm both
          page[p.name] = [];
          api[p.name] = [];
        }
        for (let round = 0; round < ROUNDS; round++)
          for (const p of list)
            for (let i = 0; i < PER_ROUND; i++) {
              page[p.name]!.push(await timed(server.url, [p.page]));
              api[p.name]!.push(await timed(server.url, p.api));
            }
        const metrics: Metrics = {};
        for (const p of list) {
          const pageMs = median(page[p.name]!);
          const apiMs = median(api[p.name]!);
          metrics[`${p.name}PageMs`] = pageMs;
          metrics[`${p.name}ApiMs`] = apiMs;
          metrics[`${p.name}Ratio`] = pageMs / apiMs;
        }
        return metrics;
      } finally {
        await server.stop();
      }
    },
    targets: () => names.map((n) => ({ metric: `${n}Ratio`, max: 2 })),
  };
}
