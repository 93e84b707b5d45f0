/**
 * What `baton serve` tells systemd, and when, through the `ServiceManager` port: READY=1 once
 * serving, a STATUS line refreshed every few seconds when it changed, WATCHDOG=1 while the
 * event loop turns and the database answers a read, then STOPPING=1 and extensions of the stop
 * timeout while draining. With `NO_SERVICE_MANAGER` every message goes nowhere.
 */
import type { Clock, TimerHandle } from "../domain/clock.ts";
import type { Logger } from "../domain/log.ts";
import {
  NO_SERVICE_MANAGER,
  type NotifySend,
  notifyingServiceManager,
  notifyTarget,
  type ServiceManager,
} from "../domain/service-manager.ts";
import { openNotifySocket } from "../platform/sd-notify.ts";

/** How often the STATUS line is looked at (and sent when it changed), and the stop timeout extended while draining. */
export const STATUS_EVERY_MS = 5_000;

/** Asked beyond the grace period when draining: closing the server and the database (a last checkpoint). */
export const CLOSE_ALLOWANCE_MS = 15_000;

export interface ServiceNotificationsDeps {
  manager: ServiceManager;
  clock: Clock;
  /**
   * True when the database answers a read. Only a read counts: a full disk refuses writes, but
   * /healthz reports it and Baton heals by itself, so it is no reason for systemd to restart Baton.
   */
  ping: () => Promise<boolean>;
  /** Executions holding a slot and executions waiting in this process. */
  counts: () => { running: number; queued: number };
  /** Why writes are refused right now (a full disk), or null. */
  writeFault: () => string | null;
}

export class ServiceNotifications {
  private readonly timers = new Set<TimerHandle>();
  private lastStatus = "";
  private address = "";
  private drainUntil: number | null = null;
  private stopped = false;

  constructor(private readonly deps: ServiceNotificationsDeps) {}

  /** The server listens on `address` and recovery was admitted: READY=1, then the status and watchdog loops. */
  serving(address: string): void {
    this.address = address;
    this.lastStatus = this.statusText();
    this.deps.manager.ready(this.lastStatus);
    this.every(STATUS_EVERY_MS, () => this.refresh());
    const interval = this.deps.manager.watchdogIntervalMs;
    if (interval !== null) this.every(interval, () => this.watchdogOnce());
  }

  /** Sends WATCHDOG=1 if the database answers a read; true when it was sent. */
  async watchdogOnce(): Promise<boolean> {
    // A read that fails, whichever way, is a database that does not answer.
    if (!(await this.deps.ping().catch(() => false))) return false;
    // A stop may have closed the database while the read was pending.
    if (this.stopped) return false;
    this.deps.manager.watchdog();
    return true;
  }

  /** Sends the STATUS line if it changed and, while draining, extends the stop timeout up to the end of grace plus closing. */
  refresh(): void {
    const text = this.statusText();
    if (text !== this.lastStatus) {
      this.lastStatus = text;
      this.deps.manager.status(text);
    }
    this.extend();
  }

  /** A stop began with `graceMs` for running attempts: STOPPING=1 and a stop timeout long enough for the grace and closing. */
  draining(graceMs: number): void {
    const now = this.deps.clock.now();
    this.drainUntil = now + graceMs + CLOSE_ALLOWANCE_MS;
    this.lastStatus = this.statusText(graceMs);
    this.deps.manager.stopping(this.lastStatus);
    this.extend(now);
  }

  /** The drain is over: says so, and stops every loop (the database is about to close). */
  closing(): void {
    this.stopped = true;
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
    this.deps.manager.status("closing the database");
  }

  private extend(now = this.deps.clock.now()): void {
    if (this.drainUntil === null) return;
    const left = this.drainUntil - now;
    // Past the allowance a drain is stuck: systemd's own timeout takes over (then SIGKILL).
    if (left > 0) this.deps.manager.extendTimeout(left * 1000);
  }

  private statusText(graceLeftMs?: number): string {
    const { running, queued } = this.deps.counts();
    if (this.drainUntil !== null) {
      const left = graceLeftMs ?? Math.max(0, this.drainUntil - CLOSE_ALLOWANCE_MS - this.deps.clock.now());
      return `draining: ${running} running, ${Math.ceil(left / 1000)} s of grace left`;
    }
    const fault = this.deps.writeFault();
    const serving = `serving on ${this.address}: ${running} running, ${queued} queued`;
    return fault === null ? serving : `${serving}; writes refused (${fault}), retrying`;
  }

  /** Calls `fn` every `ms`, the next call armed once the last one has finished. */
  private every(ms: number, fn: () => unknown): void {
    const arm = () => {
      const timer = this.deps.clock.setTimer(async () => {
        this.timers.delete(timer);
        try {
          await fn();
        } finally {
          if (!this.stopped) arm();
        }
      }, ms);
      this.timers.add(timer);
    };
    arm();
  }
}

/**
 * The service manager the environment names: systemd's notify socket through libc, or
 * `NO_SERVICE_MANAGER` without `NOTIFY_SOCKET` (then nothing is opened or sent). A socket
 * Baton cannot use is one warning, never a refused start: Baton serves either way.
 */
export function serviceManagerFrom(
  env: Record<string, string | undefined>,
  pid: number,
  logger: Logger,
  open: (socket: string) => NotifySend = openNotifySocket,
): ServiceManager {
  const target = notifyTarget(env, pid);
  if (target.kind === "none") return NO_SERVICE_MANAGER;
  if (target.kind === "unsupported") {
    logger.warn("NOTIFY_SOCKET is not a Unix socket path or @abstract name; systemd will not hear from Baton", { socket: target.socket });
    return NO_SERVICE_MANAGER;
  }
  try {
    return notifyingServiceManager(open(target.socket), target, logger);
  } catch (err) {
    logger.warn("cannot open the notify socket; systemd will not hear from Baton", {
      socket: target.socket,
      error: err instanceof Error ? err.message : String(err),
    });
    return NO_SERVICE_MANAGER;
  }
}
