/**
 * Builds the self-contained executable dist/baton: minified, with source maps for readable
 * stack traces, the version and commit embedded, and no autoloading of a stray .env or
 * bunfig.toml from the directory it is started in.
 */
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const outfile = process.argv[2] ?? join(root, "dist", "baton");
const git = spawnSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" });
const commit = git.status === 0 ? git.stdout.trim() : "unknown";
const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" }).stdout?.trim()
  ? ".dirty"
  : "";

const started = performance.now();
const result = spawnSync(
  process.execPath,
  [
    "build",
    "--compile",
    "--minify",
    "--keep-names",
    "--sourcemap=linked",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    `--define=BATON_BUILD=${JSON.stringify(commit + dirty)}`,
    // Entry points land under the executable's virtual root by their path below src/.
    `--define=BATON_CHECKPOINT_WORKER=${JSON.stringify("./store/sqlite/checkpoint-worker.js")}`,
    `--define=BATON_BACKUP_WORKER=${JSON.stringify("./store/sqlite/backup-worker.js")}`,
    join(root, "src/cli/main.ts"),
    // A worker thread's entry point must be compiled in as an entry point of its own.
    join(root, "src/store/sqlite/checkpoint-worker.ts"),
    join(root, "src/store/sqlite/backup-worker.ts"),
    "--outfile",
    outfile,
  ],
  { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
);
if (result.status !== 0) {
  console.error(`build failed (exit ${result.status})`);
  process.exit(1);
}
const mib = (statSync(outfile).size / 1024 / 1024).toFixed(1);
console.log(`built ${outfile} (${mib} MiB, commit ${commit}${dirty}) in ${Math.round(performance.now() - started)} ms`);
