/** The page shell every dashboard page shares: head, navigation, main, footer; and the small parts pages repeat (status badges, times). */
import { raw } from "hono/html";
import type { Child } from "hono/jsx";
import type { ExecutionStatus, TaskStatus } from "../domain/states.ts";
import { utc } from "./format.ts";
import { FAMILY } from "./style.ts";

/** Where the dashboard is mounted; every link and asset is an absolute path under it. */
export const BASE = "/ui";

/** The pages in the navigation, in order; `current` marks one with `aria-current`. */
const NAV = [
  { href: `${BASE}/`, label: "Overview", key: "overview" },
  { href: `${BASE}/executions`, label: "Executions", key: "executions" },
  { href: `${BASE}/definitions`, label: "Definitions", key: "definitions" },
  { href: `${BASE}/workers`, label: "Workers", key: "workers" },
  { href: `${BASE}/operations`, label: "Operations", key: "operations" },
  { href: `${BASE}/account`, label: "Account", key: "account" },
] as const;

export type NavKey = (typeof NAV)[number]["key"] | null;

/**
 * `live`: the page's event stream (`/ui/events?…`). The script then follows it and swaps in the
 * page's `[data-live]` regions when it says something changed; the button to pause it stays
 * hidden without the script, where a reload is how the page updates.
 */
export function Page(props: { title: string; current: NavKey; version: string; live?: string; children: Child }) {
  return (
    <>
      {raw("<!DOCTYPE html>")}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${props.title} · Baton`}</title>
          <link rel="stylesheet" href={`${BASE}/assets/style.css`} />
          <link rel="icon" type="image/svg+xml" href={`${BASE}/assets/favicon.svg`} />
          <script src={`${BASE}/assets/app.js`} defer />
        </head>
        <body>
          <a class="skip" href="#main">
            Skip to the content
          </a>
          <header>
            <a class="brand" href={`${BASE}/`}>
              Baton
            </a>
            <nav aria-label="Dashboard">
              <ul>
                {NAV.map((n) => (
                  <li>
                    <a href={n.href} aria-current={props.current === n.key ? "page" : undefined}>
                      {n.label}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            {props.live && (
              <p class="live" data-events={props.live} hidden>
                <button type="button" class="live-toggle" aria-pressed="false">
                  Pause live updates
                </button>{" "}
                <span class="live-state muted" role="status" />
              </p>
            )}
          </header>
          <main id="main" tabindex={-1}>
            {props.children}
          </main>
          <footer>Baton {props.version} · times in UTC until the page's script shows them in your time zone (UTC on hover)</footer>
        </body>
      </html>
    </>
  );
}

/** A status as text in a coloured badge: readable without the colour. */
export const Status = ({ status }: { status: ExecutionStatus | TaskStatus }) => <span class={`status s-${FAMILY[status]}`}>{status}</span>;

/** A time in UTC, in its text and its title (shown on hover); the browser's script rewrites the text into local time. "—" when there is none. */
export const Time = ({ at }: { at: number | null }) =>
  at === null ? (
    <span class="muted">—</span>
  ) : (
    <time datetime={new Date(at).toISOString()} title={utc(at)}>
      {utc(at)}
    </time>
  );

/** A link to one execution's page. */
export const ExecutionLink = ({ id }: { id: string }) => (
  <a class="mono" href={`${BASE}/executions/${encodeURIComponent(id)}`}>
    {id}
  </a>
);
