/**
 * Function modules, black box: the compiled binary copied alone into an empty folder loads a
 * `.ts`, a `.js` and an `.mjs` module from `functions/` next to it and runs them with
 * templates and retries; every kind of bad module refuses the start with exit 1 and one line.
 * Under `npm run test:deno`, `deno run` starts in that folder instead, with the same modules.
 */
import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BINARY, E2E_RUNTIME, ROOT, runBaton, startBaton, state, tempDir, waitFor, waitForStatus } from "./harness.ts";

/**
 * One copy of the binary on the temporary folders' file system, so each test can hard-link it instead of copying 100 MB.
 * Under Deno (`npm run test:deno`) there is no binary: `deno run` starts in the same folder, empty but for the modules.
 */
const COPY =
  E2E_RUNTIME === "deno"
    ? null
    : (() => {
        const binary = join(tempDir(), "baton");
        copyFileSync(BINARY, binary);
        chmodSync(binary, 0o755);
        return binary;
      })();

/** An empty folder holding only the binary (nothing under Deno); returns the folder and the binary's path. */
function binaryAlone(): { dir: string; binary: string | undefined } {
  const dir = tempDir();
  if (COPY === null) return { dir, binary: undefined };
  const binary = join(dir, "baton");
  linkSync(COPY, binary);
  return { dir, binary };
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
}

/** The folder the tests run in: the binary, the example module and definition, a .js and an .mjs module, a local package. */
function deployment(): { dir: string; binary: string | undefined } {
  const { dir, binary } = binaryAlone();
  mkdirSync(join(dir, "functions"));
  mkdirSync(join(dir, "jobs"));
  copyFileSync(join(ROOT, "examples", "functions", "orders.ts"), join(dir, "functions", "orders.ts"));
  copyFileSync(join(ROOT, "examples", "jobs", "convert-orders.json"), join(dir, "jobs", "convert-orders.json"));
  writeFiles(dir, {
    "functions/text.js": 'export function shout(ctx) {\n  return { text: String(ctx.params.text).toUpperCase() + "!" };\n}\n',
    "functions/hash.mjs": [
      'import { createHash } from "node:crypto";',
      'import { pad } from "local-pad";',
      'import { PREFIX } from "./lib/prefix.mjs";',
      "export const sha256 = (ctx) => ({ digest: createHash('sha256').update(PREFIX + ctx.params.text).digest('hex'), attempt: ctx.params.attempt, padded: pad(ctx.params.text) });",
      "",
    ].join("\n"),
    "functions/lib/prefix.mjs": 'export const PREFIX = "v1:";\n',
    "node_modules/local-pad/package.json": JSON.stringify({ name: "local-pad", version: "1.0.0", type: "module", main: "index.js" }),
    "node_modules/local-pad/index.js": 'export const pad = (s) => "[" + s + "]";\n',
    "jobs/text-and-hash.json": JSON.stringify({
      id: "text-and-hash",
      tasks: [
        { id: "shout", functionName: "shout", params: { text: "{{input.word}}" } },
        { id: "digest", functionName: "sha256", params: { text: "{{tasks.shout.output.text}}", attempt: "{{task.attempt}}" } },
      ],
    }),
  });
  return { dir, binary };
}

describe("function modules in the compiled binary", () => {
  test("a .ts, a .js and an .mjs module next to the binary load and run, with templates", async () => {
    const { dir, binary } = deployment();
    const baton = await startBaton({ binary, cwd: dir, jobs: "jobs", args: ["--functions", "functions"] });
    for (const line of [
      "function module loaded file=functions/hash.mjs functions=sha256",
      "function module loaded file=functions/orders.ts functions=convertOrders,loadRates",
      "function module loaded file=functions/text.js functions=shout",
    ])
      expect(baton.logs()).toContain(line);
    const res = await baton.json("POST", "/jobs/text-and-hash/execute", { word: "baton" });
    const done = await waitForStatus(baton, res.body.executionID, ["COMPLETED", "FAILED"]);
    expect(done.status).toBe("COMPLETED");
    const digest = createHash("sha256").update("v1:BATON!").digest("hex");
    expect(done.output).toEqual({ digest: { digest, attempt: 1, padded: "[BATON!]" } });
    expect(await baton.stop()).toBe(0);
  });

  test("the example module's retryable error is retried until the data it waits for lands", async () => {
    const { dir, binary } = deployment();
    const baton = await startBaton({ binary, cwd: dir, jobs: "jobs", args: ["--functions", "functions"] });
    const ratesFile = join(dir, "rates.json");
    const orders = [
      { sku: "A-1", quantity: 2, unitPrice: 10, currency: "USD" },
      { sku: "B-7", quantity: 1, unitPrice: 8, currency: "GBP" },
      { sku: "A-1", quantity: 1, unitPrice: 5, currency: "EUR" },
    ];
    const res = await baton.json("POST", "/jobs/convert-orders/execute", { ratesFile, orders });
    expect(res.status).toBe(202);
    const id = res.body.executionID;
    const retrying = await waitFor("the rates task to be retrying", async () => {
      const rates = (await state(baton, id)).tasks.find((t: { id: string }) => t.id === "rates");
      return rates.status === "RETRYING" ? rates : undefined;
    });
    expect(retrying.error).toEqual({ name: "RatesNotReady", message: `no rates file at ${ratesFile} yet` });
    copyFileSync(join(ROOT, "examples", "rates.json"), ratesFile);
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
    expect(done.status).toBe("COMPLETED");
    expect(done.output).toEqual({ convert: { currency: "EUR", lines: 3, total: 31, bySku: { "A-1": 21, "B-7": 10 } } });
    expect(done.tasks[0].attempts).toBeGreaterThanOrEqual(2);
    expect(baton.logs()).toContain(`rates loaded execution=${id} task=rates`);
    expect(await baton.stop()).toBe(0);
  });

  test("BATON_FUNCTIONS_DIR names the folder when no flag does", async () => {
    const { dir, binary } = deployment();
    const baton = await startBaton({ binary, cwd: dir, jobs: "jobs", env: { BATON_FUNCTIONS_DIR: "functions" } });
    expect(baton.logs()).toContain("function module loaded file=functions/text.js functions=shout");
    expect(await baton.stop()).toBe(0);
  });
});

/** Each bad folder, and the exact line `serve` must refuse it with (after "baton: cannot start: "). */
const REFUSALS: [string, Record<string, string>, string][] = [
  ["a syntax error", { "broken.ts": "export function broken( {\n" }, "m/broken.ts: cannot load the module: syntax error at line 1: "],
  [
    "a module that throws while loading",
    { "config.mjs": "throw new Error('SHOP_URL is not set');\n" },
    "m/config.mjs: cannot load the module: it threw while loading: SHOP_URL is not set",
  ],
  [
    "an import of a package bundled into baton",
    { "web.ts": 'import { Hono } from "hono";\nexport const web = () => new Hono();\n' },
    // Each runtime's loader says it in its own words; Baton adds what a module may import.
    E2E_RUNTIME === "deno"
      ? 'm/web.ts: cannot load the module: Import "hono" not a dependency; a module can import node:* built-ins'
      : "m/web.ts: cannot load the module: Cannot find package 'hono' imported from ",
  ],
  [
    "a module that exports nothing callable",
    { "consts.js": "export const LIMIT = 3;\n" },
    "m/consts.js: exports no function; export each task function by name (export function myTask(ctx) …), or move the file out of the folder",
  ],
  [
    "a default-exported function",
    { "anon.mjs": "export default () => 1;\n" },
    "m/anon.mjs: its default export is a function, and a task function needs a name",
  ],
  [
    "a clash with a built-in",
    { "mine.ts": "export const sleep = () => 1;\n" },
    'm/mine.ts: exports "sleep", which is a built-in function; rename the export',
  ],
  [
    "a clash between two modules",
    { "a.ts": "export const transform = () => 1;\n", "b.js": "export const transform = () => 2;\n" },
    'm/b.js: exports "transform", which m/a.ts already exports; rename one of them',
  ],
];

describe("refused starts: exit 1, one line naming the file and the reason, no database created", () => {
  for (const [what, files, expected] of REFUSALS) {
    test(what, async () => {
      const { dir, binary } = binaryAlone();
      mkdirSync(join(dir, "m"));
      writeFiles(join(dir, "m"), files);
      const { code, stdout, stderr } = await runBaton(["serve", "--port", "0", "--functions", "m"], { binary, cwd: dir });
      expect(code).toBe(1);
      expect(stdout).toBe("");
      expect(stderr.split("\n")).toHaveLength(2); // one line and its newline
      expect(stderr).toStartWith(`baton: cannot start: ${expected}`);
      expect(existsSync(join(dir, "data"))).toBe(false);
    });
  }

  test("a functions folder that does not exist, named by the environment", async () => {
    const { dir, binary } = binaryAlone();
    const { code, stderr } = await runBaton(["serve", "--port", "0"], { binary, cwd: dir, env: { BATON_FUNCTIONS_DIR: "nope" } });
    expect(code).toBe(1);
    expect(stderr).toBe(
      "baton: cannot start: the functions folder nope does not exist; create it, or name another with --functions or BATON_FUNCTIONS_DIR\n",
    );
  });
});

describe("validate --functions", () => {
  test("serve --help and validate --help name the flag", async () => {
    const serve = await runBaton(["serve", "--help"]);
    expect(serve.stdout).toContain("--functions");
    expect(serve.stdout).toContain("no default, env BATON_FUNCTIONS_DIR");
    const validate = await runBaton(["validate", "--help"]);
    expect(validate.stdout).toContain("Usage: baton validate [--functions DIR] FILE...");
  });

  test("accepts the modules' function names, which are unknown without them", async () => {
    const { dir, binary } = deployment();
    const without = await runBaton(["validate", "jobs/convert-orders.json"], { binary, cwd: dir });
    expect(without.code).toBe(1);
    expect(without.stderr).toBe(
      [
        'FAIL jobs/convert-orders.json: $.tasks[0].functionName names no registered function: "loadRates"',
        'FAIL jobs/convert-orders.json: $.tasks[1].functionName names no registered function: "convertOrders"',
        "",
      ].join("\n"),
    );
    const withModules = await runBaton(["validate", "--functions", "functions", "jobs/convert-orders.json", "jobs/text-and-hash.json"], {
      binary,
      cwd: dir,
    });
    expect(withModules).toEqual({
      code: 0,
      stdout: "ok   jobs/convert-orders.json (convert-orders, 2 tasks)\nok   jobs/text-and-hash.json (text-and-hash, 2 tasks)\n",
      stderr: "",
    });
  });

  test("a bad module fails validate with exit 1 and its one line", async () => {
    const { dir, binary } = deployment();
    writeFiles(dir, { "functions/zz.ts": "export const echo = () => 1;\n" });
    const { code, stderr } = await runBaton(["validate", "--functions", "functions", "jobs/convert-orders.json"], { binary, cwd: dir });
    expect(code).toBe(1);
    expect(stderr).toBe('baton: functions/zz.ts: exports "echo", which is a built-in function; rename the export\n');
  });
});
