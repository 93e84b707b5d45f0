// Prints "N passed, N failed" from bun's JUnit report, and exits non-zero when anything failed
// or when the test run itself failed before writing a report (type errors, build failure).
// Plain Node, so CI can run it without Bun.
import { existsSync, readFileSync } from "node:fs";

const [report, runStatus = "0"] = process.argv.slice(2);
if (!report || !existsSync(report)) {
  console.log("no JUnit report: the type check or the build failed before the tests ran");
  console.log("0 passed, 1 failed");
  process.exit(1);
}
const xml = readFileSync(report, "utf8");
let passed = 0;
let failed = 0;
let skipped = 0;
for (const match of xml.matchAll(/<testcase\b[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
  const body = match[2] ?? "";
  if (/<(failure|error)\b/.test(body)) failed++;
  else if (/<skipped\b/.test(body)) skipped++;
  else passed++;
}
if (passed + failed === 0 && Number(runStatus) !== 0) failed = 1;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 || Number(runStatus) !== 0 ? 1 : 0);
