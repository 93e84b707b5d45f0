/**
 * A stand-in for systemd's notify socket in tests: a Unix datagram socket bound to a path,
 * read through libc with `bun:ffi` (`node:dgram` cannot open one). Messages are collected by a
 * short non-blocking poll loop, with the time each one arrived, until `close()`.
 */
import { dlopen, FFIType } from "bun:ffi";
import { unlinkSync } from "node:fs";
import { socketAddress } from "../../src/platform/sd-notify.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;

const c = dlopen("libc.so.6", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
}).symbols;

export interface NotifyMessage {
  text: string;
  /** `Date.now()` when the poll loop read it. */
  at: number;
}

export interface NotifyListener {
  /** The value to give the server as `NOTIFY_SOCKET`. */
  socket: string;
  /** Every datagram received so far, in order. */
  messages: NotifyMessage[];
  /** Resolves with the first message (from index `from` on) that `match` accepts; rejects after `ms`. */
  next(match: (text: string) => boolean, ms?: number, from?: number): Promise<{ message: NotifyMessage; index: number }>;
  close(): void;
}

/** Binds a datagram socket at `path` (a file path, or `@name` for an abstract one) and starts reading it. */
export function listenForNotifications(path: string): NotifyListener {
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error("socket(AF_UNIX, SOCK_DGRAM) failed");
  const address = socketAddress(path);
  if (c.bind(fd, address, address.length) !== 0) throw new Error(`bind ${path} failed`);
  const messages: NotifyMessage[] = [];
  const buffer = new Uint8Array(4096);
  const decoder = new TextDecoder();
  const drain = () => {
    for (;;) {
      const n = Number(c.recv(fd, buffer, buffer.length, MSG_DONTWAIT));
      if (n < 0) return;
      messages.push({ text: decoder.decode(buffer.subarray(0, n)), at: Date.now() });
    }
  };
  const timer = setInterval(drain, 10);
  let closed = false;
  return {
    socket: path,
    messages,
    async next(match, ms = 10_000, from = 0) {
      const deadline = Date.now() + ms;
      for (;;) {
        drain();
        const index = messages.findIndex((m, i) => i >= from && match(m.text));
        if (index >= 0) return { message: messages[index]!, index };
        if (Date.now() > deadline)
          throw new Error(`no matching notification within ${ms} ms; received: ${JSON.stringify(messages.map((m) => m.text))}`);
        await Bun.sleep(10);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      drain();
      c.close(fd);
      if (!path.startsWith("@")) unlinkSync(path);
    },
  };
}
