/**
 * Function modules: every `*.ts`, `*.js` and `*.mjs` file of the functions folder is imported
 * at start, and each function it exports by name becomes a task function of that name, next
 * to the built-ins. Anything wrong with a module refuses the start with one line naming the
 * file; nothing is half-loaded. See docs/function-modules.md.
 */
import { accessSync, constants, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as v from "valibot";
import { FunctionName } from "../domain/definition-schema.ts";
import type { FunctionRegistry, TaskFunction } from "../domain/function.ts";
import { denial, isPermission } from "./file-errors.ts";
import { oneLine } from "./start-errors.ts";

const MODULE_FILE = /\.(ts|js|mjs)$/;
/** How long a module's top-level code may take to load. */
export const LOAD_TIMEOUT_MS = 30_000;

/** A functions folder or module that cannot be used; `message` is the one line an operator reads. */
export class FunctionModuleError extends Error {
  override name = "FunctionModuleError";
}

export interface LoadedModule {
  file: string;
  /** The names it provides, in alphabetical order (as a module namespace lists its exports). */
  names: string[];
}

export interface LoadedFunctions {
  /** Every module function by name, to pass to `builtinFunctions(extra)`. */
  functions: Record<string, TaskFunction>;
  modules: LoadedModule[];
}

/**
 * The module files of `dir`, sorted by name so the load order (and which file a clash names
 * first) never depends on the file system. Declaration files and hidden files (editor locks,
 * `.#name.ts`) are not modules.
 */
export function moduleFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw new FunctionModuleError(folderProblem(err, dir), { cause: err });
  }
  return names
    .filter((name) => MODULE_FILE.test(name) && !name.endsWith(".d.ts") && !name.startsWith("."))
    .sort()
    .map((name) => join(dir, name))
    .filter((file) => {
      try {
        return statSync(file).isFile();
      } catch {
        return true; // a dangling link or an unreadable entry: importing it says why
      }
    });
}

/**
 * Imports every module of `dir` and collects its functions. `existing` holds the names a
 * module may not take (the built-ins). Throws `FunctionModuleError` at the first problem.
 */
export async function loadFunctionModules(
  dir: string,
  existing: FunctionRegistry,
  loadTimeoutMs = LOAD_TIMEOUT_MS,
): Promise<LoadedFunctions> {
  const functions: Record<string, TaskFunction> = {};
  const owner = new Map<string, string>();
  const modules: LoadedModule[] = [];
  for (const file of moduleFilesIn(dir)) {
    const ns = await importModule(file, loadTimeoutMs);
    const names: string[] = [];
    for (const [name, value] of Object.entries(ns)) {
      if (!isCallable(value)) continue; // constants, error classes, types: a module may export them freely
      if (name === "default") {
        throw new FunctionModuleError(
          `${file}: its default export is a function, and a task function needs a name: export it by name (export function myTask(ctx) …)`,
        );
      }
      if (!v.is(FunctionName, name)) throw new FunctionModuleError(`${file}: the export "${name}" is not a valid function name`);
      if (existing.has(name)) {
        throw new FunctionModuleError(`${file}: exports "${name}", which is a built-in function; rename the export`);
      }
      const other = owner.get(name);
      if (other !== undefined)
        throw new FunctionModuleError(`${file}: exports "${name}", which ${other} already exports; rename one of them`);
      owner.set(name, file);
      functions[name] = value as TaskFunction;
      names.push(name);
    }
    if (names.length === 0) {
      throw new FunctionModuleError(
        `${file}: exports no function; export each task function by name (export function myTask(ctx) …), or move the file out of the folder`,
      );
    }
    modules.push({ file, names });
  }
  return { functions, modules };
}

async function importModule(file: string, timeoutMs: number): Promise<Record<string, unknown>> {
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const what = code === "ENOENT" ? "it does not exist (a link to a missing file?)" : denial(code, file);
    throw new FunctionModuleError(`${file}: cannot read the module: ${what}; fix it, or move it out of the folder`, { cause: err });
  }
  // A top-level await that never settles would leave nothing for the event loop to wait on,
  // and the process would exit 0 without a word (measured): the timer keeps it alive and says so.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ModuleStalled(timeoutMs)), timeoutMs);
  });
  try {
    return (await Promise.race([import(pathToFileURL(resolve(file)).href), stalled])) as Record<string, unknown>;
  } catch (err) {
    throw new FunctionModuleError(`${file}: cannot load the module: ${loadProblem(err)}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

class ModuleStalled extends Error {
  constructor(ms: number) {
    super(`it did not finish loading within ${ms / 1000} s (a top-level await that never settles?)`);
  }
}

/** A function that can be called; a class cannot (calling it without `new` throws). */
function isCallable(value: unknown): value is (...args: unknown[]) => unknown {
  return typeof value === "function" && !/^class\b/.test(Function.prototype.toString.call(value));
}

/** Why an import failed, as words: a syntax error with its line, an unknown package with the reason. */
function loadProblem(err: unknown): string {
  const first = err instanceof AggregateError && err.errors.length > 0 ? err.errors[0] : err;
  const e = first as { name?: string; message?: string; position?: { line?: number; column?: number } | null; code?: string };
  if (first instanceof ModuleStalled) return first.message;
  if (e?.name === "BuildMessage") {
    const at = e.position?.line !== undefined ? ` at line ${e.position.line}` : "";
    return `syntax error${at}: ${e.message}`;
  }
  if (e?.name === "ResolveMessage" && /Cannot find package/.test(e.message ?? "")) {
    return `${e.message}; a module can import node:* and bun:* built-ins, its own relative files and packages in a node_modules folder beside or above it, but not the packages bundled into baton`;
  }
  if (e?.name === "ResolveMessage") return `an import cannot be resolved: ${e.message}`;
  // Deno's loader throws a TypeError whose message names the problem, with colour codes and the place last.
  const text = (e?.message ?? "").replace(ANSI_COLOURS, "");
  const syntax = /^SyntaxError: ([^\n]*)[\s\S]*:(\d+):\d+\s*$/.exec(text);
  if (syntax) return `syntax error at line ${syntax[2]}: ${syntax[1]}`;
  const missing = /^Import "[^"]+" not a dependency/.exec(text);
  if (missing) {
    return `${missing[0]}; a module can import node:* built-ins, its own relative files and packages in a node_modules folder beside or above it, but not the packages Baton itself uses`;
  }
  return `it threw while loading: ${oneLine(first)}`;
}

/** Terminal colour codes, which Deno puts in some loader messages: never in an operator's line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is matched
const ANSI_COLOURS = /\u001b\[[0-9;]*m/g;

/** The functions folder `dir` could not be listed. */
function folderProblem(err: unknown, dir: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  const other = "or name another with --functions or BATON_FUNCTIONS_DIR";
  if (code === "ENOENT") return `the functions folder ${dir} does not exist; create it, ${other}`;
  if (code === "ENOTDIR") {
    return `the functions folder ${dir} is not a folder; name a folder of *.ts, *.js or *.mjs modules with --functions or BATON_FUNCTIONS_DIR`;
  }
  if (isPermission(code)) {
    return `cannot read the functions folder ${dir}: ${denial(code, dir, "the folder")}; give that user read access to the folder and its files, ${other}`;
  }
  return `cannot read the functions folder ${dir}: ${oneLine(err)}`;
}
