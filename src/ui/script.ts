/**
 * The dashboard's only script, progressive: pages are complete without it. It shows every
 * `<time>` in the browser's time zone and keeps UTC in the title (shown on hover). On a page
 * with live updates (`[data-events]` in the header) it follows the page's event stream: on each
 * `change` it fetches the page again and swaps in its `[data-live]` regions (by id), so open
 * `<details>` and focus elsewhere stay as they are. The pause button closes the stream; the
 * choice is kept in localStorage (`baton.live` = `paused`) for every page. On the executions
 * list it shows the box that ticks every execution of the page for the bulk form.
 */
export const SCRIPT = `"use strict";
function localTimes(root) {
  for (const t of root.querySelectorAll("time[datetime]")) {
    const d = new Date(t.dateTime);
    if (Number.isNaN(d.getTime()) || t.dataset.local) continue;
    t.title ||= t.textContent;
    t.textContent = d.toLocaleString();
    t.dataset.local = "1";
  }
}
localTimes(document);
const live = document.querySelector("[data-events]");
if (live && window.EventSource) {
  const button = live.querySelector("button");
  const state = live.querySelector(".live-state");
  let source = null;
  let fetching = false;
  let again = false;
  const paused = () => localStorage.getItem("baton.live") === "paused";
  const refresh = async () => {
    if (fetching) { again = true; return; }
    fetching = true;
    try {
      const res = await fetch(location.href, { headers: { accept: "text/html" } });
      if (!res.ok) return;
      const next = new DOMParser().parseFromString(await res.text(), "text/html");
      for (const region of document.querySelectorAll("[data-live][id]")) {
        const fresh = next.getElementById(region.id);
        if (fresh) { region.replaceWith(fresh); localTimes(fresh); }
      }
      state.textContent = "updated " + new Date().toLocaleTimeString();
    } finally {
      fetching = false;
      if (again) { again = false; refresh(); }
    }
  };
  const show = () => {
    const p = paused();
    button.textContent = p ? "Resume live updates" : "Pause live updates";
    button.setAttribute("aria-pressed", String(p));
    if (p) state.textContent = "live updates paused";
  };
  const start = () => {
    source = new EventSource(live.dataset.events);
    source.addEventListener("change", refresh);
    source.onopen = () => { state.textContent = "live"; };
    source.onerror = () => { state.textContent = "live updates reconnecting"; };
  };
  button.addEventListener("click", () => {
    localStorage.setItem("baton.live", paused() ? "live" : "paused");
    if (paused()) { source?.close(); source = null; } else { start(); refresh(); }
    show();
  });
  live.hidden = false;
  show();
  if (!paused()) start();
}
for (const all of document.querySelectorAll("input[data-select-all]")) {
  const boxes = () => document.querySelectorAll('input[type=checkbox][form="bulk"][name^="id-"]');
  all.hidden = false;
  all.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
  });
}
`;
