/**
 * A small, realistic world for the browser tests and the screenshots, made through the API of
 * a running binary (started with --allow-shell-api): successes, an import that succeeds on its
 * second attempt, one that fails after its retries, a shell task with stdout, a rerun, and a
 * schedule that was triggered once. No bun:test here, so `scripts/screenshots.ts` uses it too.
 */

export type Request = (method: string, path: string, body?: unknown) => Promise<Response>;

export interface World {
  /** Executions that completed, first attempt. */
  completed: string[];
  /** Completed after a failed first attempt. */
  retried: string;
  /** Failed after its three attempts (UpstreamDown). */
  failed: string;
  /** A shell task that printed to stdout. */
  shell: string;
  /** A rerun of completed[0] from its `transform` task. */
  rerun: string;
  /** Started by the `nightly` schedule's trigger. */
  scheduled: string;
  definitions: string[];
}

const retry = { maxAttempts: 3, intervalSeconds: 0.05 };

export const DEFINITIONS = [
  {
    id: "nightly-report",
    name: "Nightly report",
    description: "Collects yesterday's orders, totals them and publishes the report.",
    tasks: [
      { id: "collect", functionName: "echo" },
      { id: "total", functionName: "echo", dependsOn: ["collect"] },
      { id: "render", functionName: "noop", dependsOn: ["collect"] },
      { id: "publish", functionName: "noop", dependsOn: ["total", "render"] },
    ],
    schedules: [{ id: "nightly", cron: "0 2 * * *", timezone: "Europe/Berlin" }],
  },
  {
    id: "import-orders",
    name: "Import orders",
    tasks: [
      { id: "download", functionName: "fail", params: { times: 1, errorName: "UpstreamTimeout" }, retry },
      { id: "load", functionName: "echo" },
    ],
  },
  {
    id: "sync-inventory",
    name: "Sync inventory",
    tasks: [
      { id: "fetch", functionName: "noop" },
      { id: "push", functionName: "fail", params: { errorName: "UpstreamDown", message: "inventory API answered 503" }, retry },
    ],
  },
  {
    id: "backup-db",
    name: "Back up the database",
    tasks: [
      {
        id: "dump",
        functionName: "shell",
        params: { command: ["sh", "-c", "echo 'dumping orders…'; echo '1204 rows written'; echo '{\"rows\":1204}' >&2"] },
      },
    ],
  },
];

async function json(request: Request, method: string, path: string, body?: unknown): Promise<any> {
  const res = await request(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${await res.text()}`);
  return await res.json();
}

async function settled(request: Request, id: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const { status } = await json(request, "GET", `/jobs/${id}/state`);
    if (["COMPLETED", "FAILED", "CANCELLED"].includes(status)) return;
    if (Date.now() > deadline) throw new Error(`${id} did not finish within 20 s (${status})`);
    await Bun.sleep(20);
  }
}

export async function makeWorld(request: Request): Promise<World> {
  for (const d of DEFINITIONS) await json(request, "POST", "/job-definitions", d);
  // A second version, so the definition's page lists two and links to their diff.
  const changed = structuredClone(DEFINITIONS[0]!);
  changed.tasks[3] = { id: "publish", functionName: "echo", dependsOn: ["total", "render"] };
  await json(request, "POST", "/job-definitions", changed);
  const run = async (definition: string, input: unknown) =>
    (await json(request, "POST", `/jobs/${definition}/execute`, input)).executionID as string;
  const completed = [
    await run("nightly-report", { day: "2026-11-29", region: "eu" }),
    await run("nightly-report", { day: "2026-11-28", region: "us" }),
  ];
  const retried = await run("import-orders", { batch: 17 });
  const failed = await run("sync-inventory", { warehouse: "north" });
  const shell = await run("backup-db", {});
  for (const id of [...completed, retried, failed, shell]) await settled(request, id);
  const rerun = (await json(request, "POST", `/jobs/${completed[0]}/rerun`, { fromTask: "total" })).executionID as string;
  const scheduled = (await json(request, "POST", "/schedules/nightly-report/nightly/trigger")).executionID as string;
  for (const id of [rerun, scheduled]) await settled(request, id);
  return {
    completed,
    retried,
    failed,
    shell,
    rerun,
    scheduled,
    definitions: DEFINITIONS.map((d) => d.id),
  };
}
