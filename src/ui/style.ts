/**
 * The dashboard's one stylesheet, made from `PALETTE` (light and dark, chosen by
 * `prefers-color-scheme`), and its favicon. Both are strings in the binary: nothing is fetched.
 *
 * Contrast (WCAG 2.x ratios, computed from these hex values by `style.test.ts`, which fails
 * below AA: 4.5 for text, 3 for borders and the focus ring against the page):
 *   light  text/bg 16.56  text/surface 15.05  muted/bg 6.68  muted/surface 6.07  link/bg 6.67
 *          link/surface 6.06  border/bg 3.11  badges: ok 7.87  bad 7.90  run 7.16  wait 8.02  off 7.88
 *   dark   text/bg 14.63  text/surface 12.97  muted/bg 7.76  muted/surface 6.88  link/bg 8.54
 *          link/surface 7.57  border/bg 3.76  badges: ok 8.56  bad 8.79  run 7.55  wait 8.77  off 7.80
 * A status is always written out as well as coloured.
 */
import type { ExecutionStatus, TaskStatus } from "../domain/states.ts";

export interface Palette {
  bg: string;
  surface: string;
  text: string;
  muted: string;
  link: string;
  /** Borders, graph edges and the focus ring. */
  border: string;
  /** Foreground and background of each status family's badge, graph node and timeline bar. */
  ok: [string, string];
  bad: [string, string];
  run: [string, string];
  wait: [string, string];
  off: [string, string];
}

export const PALETTE: { light: Palette; dark: Palette } = {
  light: {
    bg: "#ffffff",
    surface: "#f3f4f6",
    text: "#1b1f24",
    muted: "#545d68",
    link: "#0b5cad",
    border: "#8a939e",
    ok: ["#0f5323", "#dcf3e2"],
    bad: ["#8a1116", "#fde2e2"],
    run: ["#0b4a8f", "#dde9fb"],
    wait: ["#5c4400", "#fbefc9"],
    off: ["#3f454d", "#e6e8eb"],
  },
  dark: {
    bg: "#15181c",
    surface: "#1f2329",
    text: "#e6e9ee",
    muted: "#a3acb8",
    link: "#7cb7ff",
    border: "#6b7480",
    ok: ["#9be3b0", "#15391f"],
    bad: ["#ffb4b0", "#4a1517"],
    run: ["#a9cbff", "#15345c"],
    wait: ["#f3d58a", "#3f3210"],
    off: ["#c9ced6", "#30353d"],
  },
};

export type Family = "ok" | "bad" | "run" | "wait" | "off";

/** The colour family of a status: the same for an execution and a task in the same state. */
export const FAMILY: Record<ExecutionStatus | TaskStatus, Family> = {
  COMPLETED: "ok",
  FAILED: "bad",
  RUNNING: "run",
  RETRYING: "wait",
  QUEUED: "wait",
  PENDING: "off",
  SKIPPED: "off",
  CANCELLED: "off",
};

const FAMILIES: Family[] = ["ok", "bad", "run", "wait", "off"];

const vars = (p: Palette) =>
  [
    ...(["bg", "surface", "text", "muted", "link", "border"] as const).map((k) => `--${k}:${p[k]}`),
    ...FAMILIES.flatMap((f) => [`--${f}-fg:${p[f][0]}`, `--${f}-bg:${p[f][1]}`]),
  ].join(";");

const RULES = `
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;background:var(--bg);color:var(--text)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;align-items:center;padding:.6rem 1.25rem;background:var(--surface);border-bottom:1px solid var(--border)}
header .brand{font-weight:700;color:var(--text);text-decoration:none}
nav ul{display:flex;gap:1rem;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;text-decoration:none}
main{padding:1rem 1.25rem;max-width:1280px}
footer{padding:1rem 1.25rem;color:var(--muted);font-size:.85rem}
a{color:var(--link)}
:focus-visible{outline:3px solid var(--link);outline-offset:2px}
h1{font-size:1.4rem;margin:.2rem 0 .8rem}
h2{font-size:1.1rem;margin:1.6rem 0 .5rem}
.muted{color:var(--muted)}
table{border-collapse:collapse;width:100%;margin:.3rem 0}
th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid var(--border);vertical-align:top;overflow-wrap:break-word}
th{background:var(--surface)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.scroll{overflow-x:auto}
.scroll svg{max-width:none}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem}
pre{background:var(--surface);border:1px solid var(--border);padding:.6rem;overflow:auto;max-height:30rem;white-space:pre-wrap;word-break:break-word}
.status{display:inline-block;padding:0 .45rem;border:1px solid;border-radius:.25rem;font-size:.8rem;font-weight:600;letter-spacing:.02em}
${FAMILIES.map((f) => `.s-${f}{color:var(--${f}-fg);background:var(--${f}-bg)}`).join("\n")}
${FAMILIES.map((f) => `svg .n-${f}{fill:var(--${f}-bg);stroke:var(--${f}-fg)}svg .t-${f}{fill:var(--${f}-fg)}`).join("\n")}
svg{max-width:100%;height:auto}
svg text{fill:var(--text);font:12px system-ui,sans-serif}
svg .edge{stroke:var(--border);fill:none;stroke-width:1.5}
svg .wait{fill:none;stroke:var(--muted);stroke-dasharray:4 3}
svg .axis{stroke:var(--border)}
form.filters{display:flex;flex-wrap:wrap;gap:.6rem 1rem;align-items:end;padding:.6rem;background:var(--surface);border:1px solid var(--border)}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
input,select,button{font:inherit;color:var(--text);background:var(--bg);border:1px solid var(--border);border-radius:.25rem;padding:.25rem .4rem}
button{cursor:pointer;background:var(--surface)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:1rem}
.card{border:1px solid var(--border);padding:.6rem .8rem;background:var(--surface)}
.card h2{margin-top:0}
.pager{display:flex;gap:1rem;margin:.8rem 0}
details>summary{cursor:pointer}
pre.diff .d-add{color:var(--ok-fg);background:var(--ok-bg)}
pre.diff .d-del{color:var(--bad-fg);background:var(--bad-bg)}
.notice{color:var(--ok-fg);background:var(--ok-bg);padding:.4rem .6rem}
.refusal,.field-error{color:var(--bad-fg);background:var(--bad-bg);padding:.4rem .6rem}
.actions{display:flex;flex-wrap:wrap;gap:.6rem;align-items:center;margin:.6rem 0}
.actions form{margin:0}
form.action-form,form.login{display:flex;flex-direction:column;gap:.4rem;max-width:48rem}
form.action-form button,form.login button{align-self:flex-start}
textarea{font:inherit;color:var(--text);background:var(--bg);border:1px solid var(--border);border-radius:.25rem;padding:.4rem}
[hidden]{display:none!important}
.skip{position:absolute;left:-9999px;top:.4rem;padding:.3rem .7rem;background:var(--bg);color:var(--link);border:1px solid var(--border);z-index:1}
.skip:focus{left:.5rem}
.live{margin:0 0 0 auto;font-size:.85rem}
svg .c-all{fill:var(--run-bg);stroke:var(--run-fg)}
svg .c-bad{fill:var(--bad-fg)}
svg .c-rate{fill:none;stroke:var(--bad-fg);stroke-width:2}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,30rem),1fr));gap:1rem}
figure.chart{margin:0}
figure.chart h3{margin:.2rem 0}
@media (max-width:40rem){header,main,footer{padding-left:.6rem;padding-right:.6rem}nav ul{flex-wrap:wrap;gap:.2rem .9rem}.live{margin:0}dl.facts{grid-template-columns:1fr}dl.facts dd{margin-bottom:.4rem}form.filters label{flex:1 1 100%}}
`;

/** The stylesheet served at `/ui/assets/style.css`. */
export const STYLESHEET = `:root{color-scheme:light dark;${vars(PALETTE.light)}}
@media (prefers-color-scheme:dark){:root{${vars(PALETTE.dark)}}}
${RULES.trim()}
`;

/** The favicon: a baton on a rounded square, in the link colour. */
export const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#0b5cad"/><path d="M8 24 24 8" stroke="#fff" stroke-width="4" stroke-linecap="round"/><circle cx="24" cy="8" r="3" fill="#fff"/></svg>`;
