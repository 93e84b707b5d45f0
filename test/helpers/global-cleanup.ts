/**
 * Preloaded by `bun test` (bunfig.toml): a top-level afterAll in a preload file runs once,
 * after every test file. Modules that start processes or make folders register here, so
 * nothing outlives the run whichever file created it.
 */
import { afterAll } from "bun:test";

const cleanups: (() => void)[] = [];

export function onTestRunEnd(cleanup: () => void): void {
  cleanups.push(cleanup);
}

afterAll(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});
