/**
 * Chromium for one test file. Apart from `browser.ts` because it needs the test run's cleanup
 * (`bun:test`), which `scripts/screenshots.ts`, a plain script using `browser.ts`, must not load.
 */
import type { Browser } from "playwright-core";
import { onTestRunEnd } from "../../helpers/global-cleanup.ts";
import { launchChromium } from "./browser.ts";

/**
 * Chromium for one test file, which closes it in its `afterAll`; should the file end in a way
 * `afterAll` does not see, the end of the run still closes it.
 */
export function launchForTestFile(): Promise<Browser> {
  const launching = launchChromium();
  onTestRunEnd(() => void launching.then((b) => b.close()).catch(() => {}));
  return launching;
}
