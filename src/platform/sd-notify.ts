/**
 * The one `bun:ffi` doorway: a Unix datagram socket to systemd's `NOTIFY_SOCKET`, through
 * libc's `socket(2)` and `sendto(2)` (`node:dgram` cannot open Unix datagram sockets, and
 * libsystemd may be absent; libc never is). libc is opened only when a socket is asked for,
 * so a server without `NOTIFY_SOCKET` loads nothing. A Deno build replaces this file with
 * `Deno.dlopen` and the same `NotifySend`.
 */
import { dlopen, FFIType, read } from "bun:ffi";
import type { NotifySend } from "../domain/service-manager.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
/** Shell tasks' children must not inherit the socket. Linux's value on x86-64 and arm64. */
const SOCK_CLOEXEC = 0o2000000;
/** Never block the event loop on a full queue, never die of SIGPIPE. */
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** `sizeof(sockaddr_un.sun_path)` on Linux. */
const SUN_PATH_MAX = 108;

function libc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
    __errno_location: { args: [], returns: FFIType.ptr },
    strerror: { args: [FFIType.i32], returns: FFIType.cstring },
  }).symbols;
}

/**
 * `struct sockaddr_un` for `socket`: a path, or an abstract name (`@name`: the `@` becomes a
 * leading NUL and no NUL ends it). Throws when the name does not fit.
 */
export function socketAddress(socket: string): Uint8Array {
  const abstract = socket.startsWith("@");
  const name = new TextEncoder().encode(abstract ? socket.slice(1) : socket);
  // A path ends with a NUL; an abstract name starts with one.
  const used = name.length + 1;
  if (used > SUN_PATH_MAX)
    throw new Error(`NOTIFY_SOCKET ${socket} is longer than a Unix socket address allows (${SUN_PATH_MAX - 1} bytes)`);
  const address = new Uint8Array(2 + used);
  new DataView(address.buffer).setUint16(0, AF_UNIX, true);
  address.set(name, abstract ? 3 : 2);
  return address;
}

/** Opens a datagram socket for `socket` (a path or `@abstract`); throws when libc or the socket cannot be had. */
export function openNotifySocket(socket: string): NotifySend {
  const address = socketAddress(socket);
  const c = libc();
  const reason = () => {
    const errnoPointer = c.__errno_location();
    return errnoPointer === null ? "unknown error" : String(c.strerror(read.i32(errnoPointer, 0)));
  };
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM) failed: ${reason()}`);
  return (message) => {
    const bytes = new TextEncoder().encode(message);
    const sent = Number(c.sendto(fd, bytes, bytes.length, MSG_DONTWAIT | MSG_NOSIGNAL, address, address.length));
    if (sent < 0) throw new Error(`sendto ${socket} failed: ${reason()}`);
  };
}
