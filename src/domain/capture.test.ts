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

describe("text(maxBytes): a smaller view of what was kept", () => {
  const bytes = (s: string) => new TextEncoder().encode(s);

  test("of a truncated capture: fewer bytes of head and tail, and the marker counts every byte dropped", () => {
    const c = new HeadTailCapture(10);
    c.push(bytes("abcdefghijklmnopqrstuvwxyz"));
    expect(c.text()).toBe("abcde\n…[16 bytes truncated]…\nvwxyz");
    expect(c.text(4)).toBe("ab\n…[22 bytes truncated]…\nyz");
    expect(c.text(1)).toBe("a\n…[25 bytes truncated]…\n");
  });

  test("of a capture that kept everything: cut in its middle", () => {
    const c = new HeadTailCapture(100);
    c.push(bytes("0123456789"));
    expect(c.text(4)).toBe("01\n…[6 bytes truncated]…\n89");
    expect(c.text(10)).toBe("0123456789");
    const wrapped = new HeadTailCapture(8);
    wrapped.push(bytes("012345"));
    expect(wrapped.text(2)).toBe("0\n…[4 bytes truncated]…\n5");
  });
});
