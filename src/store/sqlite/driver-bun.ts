/**
 * The one module that imports `bun:sqlite`. Its `Database` and `Statement` satisfy the store's
 * port (`driver-port.ts`) as they are: the store calls them directly, with no layer in between.
 * Loaded by `driver.ts` with `import()` only when Bun runs, so Deno never reaches `bun:sqlite`.
 */
import { Database as BunDatabase } from "bun:sqlite";
import type { Database, OpenMode } from "./driver-port.ts";

export function open(path: string, mode: OpenMode): Database {
  switch (mode) {
    case "create":
      return new BunDatabase(path, { create: true, strict: true });
    case "readwrite":
      return new BunDatabase(path, { readwrite: true, create: false });
    case "readonly":
      return new BunDatabase(path, { readonly: true, create: false });
  }
}
