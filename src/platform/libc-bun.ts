/** The Bun side of platform/sd-notify.ts: libc's `socket`/`sendto` through the only `bun:ffi`. */
import { dlopen, FFIType, read } from "bun:ffi";
import type { Libc } from "./sides.ts";

export function openLibc(): Libc {
  const c = dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
    __errno_location: { args: [], returns: FFIType.ptr },
    strerror: { args: [FFIType.i32], returns: FFIType.cstring },
  }).symbols;
  return {
    socket: (domain, type, protocol) => c.socket(domain, type, protocol),
    sendto: (fd, bytes, flags, address) => Number(c.sendto(fd, bytes, bytes.length, flags, address, address.length)),
    errorMessage: () => {
      const errnoPointer = c.__errno_location();
      return errnoPointer === null ? "unknown error" : String(c.strerror(read.i32(errnoPointer, 0)));
    },
  };
}
