/**
 * The dashboard's only script, progressive: pages are complete without it. It shows every
 * `<time>` in the browser's time zone and keeps UTC in the title (shown on hover). On the
 * executions list it shows the box that ticks every execution of the page for the bulk form.
 */
export const SCRIPT = `"use strict";
for (const t of document.querySelectorAll("time[datetime]")) {
  const d = new Date(t.dateTime);
  if (Number.isNaN(d.getTime())) continue;
  t.title = t.textContent;
  t.textContent = d.toLocaleString();
}
for (const all of document.querySelectorAll("input[data-select-all]")) {
  const boxes = () => document.querySelectorAll('input[type=checkbox][form="bulk"][name^="id-"]');
  all.hidden = false;
  all.addEventListener("change", () => {
    for (const box of boxes()) box.checked = all.checked;
  });
}
`;
