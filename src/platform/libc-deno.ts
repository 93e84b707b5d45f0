/**
 * The Deno side of platform/sd-notify.ts: libc's `socket`/`sendto` through the only
 * `Deno.dlopen` (it needs `--allow-ffi`; without it the open throws, and the server says so).
 */
import type { Libc } from "./sides.ts";

export function openLibc(): Libc {
  const c = Deno.dlopen("libc.so.6", {
    socket: { parameters: ["i32", "i32", "i32"], result: "i32" },
    sendto: { parameters: ["i32", "buffer", "u64", "i32", "buffer", "u32"], result: "i64" },
    __errno_location: { parameters: [], result: "pointer" },
    strerror: { parameters: ["i32"], result: "pointer" },
  }).symbols;
  return {
    socket: (domain, type, protocol) => c.socket(domain, type, protocol) as number,
    sendto: (fd, bytes, flags, address) => Number(c.sendto(fd, bytes, BigInt(bytes.length), flags, address, address.length)),
    errorMessage: () => {
      const errnoPointer = c.__errno_location() as Deno.PointerValue;
      if (errnoPointer === null) return "unknown error";
      const text = c.strerror(new Deno.UnsafePointerView(errnoPointer).getInt32()) as Deno.PointerValue;
      return text === null ? "unknown error" : Deno.UnsafePointerView.getCString(text);
    },
  };
}
