/**
 * The dashboard's only script, progressive: pages are complete without it. It shows every
 * `<time>` in the browser's time zone and keeps UTC in the title (shown on hover).
 */
export const SCRIPT = `"use strict";
for (const t of document.querySelectorAll("time[datetime]")) {
  const d = new Date(t.dateTime);
  if (Number.isNaN(d.getTime())) continue;
  t.title = t.textContent;
  t.textContent = d.toLocaleString();
}
`;
