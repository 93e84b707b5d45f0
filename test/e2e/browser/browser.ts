/**
 * The page-helper layer of the browser tests and the screenshots: Debian's Chromium driven by
 * playwright-core, kept off every network but the server's own origin. Every request that
 * leaves the origin is aborted and recorded; console errors, page errors, failed requests and
 * answers of 400 or more are recorded too, and `problems()` lists them all, so a test asserts
 * `expect(session.problems()).toEqual([])` once at the end. Clicks on the pages (the filter
 * form, a row's link; login, action buttons and live updates as they come) are small functions
 * here taking a `Page`, so each new page feature adds one helper and its tests stay short.
 * Nothing here imports bun:test, so `scripts/screenshots.ts` uses it too.
 */
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

export type { Page } from "playwright-core";

export const CHROMIUM = process.env.BATON_CHROMIUM ?? "/usr/bin/chromium";

/**
 * The flags that keep Chromium quiet on a closed network (../shared/TOOLCHAIN.md): no GPU, no
 * QUIC, no first-run, background, component-update or sync traffic. As root it needs --no-sandbox.
 */
export const CHROMIUM_ARGS = [
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, timeout: 20_000 });
}

export interface SessionOptions {
  colorScheme?: "light" | "dark";
  viewport?: { width: number; height: number };
  /** Answers of these statuses for these paths are expected (a 404 page); others are problems. */
  expectStatus?: (path: string, status: number) => boolean;
}

/** One browser context on one origin, recording everything that should not happen. */
export class Session {
  private readonly seen: string[] = [];
  readonly foreign: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly origin: string,
    private readonly options: SessionOptions,
  ) {}

  static async open(browser: Browser, origin: string, options: SessionOptions = {}): Promise<Session> {
    const context = await browser.newContext({
      colorScheme: options.colorScheme ?? "light",
      viewport: options.viewport ?? { width: 1280, height: 800 },
      timezoneId: "UTC",
      locale: "en-GB",
      serviceWorkers: "block",
    });
    const session = new Session(context, origin, options);
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (new URL(url).origin === origin) return route.continue();
      session.foreign.push(url);
      session.seen.push(`request leaving ${origin}: ${url}`);
      return route.abort("blockedbyclient");
    });
    context.on("page", (page) => session.watch(page));
    return session;
  }

  private watch(page: Page): void {
    page.on("console", (msg) => {
      if (msg.type() !== "error" && msg.type() !== "warning") return;
      // Chromium logs every answer of 400 or more as an error too: one the test expects is not a problem.
      const status = /^Failed to load resource: the server responded with a status of (\d+)/.exec(msg.text());
      const url = msg.location().url;
      if (status && url.startsWith(this.origin) && this.options.expectStatus?.(url.slice(this.origin.length), Number(status[1]))) return;
      this.seen.push(`console ${msg.type()} on ${page.url()}: ${msg.text()}`);
    });
    page.on("pageerror", (err) => this.seen.push(`page error on ${page.url()}: ${err.message}`));
    page.on("requestfailed", (req) => {
      if (new URL(req.url()).origin !== this.origin) return; // recorded as leaving the origin
      // Leaving a page cancels what it still loads (the favicon, fetched after "load"): that is
      // the browser's doing, not the server's. Bad answers are still caught by status below.
      if (req.failure()?.errorText === "net::ERR_ABORTED") return;
      this.seen.push(`request failed: ${req.method()} ${req.url()}: ${req.failure()?.errorText}`);
    });
    page.on("response", (res) => {
      const path = res.url().slice(this.origin.length);
      if (res.status() >= 400 && !this.options.expectStatus?.(path, res.status()))
        this.seen.push(`answer ${res.status()} to ${res.request().method()} ${res.url()}`);
    });
  }

  /** Everything recorded so far that a clean dashboard never does. */
  problems(): string[] {
    return [...this.seen];
  }

  async newPage(): Promise<Page> {
    return await this.context.newPage();
  }

  /** Opens a path of the origin and fails unless it answers `status` (200 by default). */
  async visit(page: Page, path: string, status = 200): Promise<Page> {
    const res = await page.goto(`${this.origin}${path}`, { waitUntil: "load" });
    if (res?.status() !== status) throw new Error(`${path} answered ${res?.status()}, not ${status}`);
    return page;
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** The path (with query) of the page shown now. */
export const pathOf = (page: Page) => {
  const url = new URL(page.url());
  return url.pathname + url.search;
};

/** Every same-origin link on the page, as paths, in document order, without fragments. */
export async function links(page: Page): Promise<string[]> {
  const hrefs = await page.$$eval("a[href]", (as) => as.map((a) => (a as unknown as { href: string }).href));
  const origin = new URL(page.url()).origin;
  return hrefs.filter((h) => h.startsWith(`${origin}/`)).map((h) => h.slice(origin.length).replace(/#.*$/, ""));
}

/** The executions list's filter form: picks the fields given, submits, waits for the answer. */
export async function filterExecutions(
  page: Page,
  filter: { status?: string; definition?: string; error?: string; from?: string; text?: string },
): Promise<void> {
  if (filter.status !== undefined) await page.getByLabel("Status").selectOption(filter.status);
  if (filter.definition !== undefined) await page.getByLabel("Definition").selectOption(filter.definition);
  if (filter.error !== undefined) await page.getByLabel("Error name").fill(filter.error);
  if (filter.from !== undefined) await page.getByLabel("Created from").fill(filter.from);
  if (filter.text !== undefined) await page.getByLabel("Input or output contains").fill(filter.text);
  await Promise.all([page.waitForURL(/\/ui\/executions\?/), page.getByRole("button", { name: "Filter" }).click()]);
}

/** The execution ids listed in the executions table, top to bottom. */
export async function listedExecutions(page: Page): Promise<string[]> {
  return await page.$$eval("table a[href^='/ui/executions/']", (as) => as.map((a) => a.textContent?.trim() ?? ""));
}

/** Clicks an execution's link in the list and waits for its page. */
export async function openExecution(page: Page, id: string): Promise<void> {
  await Promise.all([page.waitForURL(`**/ui/executions/${id}`), page.getByRole("link", { name: id, exact: true }).first().click()]);
}

/** An SVG chart by its label's start (`Task graph`, `Timeline`), visible and with its text. */
export async function chart(page: Page, label: string): Promise<{ visible: boolean; text: string }> {
  const svg = page.locator(`svg[aria-label^="${label}"]`).first();
  return { visible: await svg.isVisible(), text: (await svg.textContent()) ?? "" };
}

/**
 * An action in two steps, as a person does it: clicks the button (`Redrive…`), then the
 * confirmation's button (`Redrive`), and waits for the page it lands on (`?notice=…` or an
 * operation's page). Both are found by their accessible names, so a missing one fails here.
 */
export async function actAndConfirm(page: Page, button: string, confirm: string, landing: RegExp): Promise<void> {
  await page.getByRole("button", { name: button, exact: true }).click();
  await page.getByRole("button", { name: confirm, exact: true }).click();
  await page.waitForURL(landing);
}

/** The notice an action left on the execution's page (`p.notice`), or null. */
export async function notice(page: Page): Promise<string | null> {
  const p = page.locator("p.notice");
  return (await p.count()) === 0 ? null : await p.first().textContent();
}

/** The text of what has the keyboard's focus now, with its tag: `A Skip to the content`. */
export async function focused(page: Page): Promise<string> {
  // A string, not a function: the DOM's types are not in this project's tsconfig.
  return await page.evaluate<string>(`(document.activeElement?.tagName ?? "") + " " + (document.activeElement?.textContent ?? "").trim()`);
}

/** Presses Tab until what has the focus is `target` (as `focused` writes it); fails after `max` presses. */
export async function tabTo(page: Page, target: string, max = 60): Promise<number> {
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press("Tab");
    if ((await focused(page)) === target) return presses;
  }
  throw new Error(`${max} presses of Tab never reached ${target}`);
}

/** The login form: types the token, clicks "Log in", and waits for the answer (the page it leads to, or the form again). */
export async function login(page: Page, token: string): Promise<void> {
  await page.getByLabel("API token").fill(token);
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Log in" }).click()]);
}
