/**
 * `npm run bench`: Baton's benchmark. Runs bounded workloads on 127.0.0.1 only, each at
 * `--sync normal` and `--sync full`, repeats every measurement (`--runs`, default 3) and
 * prints one JSON line per workload variant (median, min and max of every metric, every run's
 * values, and the targets with whether the median meets them), then a table and, per target,
 * its metric run by run. Progress goes to stderr. `remote-1task` measures the local and the
 * remote path in alternating order within each run, so its ratio is one per round.
 *
 *   npm run bench                                  everything (about 10 minutes on 2 cores)
 *   npm run bench -- --workload engine-1task,rest-1task --sync normal --runs 5
 *   npm run bench -- --quick --runs 1              a smoke run with a tenth of the load
 *   npm run bench -- --workload retention --sync normal --runs 1   only when named (minutes: 1M executions)
 *   npm run bench -- --workload rest-reference --sync normal --runs 3   only when named: Baton against the references (issue 18)
 */
import { parseArgs } from "node:util";
import { ensureBinary, log, round, type Spread, spread } from "./bench/common.ts";
import { NAMED_ONLY_WORKLOADS, type Sync, type Target, variantsOf, WORKLOADS, type WorkloadName } from "./bench/workloads.ts";

const KNOWN: readonly string[] = [...WORKLOADS, ...NAMED_ONLY_WORKLOADS];
const USAGE = `usage: npm run bench -- [--workload ${KNOWN.join(",")}] [--sync normal|full|both] [--runs N] [--quick] [--history-count N]`;

function options() {
  const parse = () =>
    parseArgs({
      options: {
        workload: { type: "string" },
        sync: { type: "string", default: "both" },
        runs: { type: "string", default: "3" },
        quick: { type: "boolean", default: false },
        "history-count": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    });
  let values: ReturnType<typeof parse>["values"];
  try {
    ({ values } = parse());
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const workloads = (values.workload?.split(",") ?? [...WORKLOADS]).map((w) => w.trim());
  for (const w of workloads) if (!KNOWN.includes(w)) fail(`unknown workload "${w}"; one of ${KNOWN.join(", ")}`);
  if (!["normal", "full", "both"].includes(values.sync!)) fail(`--sync must be normal, full or both`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1 || runs > 50) fail("--runs must be a whole number from 1 to 50");
  const historyCount = values["history-count"] === undefined ? (values.quick ? 100_000 : 1_000_000) : Number(values["history-count"]);
  if (!Number.isInteger(historyCount) || historyCount < 1) fail("--history-count must be a positive whole number");
  const syncs: Sync[] = values.sync === "both" ? ["normal", "full"] : [values.sync as Sync];
  return { workloads: workloads as WorkloadName[], syncs, runs, quick: values.quick!, historyCount };
}

function fail(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}\n`);
  process.exit(2);
}

interface Row {
  workload: string;
  sync: Sync;
  params: Record<string, number | string>;
  runs: number;
  metrics: Record<string, Spread>;
  /** Every run's metrics, in order. */
  samples: Record<string, number>[];
  targets: (Target & { median: number; met: boolean })[];
}

const opts = options();
await ensureBinary();
const rows: Row[] = [];
/** Metrics a variant asks to see run by run although they have no target (e.g. rest-reference's ratios). */
const perRun: [Row, string[]][] = [];
for (const name of opts.workloads) {
  for (const variant of variantsOf(name, { quick: opts.quick, historyCount: opts.historyCount })) {
    for (const sync of opts.syncs) {
      const samples: Record<string, number>[] = [];
      for (let i = 0; i < opts.runs; i++) {
        log(`${variant.workload} ${JSON.stringify(variant.params)} sync=${sync}: run ${i + 1}/${opts.runs}`);
        samples.push(await variant.run(sync));
      }
      const metrics = Object.fromEntries(Object.keys(samples[0]!).map((k) => [k, spread(samples.map((s) => s[k]!))]));
      const targets = variant.targets(sync).map((t) => {
        const median = metrics[t.metric]!.median;
        return { ...t, median, met: (t.min === undefined || median >= t.min) && (t.max === undefined || median <= t.max) };
      });
      const row: Row = {
        workload: variant.workload,
        sync,
        params: variant.params,
        runs: opts.runs,
        metrics,
        samples: samples.map((s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, round(v)]))),
        targets,
      };
      rows.push(row);
      if (variant.perRun) perRun.push([row, variant.perRun]);
      process.stdout.write(`${JSON.stringify(row)}\n`);
    }
  }
}

// The table: one line per metric, median [min – max], and the target when there is one.
const lines = ["", "| workload | sync | params | metric | median | min – max | target |", "|---|---|---|---|---:|---|---|"];
for (const row of rows) {
  for (const [metric, s] of Object.entries(row.metrics)) {
    const target = row.targets.find((t) => t.metric === metric);
    const goal = target ? `${target.min !== undefined ? `≥ ${target.min}` : `< ${target.max}`} ${target.met ? "met" : "MISSED"}` : "";
    const params = Object.entries(row.params)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ");
    lines.push(
      `| ${row.workload} | ${row.sync} | ${params} | ${metric} | ${round(s.median)} | ${round(s.min)} – ${round(s.max)} | ${goal} |`,
    );
  }
}
// Each target's metric run by run (for remote-1task: the ratio of each round), then its median.
lines.push("");
for (const row of rows)
  for (const t of row.targets)
    lines.push(
      `${row.workload} ${row.sync} ${t.metric} per run: ${row.samples.map((s) => round(s[t.metric]!)).join(", ")}; median ${round(t.median)}`,
    );
for (const [row, metrics] of perRun) {
  const params = Object.entries(row.params)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
  for (const m of metrics)
    lines.push(
      `${row.workload} ${row.sync} ${params} ${m} per run: ${row.samples.map((s) => s[m]!).join(", ")}; median ${row.metrics[m]!.median}`,
    );
}
process.stdout.write(`${lines.join("\n")}\n`);
