/**
 * One in-process engine measurement, printed as one number, for A/B runs between two
 * checkouts (alternate `bun scripts/bench/engine-once.ts 10` in each, several times, and
 * compare medians of the pair ratios):
 *   N = 10 or 100: engine-1task at that limit, executions/s;  N = 5: engine-5task at limit 10, tasks/s.
 */
import { engine1Task, engine5Task } from "./workloads/engine.ts";

const arg = process.argv[2] ?? "10";
if (!["5", "10", "100"].includes(arg)) {
  console.error(`usage: bun scripts/bench/engine-once.ts 10|100|5 (got "${arg}")`);
  process.exit(2);
}
const sizes = { quick: false, historyCount: 0 };
const variant = arg === "5" ? engine5Task(10, sizes) : engine1Task(Number(arg), sizes);
const metrics = await variant.run("normal");
console.log(arg === "5" ? metrics.tasksPerSec : metrics.executionsPerSec);
