// Prints "N passed, N failed" from bun's JUnit reports, and exits non-zero when anything failed
// or when a test run itself failed before writing a report (type errors, build failure).
// Arguments: REPORT STATUS, once per run (.ci/run gives the main suite's, then npm run test:deno's);
// the line adds them up. Plain Node, so CI can run it without Bun.
import { existsSync, readFileSync } from "node:fs";

const args = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
let runFailed = false;
for (let i = 0; i < Math.max(args.length, 1); i += 2) {
  const [report, runStatus = "0"] = [args[i], args[i + 1]];
  if (Number(runStatus) !== 0) runFailed = true;
  if (!report || !existsSync(report)) {
    console.log(`no JUnit report ${report ?? ""}: the type check or the build failed before the tests ran`);
    failed++;
    continue;
  }
  const xml = readFileSync(report, "utf8");
  let ran = 0;
  for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const body = match[2] ?? "";
    if (/<(failure|error)\b/.test(body)) failed++;
    else if (/<skipped\b/.test(body)) skipped++;
    else passed++;
    ran++;
  }
  if (ran === 0 && Number(runStatus) !== 0) failed++;
}
// The last line is exactly "N passed, N failed" (what CI reads); skipped tests get a line of their own before it.
if (skipped) console.log(`${skipped} skipped`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || runFailed ? 1 : 0);
