import { describe, expect, test } from "bun:test";
import type { Logger } from "./log.ts";
import { NO_SERVICE_MANAGER, notifyingServiceManager, notifyMessage, notifyTarget } from "./service-manager.ts";

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`) };
}

describe("notifyTarget", () => {
  test("no NOTIFY_SOCKET, or an empty one, asks for nothing", () => {
    expect(notifyTarget({}, 42)).toEqual({ kind: "none" });
    expect(notifyTarget({ NOTIFY_SOCKET: "", WATCHDOG_USEC: "1000000" }, 42)).toEqual({ kind: "none" });
  });

  test("a path or an @abstract name is a socket; anything else (vsock:, a relative name) is one Baton cannot use", () => {
    expect(notifyTarget({ NOTIFY_SOCKET: "/run/systemd/notify" }, 42)).toEqual({
      kind: "socket",
      socket: "/run/systemd/notify",
      watchdogUsec: null,
    });
    expect(notifyTarget({ NOTIFY_SOCKET: "@sd-notify" }, 42)).toEqual({ kind: "socket", socket: "@sd-notify", watchdogUsec: null });
    expect(notifyTarget({ NOTIFY_SOCKET: "vsock:2:1234" }, 42)).toEqual({ kind: "unsupported", socket: "vsock:2:1234" });
    expect(notifyTarget({ NOTIFY_SOCKET: "notify.sock" }, 42)).toEqual({ kind: "unsupported", socket: "notify.sock" });
  });

  test("the watchdog is ours when WATCHDOG_USEC is a positive integer and WATCHDOG_PID is unset or our pid", () => {
    const watch = (env: Record<string, string>) => {
      const t = notifyTarget({ NOTIFY_SOCKET: "/n", ...env }, 42);
      return t.kind === "socket" ? t.watchdogUsec : "no socket";
    };
    expect(watch({ WATCHDOG_USEC: "30000000" })).toBe(30_000_000);
    expect(watch({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "42" })).toBe(30_000_000);
    expect(watch({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "" })).toBe(30_000_000);
    expect(watch({ WATCHDOG_USEC: "30000000", WATCHDOG_PID: "41" })).toBeNull();
    for (const bad of ["", "0", "-5", "1.5", "30s", " 100"]) expect(watch({ WATCHDOG_USEC: bad })).toBeNull();
  });
});

describe("notifyMessage", () => {
  test("one KEY=value line per field; a newline in a value cannot start a field of its own", () => {
    expect(notifyMessage({ READY: 1, STATUS: "serving on 127.0.0.1:8080: 0 running, 0 queued" })).toBe(
      "READY=1\nSTATUS=serving on 127.0.0.1:8080: 0 running, 0 queued",
    );
    expect(notifyMessage({ STATUS: "a\nREADY=1\r\nb" })).toBe("STATUS=a READY=1 b");
  });
});

describe("notifyingServiceManager", () => {
  test("each call sends its datagram; the watchdog interval is half of WATCHDOG_USEC", () => {
    const sent: string[] = [];
    const manager = notifyingServiceManager((m) => sent.push(m), { socket: "/n", watchdogUsec: 200_000 }, recordingLogger());
    manager.ready("serving");
    manager.status("busy");
    manager.watchdog();
    manager.stopping("draining");
    manager.extendTimeout(45_000_000.4);
    expect(sent).toEqual([
      "READY=1\nSTATUS=serving",
      "STATUS=busy",
      "WATCHDOG=1",
      "STOPPING=1\nSTATUS=draining",
      "EXTEND_TIMEOUT_USEC=45000000",
    ]);
    expect(manager.watchdogIntervalMs).toBe(100);
    expect(notifyingServiceManager(() => {}, { socket: "/n", watchdogUsec: null }, recordingLogger()).watchdogIntervalMs).toBeNull();
  });

  test("a socket that cannot be written is one warning, once, and never an exception", () => {
    const logger = recordingLogger();
    const manager = notifyingServiceManager(
      () => {
        throw new Error("sendto /run/x failed: Connection refused");
      },
      { socket: "/run/x", watchdogUsec: 1_000_000 },
      logger,
    );
    manager.ready("serving");
    manager.watchdog();
    manager.status("still");
    expect(logger.warnings).toEqual([
      'cannot notify the service manager; systemd may consider Baton not started or hung (warned once) {"socket":"/run/x","error":"sendto /run/x failed: Connection refused"}',
    ]);
  });

  test("the no-op manager sends nothing and watches nothing", () => {
    expect(NO_SERVICE_MANAGER.watchdogIntervalMs).toBeNull();
    expect(() => NO_SERVICE_MANAGER.ready("x")).not.toThrow();
  });
});
