/** The palette's contrast, computed: every text pair passes WCAG AA (4.5), borders and the focus ring 3. */
import { describe, expect, test } from "bun:test";
import { FAVICON, PALETTE, STYLESHEET } from "./style.ts";

/** WCAG 2.x relative luminance of `#rrggbb`. */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
  const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe("palette", () => {
  test("the ratio formula gives the known values", () => {
    expect(contrast("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrast("#777777", "#ffffff")).toBeCloseTo(4.48, 2);
  });

  for (const [scheme, p] of Object.entries(PALETTE)) {
    test(`${scheme}: text, muted text and links on the page and on surfaces pass AA; badges too`, () => {
      const pairs: [string, string, string][] = [];
      for (const fg of ["text", "muted", "link"] as const)
        for (const bg of ["bg", "surface"] as const) pairs.push([`${fg}/${bg}`, p[fg], p[bg]]);
      for (const f of ["ok", "bad", "run", "wait", "off"] as const) pairs.push([`badge ${f}`, p[f][0], p[f][1]]);
      const failing = pairs.filter(([, a, b]) => contrast(a, b) < 4.5).map(([name, a, b]) => `${name} ${contrast(a, b).toFixed(2)}`);
      expect(failing).toEqual([]);
    });

    test(`${scheme}: borders and the focus ring (the link colour) stand out from the page by 3:1`, () => {
      expect(contrast(p.border, p.bg)).toBeGreaterThanOrEqual(3);
      expect(contrast(p.link, p.bg)).toBeGreaterThanOrEqual(3);
    });
  }

  test("the stylesheet follows the colour scheme and fetches nothing (no url(), no @import)", () => {
    expect(STYLESHEET).toContain("@media (prefers-color-scheme:dark)");
    expect(STYLESHEET).toContain(PALETTE.dark.bg);
    expect(STYLESHEET).not.toMatch(/url\(|@import/);
    expect(FAVICON).toStartWith("<svg");
  });
});
