/**
 * The `code` of what `f` throws (SQLite's name for it, `SQLITE_CONSTRAINT_UNIQUE`…, on both
 * drivers), or "nothing thrown". Plain TypeScript, so the script Deno runs (`test/store/deno-store.ts`)
 * can import it too.
 */
export function codeOf(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return (err as { code?: unknown }).code;
  }
  return "nothing thrown";
}
