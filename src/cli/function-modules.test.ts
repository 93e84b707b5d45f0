import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { taskContext } from "../../test/helpers/task-context.ts";
import { builtinFunctions } from "../tasks/registry.ts";
import { FunctionModuleError, loadFunctionModules, moduleFilesIn } from "./function-modules.ts";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "baton-function-modules-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

/** The refusal's one line; fails the test when the load succeeds or throws something else. */
async function refusal(): Promise<string> {
  try {
    await loadFunctionModules(dir, builtinFunctions());
  } catch (err) {
    expect(err).toBeInstanceOf(FunctionModuleError);
    const message = (err as Error).message;
    expect(message).not.toContain("\n");
    return message;
  }
  throw new Error("the modules loaded, a refusal was expected");
}

const ctx = (params: Record<string, unknown> = {}) => taskContext(params);

describe("loadFunctionModules", () => {
  test("loads named exports of .ts, .js and .mjs files, in file-name order, under the names they are exported as", async () => {
    write("b.ts", "export function double(ctx: { params: { n: number } }): number { return ctx.params.n * 2; }\n");
    write("a.js", "export const shout = (ctx) => String(ctx.params.text).toUpperCase();\nexport { shout as yell };\n");
    write("c.mjs", "import { basename } from 'node:path';\nexport async function base(ctx) { return basename(ctx.params.path); }\n");
    const { functions, modules } = await loadFunctionModules(dir, builtinFunctions());
    expect(modules).toEqual([
      { file: join(dir, "a.js"), names: ["shout", "yell"] },
      { file: join(dir, "b.ts"), names: ["double"] },
      { file: join(dir, "c.mjs"), names: ["base"] },
    ]);
    expect(functions.double!(ctx({ n: 21 }))).toBe(42);
    expect(functions.yell!(ctx({ text: "hi" }))).toBe("HI");
    expect(await functions.base!(ctx({ path: "/a/b.txt" }))).toBe("b.txt");
    const registry = builtinFunctions(functions);
    expect(registry.has("double") && registry.has("echo")).toBe(true);
  });

  test("ignores constants, classes and files that are not modules; follows the module's own relative imports", async () => {
    mkdirSync(join(dir, "lib"));
    writeFileSync(join(dir, "lib", "words.ts"), 'export const greet = (name: string) => "hello " + name;\n');
    write(
      "greet.ts",
      "import { greet } from './lib/words.ts';\nexport const LIMIT = 3;\nexport class Busy extends Error {}\nexport function hello(ctx: { params: { name: string } }) { return greet(ctx.params.name); }\n",
    );
    write("README.md", "not a module");
    write("types.d.ts", "export declare function nothing(): void;\n");
    write(".#greet.ts", "this is an editor lock file, not code");
    write("data.json", "{}");
    const { functions, modules } = await loadFunctionModules(dir, builtinFunctions());
    expect(modules).toEqual([{ file: join(dir, "greet.ts"), names: ["hello"] }]);
    expect(Object.keys(functions)).toEqual(["hello"]);
    expect(functions.hello!(ctx({ name: "ops" }))).toBe("hello ops");
  });

  test("an empty folder provides no functions", async () => {
    expect(await loadFunctionModules(dir, builtinFunctions())).toEqual({ functions: {}, modules: [] });
  });

  test("a syntax error refuses, naming the file and the line", async () => {
    write("broken.ts", "export const ok = () => 1;\nexport function broken( {\n");
    expect(await refusal()).toStartWith(`${join(dir, "broken.ts")}: cannot load the module: syntax error at line 2: `);
  });

  test("a module that throws while loading refuses with its message", async () => {
    write("config.mjs", "export const f = () => 1;\nthrow new Error('CONFIG_URL is not set');\n");
    expect(await refusal()).toBe(`${join(dir, "config.mjs")}: cannot load the module: it threw while loading: CONFIG_URL is not set`);
  });

  test("an import that cannot be resolved refuses, saying what a module may import", async () => {
    write("pkg.ts", "import { nothing } from 'no-such-package-here';\nexport const f = () => nothing;\n");
    const line = await refusal();
    expect(line).toStartWith(`${join(dir, "pkg.ts")}: cannot load the module: `);
    expect(line).toContain("no-such-package-here");
    expect(line).toContain("not the packages bundled into baton");
  });

  test("a module whose top-level await never settles refuses instead of ending the process", async () => {
    write("hang.mjs", "await new Promise(() => {});\nexport const never = () => 1;\n");
    try {
      await loadFunctionModules(dir, builtinFunctions(), 50);
      throw new Error("the module loaded, a refusal was expected");
    } catch (err) {
      expect((err as Error).message).toBe(
        `${join(dir, "hang.mjs")}: cannot load the module: it did not finish loading within 0.05 s (a top-level await that never settles?)`,
      );
    }
  });

  test("a module that exports nothing callable refuses", async () => {
    write("consts.ts", "export const LIMIT = 3;\nexport class Busy extends Error {}\n");
    expect(await refusal()).toBe(
      `${join(dir, "consts.ts")}: exports no function; export each task function by name (export function myTask(ctx) …), or move the file out of the folder`,
    );
  });

  test("a default-exported function refuses: a task function needs a name", async () => {
    write("anon.js", "export default function (ctx) { return 1; }\n");
    expect(await refusal()).toStartWith(`${join(dir, "anon.js")}: its default export is a function, and a task function needs a name`);
  });

  test("a name that is a built-in refuses", async () => {
    write("mine.ts", "export const echo = () => 'mine';\n");
    expect(await refusal()).toBe(`${join(dir, "mine.ts")}: exports "echo", which is a built-in function; rename the export`);
  });

  test("a name two modules export refuses, naming both files", async () => {
    write("a.ts", "export const transform = () => 1;\n");
    write("b.mjs", "export const transform = () => 2;\n");
    expect(await refusal()).toBe(
      `${join(dir, "b.mjs")}: exports "transform", which ${join(dir, "a.ts")} already exports; rename one of them`,
    );
  });

  test("a missing folder or a file in its place refuses", async () => {
    const missing = join(dir, "nope");
    expect(() => moduleFilesIn(missing)).toThrow(
      `the functions folder ${missing} does not exist; create it, or name another with --functions or BATON_FUNCTIONS_DIR`,
    );
    write("file", "");
    expect(() => moduleFilesIn(join(dir, "file"))).toThrow(
      `the functions folder ${join(dir, "file")} is not a folder; name a folder of *.ts, *.js or *.mjs modules with --functions or BATON_FUNCTIONS_DIR`,
    );
  });

  test("a relative import of a missing file refuses, naming it", async () => {
    write("rel.ts", "import { x } from './lib/missing.ts';\nexport const f = () => x;\n");
    const line = await refusal();
    expect(line).toStartWith(`${join(dir, "rel.ts")}: cannot load the module: an import cannot be resolved: `);
    expect(line).toContain("./lib/missing.ts");
  });

  test("a dangling link refuses with the file named", async () => {
    symlinkSync(join(dir, "gone.ts"), join(dir, "link.ts"));
    expect(await refusal()).toBe(
      `${join(dir, "link.ts")}: cannot read the module: it does not exist (a link to a missing file?); fix it, or move it out of the folder`,
    );
  });
});
