/**
 * The doorway to systemd's `NOTIFY_SOCKET`: a Unix datagram socket, through libc's `socket(2)`
 * and `sendto(2)` (`node:dgram` cannot open Unix datagram sockets, and libsystemd may be
 * absent; libc never is), bound by the running runtime's FFI: `bun:ffi` in `libc-bun.ts`,
 * `Deno.dlopen` in `libc-deno.ts`. libc is opened only when a socket is asked for, so a server
 * without `NOTIFY_SOCKET` opens nothing (and Deno needs `--allow-ffi` only then).
 */
import type { NotifySend } from "../domain/service-manager.ts";
import { ON_DENO } from "./runtime.ts";
import type { Libc } from "./sides.ts";

const { openLibc }: { openLibc: () => Libc } = ON_DENO ? await import("./libc-deno.ts") : await import("./libc-bun.ts");

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
/** Shell tasks' children must not inherit the socket. Linux's value on x86-64 and arm64. */
const SOCK_CLOEXEC = 0o2000000;
/** Never block the event loop on a full queue, never die of SIGPIPE. */
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
/** `sizeof(sockaddr_un.sun_path)` on Linux. */
const SUN_PATH_MAX = 108;

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
  const c = openLibc();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM) failed: ${c.errorMessage()}`);
  return (message) => {
    const bytes = new TextEncoder().encode(message);
    const sent = c.sendto(fd, bytes, MSG_DONTWAIT | MSG_NOSIGNAL, address);
    if (sent < 0) throw new Error(`sendto ${socket} failed: ${c.errorMessage()}`);
  };
}
