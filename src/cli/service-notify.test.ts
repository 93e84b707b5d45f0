import { describe, expect, test } from "bun:test";
import { FakeClock } from "../../test/helpers/fake-clock.ts";
import type { Logger } from "../domain/log.ts";
import { NO_SERVICE_MANAGER, notifyingServiceManager } from "../domain/service-manager.ts";
import { CLOSE_ALLOWANCE_MS, ServiceNotifications, STATUS_EVERY_MS, serviceManagerFrom } from "./service-notify.ts";

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (message) => warnings.push(message) };
}

/** Notifications over a recording socket, with a 1 s watchdog (sent every 500 ms) and counts and health the test sets. */
function world() {
  const clock = new FakeClock();
  const sent: string[] = [];
  const health = { reads: true as boolean | "throws", fault: null as string | null };
  const counts = { running: 0, queued: 0 };
  const notifications = new ServiceNotifications({
    manager: notifyingServiceManager((m) => sent.push(m), { socket: "/n", watchdogUsec: 1_000_000 }, recordingLogger()),
    clock,
    ping: async () => {
      if (health.reads === "throws") throw new Error("the database is gone");
      return health.reads;
    },
    counts: () => ({ ...counts }),
    writeFault: () => health.fault,
  });
  return { clock, sent, health, counts, notifications };
}

describe("serviceManagerFrom", () => {
  test("without NOTIFY_SOCKET nothing is opened and nothing is sent", () => {
    let opened = 0;
    const logger = recordingLogger();
    const manager = serviceManagerFrom({ WATCHDOG_USEC: "1000000" }, 42, logger, () => {
      opened++;
      return () => {};
    });
    expect(manager).toBe(NO_SERVICE_MANAGER);
    expect(opened).toBe(0);
    expect(logger.warnings).toEqual([]);
  });

  test("a socket Baton cannot use or open is one warning, and serving goes on without notifications", () => {
    const logger = recordingLogger();
    expect(serviceManagerFrom({ NOTIFY_SOCKET: "vsock:2:9" }, 42, logger)).toBe(NO_SERVICE_MANAGER);
    const failing = () => {
      throw new Error("socket(AF_UNIX, SOCK_DGRAM) failed: Too many open files");
    };
    expect(serviceManagerFrom({ NOTIFY_SOCKET: "/run/n" }, 42, logger, failing)).toBe(NO_SERVICE_MANAGER);
    expect(logger.warnings).toEqual([
      "NOTIFY_SOCKET is not a Unix socket path or @abstract name; systemd will not hear from Baton",
      "cannot open the notify socket; systemd will not hear from Baton",
    ]);
  });

  test("with NOTIFY_SOCKET the opened socket carries the messages", () => {
    const sent: string[] = [];
    serviceManagerFrom({ NOTIFY_SOCKET: "@x" }, 42, recordingLogger(), () => (m) => sent.push(m)).ready("up");
    expect(sent).toEqual(["READY=1\nSTATUS=up"]);
  });
});

describe("ServiceNotifications", () => {
  test("READY=1 with the serving status, then STATUS only when it changed", async () => {
    const { clock, sent, counts, notifications } = world();
    notifications.serving("127.0.0.1:8080");
    expect(sent).toEqual(["READY=1\nSTATUS=serving on 127.0.0.1:8080: 0 running, 0 queued"]);
    await clock.advance(STATUS_EVERY_MS);
    expect(sent.filter((m) => m.startsWith("STATUS"))).toEqual([]);
    counts.running = 3;
    counts.queued = 12;
    await clock.advance(STATUS_EVERY_MS);
    await clock.advance(STATUS_EVERY_MS);
    expect(sent.filter((m) => m.startsWith("STATUS"))).toEqual(["STATUS=serving on 127.0.0.1:8080: 3 running, 12 queued"]);
  });

  test("WATCHDOG=1 every half period while the database answers reads; a full disk does not stop it", async () => {
    const { clock, sent, health, notifications } = world();
    notifications.serving("127.0.0.1:8080");
    await clock.advance(2_000);
    expect(sent.filter((m) => m === "WATCHDOG=1")).toHaveLength(4);
    health.fault = "the disk is full (SQLITE_FULL)";
    await clock.advance(STATUS_EVERY_MS - 2_000);
    expect(sent.filter((m) => m === "WATCHDOG=1")).toHaveLength(10);
    expect(sent).toContain(
      "STATUS=serving on 127.0.0.1:8080: 0 running, 0 queued; writes refused (the disk is full (SQLITE_FULL)), retrying",
    );
    health.reads = false;
    await clock.advance(5_000);
    expect(sent.filter((m) => m === "WATCHDOG=1")).toHaveLength(10);
    health.reads = true;
    await clock.advance(500);
    expect(sent.filter((m) => m === "WATCHDOG=1")).toHaveLength(11);
    health.reads = "throws";
    await clock.advance(1_000);
    health.reads = true;
    await clock.advance(500);
    expect(sent.filter((m) => m === "WATCHDOG=1")).toHaveLength(12);
  });

  test("draining: STOPPING=1, then the stop timeout extended up to grace plus closing, never beyond", async () => {
    const { clock, sent, counts, notifications } = world();
    notifications.serving("127.0.0.1:8080");
    counts.running = 2;
    sent.length = 0;
    notifications.draining(30_000);
    expect(sent).toEqual([
      "STOPPING=1\nSTATUS=draining: 2 running, 30 s of grace left",
      `EXTEND_TIMEOUT_USEC=${(30_000 + CLOSE_ALLOWANCE_MS) * 1000}`,
    ]);
    counts.running = 1;
    await clock.advance(STATUS_EVERY_MS);
    const extensions = () => sent.filter((m) => m.startsWith("EXTEND_TIMEOUT_USEC=")).map((m) => Number(m.split("=")[1]));
    expect(sent).toContain("STATUS=draining: 1 running, 25 s of grace left");
    expect(extensions()).toEqual([45_000_000, 40_000_000]);
    await clock.advance(60_000);
    expect(extensions()).toEqual([
      45_000_000, 40_000_000, 35_000_000, 30_000_000, 25_000_000, 20_000_000, 15_000_000, 10_000_000, 5_000_000,
    ]);
    expect(sent.at(-1)).not.toStartWith("STATUS=serving");
  });

  test("closing says so and stops every loop", async () => {
    const { clock, sent, notifications } = world();
    notifications.serving("127.0.0.1:8080");
    notifications.draining(1_000);
    notifications.closing();
    const before = sent.length;
    expect(sent.at(-1)).toBe("STATUS=closing the database");
    await clock.advance(60_000);
    expect(sent.length).toBe(before);
    expect(clock.pending).toBe(0);
  });
});
