/**
 * The doorway to a service manager (systemd's notify protocol, `sd_notify(3)`): what Baton
 * tells its supervisor, as a port and pure rules. Which socket the environment names, the text
 * of each datagram, and the warning when one cannot be sent live here; only the sending itself
 * is runtime-specific (`platform/sd-notify.ts` with `bun:ffi`; a Deno build hands in a sender
 * built on `Deno.dlopen`). Without `NOTIFY_SOCKET`, `NO_SERVICE_MANAGER` does nothing.
 */
import type { Logger } from "./log.ts";

/** What Baton tells the service manager. Every call returns at once and never throws. */
export interface ServiceManager {
  /** Start-up is over: the database is open, recovery admitted, the port listening. */
  ready(status: string): void;
  /** A one-line state for `systemctl status`. */
  status(text: string): void;
  /** Alive: the event loop turns and the database answers a read. */
  watchdog(): void;
  /** A stop began; `status` says what it waits for. */
  stopping(status: string): void;
  /** Asks for `usec` more microseconds before the current start or stop times out. */
  extendTimeout(usec: number): void;
  /** How often `watchdog()` must be called, or null when nobody watches this process. */
  readonly watchdogIntervalMs: number | null;
}

export const NO_SERVICE_MANAGER: ServiceManager = {
  ready() {},
  status() {},
  watchdog() {},
  stopping() {},
  extendTimeout() {},
  watchdogIntervalMs: null,
};

/** Delivers one datagram to the notify socket; throws an `Error` saying why when it cannot. */
export type NotifySend = (message: string) => void;

/** What the environment asks for: nothing, a socket Baton cannot use, or a socket (with the watchdog's period when it is ours). */
export type NotifyTarget =
  | { kind: "none" }
  | { kind: "unsupported"; socket: string }
  | { kind: "socket"; socket: string; watchdogUsec: number | null };

/**
 * Reads `NOTIFY_SOCKET`, `WATCHDOG_USEC` and `WATCHDOG_PID` as `sd_notify(3)` and
 * `sd_watchdog_enabled(3)` do: a path (`/…`) or an abstract name (`@…`) is a socket; the
 * watchdog is ours when `WATCHDOG_USEC` is a positive integer and `WATCHDOG_PID` is unset or
 * is `pid` (a child that inherited the variables must not feed its parent's watchdog).
 */
export function notifyTarget(env: Record<string, string | undefined>, pid: number): NotifyTarget {
  const socket = env.NOTIFY_SOCKET ?? "";
  if (socket === "") return { kind: "none" };
  if (!socket.startsWith("/") && !socket.startsWith("@")) return { kind: "unsupported", socket };
  const usec = /^[1-9][0-9]*$/.test(env.WATCHDOG_USEC ?? "") ? Number(env.WATCHDOG_USEC) : null;
  const forUs = env.WATCHDOG_PID === undefined || env.WATCHDOG_PID === "" || env.WATCHDOG_PID === String(pid);
  return { kind: "socket", socket, watchdogUsec: usec !== null && forUs ? usec : null };
}

/** The text of one notification: `KEY=value` lines; a newline inside a value would start a new field, so it becomes a space. */
export function notifyMessage(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(([key, value]) => `${key}=${String(value).replace(/[\r\n]+/g, " ")}`)
    .join("\n");
}

/**
 * The service manager behind a notify socket. A datagram that cannot be sent is dropped:
 * the first failure is logged once, as a warning, and Baton carries on serving.
 */
export function notifyingServiceManager(
  send: NotifySend,
  target: { socket: string; watchdogUsec: number | null },
  logger: Logger,
): ServiceManager {
  let warned = false;
  const notify = (fields: Record<string, string | number>) => {
    try {
      send(notifyMessage(fields));
    } catch (err) {
      if (warned) return;
      warned = true;
      logger.warn("cannot notify the service manager; systemd may consider Baton not started or hung (warned once)", {
        socket: target.socket,
        error: err instanceof Error ? err.message : String(err),
      });
    }
  };
  return {
    ready: (status) => notify({ READY: 1, STATUS: status }),
    status: (text) => notify({ STATUS: text }),
    watchdog: () => notify({ WATCHDOG: 1 }),
    stopping: (status) => notify({ STOPPING: 1, STATUS: status }),
    extendTimeout: (usec) => notify({ EXTEND_TIMEOUT_USEC: Math.max(0, Math.round(usec)) }),
    // Half the period, as sd_watchdog_enabled(3) advises: one late turn does not cost a restart.
    watchdogIntervalMs: target.watchdogUsec === null ? null : Math.max(1, Math.floor(target.watchdogUsec / 2000)),
  };
}
