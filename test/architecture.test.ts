/**
 * The house rules of docs/architecture.md, checked on the source: which folder may import
 * which, where the runtime-specific doorways are, and that no import circle exists.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "..", "src");

/** Production source files under src/, relative to it. */
function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sources(path);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [relative(SRC, path)] : [];
  });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s+"([^"]+)"|(?:^|\n)\s*import\s+"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g;

/** What `file` imports: other source files (relative to src/) and packages. */
function importsOf(file: string): { files: string[]; packages: string[] } {
  const text = readFileSync(join(SRC, file), "utf8");
  const files: string[] = [];
  const packages: string[] = [];
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (spec.startsWith(".")) files.push(relative(SRC, resolve(dirname(join(SRC, file)), spec)));
    else packages.push(spec);
  }
  return { files, packages };
}

/** Static imports and re-exports only (no `import()`). */
const STATIC_IMPORT = /(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s+"([^"]+)"|(?:^|\n)\s*import\s+"([^"]+)"/g;

const FILES = sources();

/** Source files whose code (comments left out) matches `pattern`. */
const usersOf = (pattern: RegExp) =>
  FILES.filter((f) => pattern.test(readFileSync(join(SRC, f), "utf8").replace(/\/\/.*|\/\*[\s\S]*?\*\//g, "")));
const GRAPH = new Map(FILES.map((f) => [f, importsOf(f)]));
const layerOf = (file: string) => file.split("/")[0]!;

/** Which layers each layer may import (itself included). The arrows point down only. */
const MAY_IMPORT: Record<string, string[]> = {
  domain: ["domain"],
  tasks: ["domain", "tasks"],
  store: ["domain", "store"],
  engine: ["domain", "engine"],
  platform: ["domain", "platform"],
  api: ["domain", "engine", "api"],
  // The dashboard reads through the API's ports (never the store) and renders with hono/jsx.
  ui: ["domain", "engine", "api", "ui"],
  // ".." is the package.json the version is read from.
  cli: ["domain", "tasks", "store", "engine", "platform", "api", "ui", "cli", ".."],
};

/** Packages each layer may use; `node:*` builtins are listed per layer. */
const MAY_USE: Record<string, RegExp> = {
  domain: /^valibot$|^croner$/,
  tasks: /^$/,
  store: /^node:(fs|path|os|worker_threads|sqlite)$|^bun:sqlite$/,
  engine: /^$/,
  platform: /^node:|^bun:ffi$|^prom-client$/,
  api: /^hono(\/.*)?$|^valibot$|^@valibot\/to-json-schema$/,
  ui: /^hono(\/.*)?$/,
  cli: /^node:|^hono$|^valibot$|^smol-toml$/,
};

describe("architecture", () => {
  test("every source file sits in a known layer", () => {
    expect(FILES.filter((f) => !(layerOf(f) in MAY_IMPORT))).toEqual([]);
  });

  test("layers import only the layers below them", () => {
    const wrong: string[] = [];
    for (const [file, { files }] of GRAPH) {
      for (const target of files) {
        if (!MAY_IMPORT[layerOf(file)]!.includes(layerOf(target))) wrong.push(`${file} → ${target}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("packages are used only where the layer allows; bun:sqlite and node:sqlite each only in its SQLite driver, bun:ffi only in platform/libc-bun.ts, smol-toml only in cli/toml.ts, prom-client only in platform/metrics.ts", () => {
    const wrong: string[] = [];
    for (const [file, { packages }] of GRAPH) {
      for (const p of packages) {
        if (!MAY_USE[layerOf(file)]!.test(p)) wrong.push(`${file} uses ${p}`);
        if (p === "bun:sqlite" && file !== "store/sqlite/driver-bun.ts")
          wrong.push(`${file} uses bun:sqlite outside store/sqlite/driver-bun.ts`);
        if (p === "node:sqlite" && file !== "store/sqlite/driver-node.ts")
          wrong.push(`${file} uses node:sqlite outside store/sqlite/driver-node.ts`);
        if (p === "bun:ffi" && file !== "platform/libc-bun.ts") wrong.push(`${file} uses bun:ffi outside platform/libc-bun.ts`);
        if (p === "smol-toml" && file !== "cli/toml.ts") wrong.push(`${file} uses smol-toml outside cli/toml.ts`);
        if (p === "prom-client" && file !== "platform/metrics.ts") wrong.push(`${file} uses prom-client outside platform/metrics.ts`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("the Bun global is used only by the Bun sides of the doorways (platform/*-bun.ts, store/sqlite/driver-bun.ts) and platform/runtime.ts", () => {
    const isDoorway = (f: string) => f.endsWith("-bun.ts") || f === "platform/runtime.ts";
    expect(usersOf(/\bBun\.\w/).filter((f) => !isDoorway(f))).toEqual([]);
  });

  test("the Deno global is used only by the Deno sides of the doorways (*-deno.ts) and platform/runtime.ts", () => {
    const isDoorway = (f: string) => f.endsWith("-deno.ts") || f === "platform/runtime.ts";
    expect(usersOf(/\bDeno\.\w/).filter((f) => !isDoorway(f))).toEqual([]);
  });

  test("a runtime's side (*-bun.ts, *-deno.ts) is loaded only by a dynamic import(), so the other runtime never loads it", () => {
    const side = /-(bun|deno)\.ts$/;
    const wrong: string[] = [];
    for (const file of FILES) {
      const text = readFileSync(join(SRC, file), "utf8");
      for (const m of text.matchAll(STATIC_IMPORT)) {
        const spec = m[1] ?? m[2]!;
        if (side.test(spec) && !m[0].includes("import type")) wrong.push(`${file} imports ${spec} statically`);
      }
    }
    expect(wrong).toEqual([]);
  });

  test("no import circle", () => {
    const cycles: string[] = [];
    const state = new Map<string, "visiting" | "done">();
    const walk = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "visiting") {
        cycles.push([...path.slice(path.indexOf(file)), file].join(" → "));
        return;
      }
      state.set(file, "visiting");
      for (const next of GRAPH.get(file)?.files ?? []) walk(next, [...path, file]);
      state.set(file, "done");
    };
    for (const file of FILES) walk(file, []);
    expect(cycles).toEqual([]);
  });
});
