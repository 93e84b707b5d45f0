/**
 * Bounded capture of a stream that may be huge (a command's stdout, an HTTP body): every byte
 * is consumed, so the producer never blocks, but only the first and the last `capBytes / 2`
 * bytes are kept. The text shows where bytes were dropped and how many, so a reader never
 * mistakes a truncated capture for the whole.
 */

/** Default cap of each captured stream: 1 MiB. */
export const DEFAULT_CAPTURE_BYTES = 1024 * 1024;

export class HeadTailCapture {
  private readonly head: Uint8Array;
  private headLength = 0;
  /** A ring of the last bytes seen after the head filled up. */
  private readonly tail: Uint8Array;
  private tailStart = 0;
  private tailLength = 0;
  /** Every byte pushed, kept or not. */
  totalBytes = 0;

  constructor(readonly capBytes: number = DEFAULT_CAPTURE_BYTES) {
    if (!Number.isInteger(capBytes) || capBytes < 2)
      throw new RangeError(`capture cap must be an integer of at least 2 bytes, got ${capBytes}`);
    this.head = new Uint8Array(Math.ceil(capBytes / 2));
    this.tail = new Uint8Array(Math.floor(capBytes / 2));
  }

  /** True once more bytes came than the cap keeps. */
  get truncated(): boolean {
    return this.totalBytes > this.headLength + this.tailLength;
  }

  push(chunk: Uint8Array): void {
    this.totalBytes += chunk.length;
    let rest = chunk;
    if (this.headLength < this.head.length) {
      const n = Math.min(rest.length, this.head.length - this.headLength);
      this.head.set(rest.subarray(0, n), this.headLength);
      this.headLength += n;
      rest = rest.subarray(n);
    }
    if (rest.length === 0 || this.tail.length === 0) return;
    // Only the last `tail.length` bytes of this chunk can survive.
    if (rest.length > this.tail.length) rest = rest.subarray(rest.length - this.tail.length);
    for (const byte of rest) {
      const end = (this.tailStart + this.tailLength) % this.tail.length;
      this.tail[end] = byte;
      if (this.tailLength < this.tail.length) this.tailLength++;
      else this.tailStart = (this.tailStart + 1) % this.tail.length;
    }
  }

  /**
   * The kept bytes as UTF-8 text; a cut is marked `…[N bytes truncated]…` on a line of its own.
   * `maxBytes` (below the cap) keeps less: the first and the last `maxBytes / 2` of them.
   */
  text(maxBytes: number = this.capBytes): string {
    const tail = new Uint8Array(this.tailLength);
    for (let i = 0; i < this.tailLength; i++) tail[i] = this.tail[(this.tailStart + i) % this.tail.length]!;
    let first: Uint8Array = this.head.subarray(0, this.headLength);
    let last: Uint8Array = tail;
    if (first.length + last.length > maxBytes) {
      // Without a gap yet the kept bytes are one run: cut it in its middle.
      if (!this.truncated) [first, last] = [concat(first, last), concat(first, last)];
      first = first.subarray(0, Math.ceil(maxBytes / 2));
      last = last.subarray(last.length - Math.floor(maxBytes / 2));
    }
    const decoder = new TextDecoder();
    const dropped = this.totalBytes - first.length - last.length;
    const [head, tailText] = [decoder.decode(first), decoder.decode(last)];
    return dropped > 0 ? `${head}\n…[${dropped} bytes truncated]…\n${tailText}` : head + tailText;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
