/**
 * Which runtime is running Baton, asked once: the doorways of platform/ choose their Bun or
 * Deno side with it, by a dynamic `import()` of the right file, so neither runtime ever loads
 * the other's module (`bun:ffi` does not exist on Deno). Nothing outside platform/ and the
 * SQLite driver asks.
 */

/** True under `deno run`; false under `bun` and in the compiled `dist/baton`. */
export const ON_DENO = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";

/** The runtime and its version, for `baton_build_info`: `bun 1.4.4` or `deno 2.9.6`. */
export const RUNTIME = ON_DENO ? `deno ${Deno.version.deno}` : `bun ${Bun.version}`;
