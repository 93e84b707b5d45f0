import { describe, expect, test } from "bun:test";
import { HeadTailCapture } from "./capture.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("HeadTailCapture", () => {
  test("keeps everything under the cap, across chunks", () => {
    const c = new HeadTailCapture(16);
    c.push(bytes("hello "));
    c.push(bytes("world"));
    expect(c.text()).toBe("hello world");
    expect(c.truncated).toBe(false);
    expect(c.totalBytes).toBe(11);
  });

  test("over the cap: the head and the tail, with the number of bytes dropped between them", () => {
    const c = new HeadTailCapture(8);
    for (const ch of "abcdefghijklmnopqrstuvwxyz") c.push(bytes(ch));
    expect(c.truncated).toBe(true);
    expect(c.text()).toBe("abcd\n…[18 bytes truncated]…\nwxyz");
  });

  test("one huge chunk keeps its first and last bytes", () => {
    const c = new HeadTailCapture(6);
    c.push(bytes(`ABC${"x".repeat(100_000)}XYZ`));
    expect(c.text()).toBe("ABC\n…[100000 bytes truncated]…\nXYZ");
    expect(c.totalBytes).toBe(100_006);
  });

  test("exactly the cap is not truncated", () => {
    const c = new HeadTailCapture(6);
    c.push(bytes("abcdef"));
    expect(c.truncated).toBe(false);
    expect(c.text()).toBe("abcdef");
  });

  test("a cap below 2 bytes is refused", () => {
    expect(() => new HeadTailCapture(1)).toThrow(RangeError);
  });
});
