/**
 * Execution ids: UUIDv7 (RFC 9562), time-ordered, so new rows land at the right edge of
 * every index keyed by id instead of on random pages: under load this makes each commit
 * touch a few pages rather than hundreds. Portable (Web Crypto only).
 */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

/** Random bytes drawn 4 KiB at a time: one `getRandomValues` call per 512 ids, not per id. */
const pool = new Uint8Array(4096);
let used = pool.length;

export function uuidv7(now: number = Date.now()): string {
  if (used + 10 > pool.length) {
    crypto.getRandomValues(pool);
    used = 0;
  }
  const r = used;
  used += 10;
  let ms = now;
  const t: string[] = new Array(6);
  for (let i = 5; i >= 0; i--) {
    t[i] = HEX[ms % 256]!;
    ms = Math.floor(ms / 256);
  }
  const h = (i: number) => HEX[pool[r + i]!]!;
  return (
    `${t[0]}${t[1]}${t[2]}${t[3]}-${t[4]}${t[5]}-` +
    `${HEX[0x70 | (pool[r]! & 0x0f)]}${h(1)}-` + // version 7
    `${HEX[0x80 | (pool[r + 2]! & 0x3f)]}${h(3)}-` + // variant 10
    `${h(4)}${h(5)}${h(6)}${h(7)}${h(8)}${h(9)}`
  );
}
