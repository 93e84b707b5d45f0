/**
 * A line diff of two texts (two definition versions as indented JSON): the longest common
 * subsequence of their lines, then every line as kept, removed or added, in order. Pure.
 */

export type DiffLine = { kind: "same" | "del" | "add"; text: string };

/** Past this many line pairs the table would be too large to build for a page: no diff is made. */
export const MAX_DIFF_CELLS = 4_000_000;

/** The lines of `a` and `b` as kept, removed (only in `a`) or added (only in `b`); null when they are too long to compare. */
export function lineDiff(a: readonly string[], b: readonly string[]): DiffLine[] | null {
  if (a.length * b.length > MAX_DIFF_CELLS) return null;
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const out: DiffLine[] = [];
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      out.push({ kind: "same", text: a[i]! });
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      out.push({ kind: "add", text: b[j++]! });
    } else {
      out.push({ kind: "del", text: a[i++]! });
    }
  }
  return out;
}
