/**
 * `baton serve` as a systemd notify service, seen from the notify socket: a Unix datagram
 * socket the test binds (test/helpers/notify-socket.ts) and names in NOTIFY_SOCKET, as systemd
 * does. READY=1 only once /healthz answers, WATCHDOG=1 at half of WATCHDOG_USEC, STOPPING=1
 * and an extended stop timeout on SIGTERM, exit 0; a socket nobody reads is one warning.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { listenForNotifications, type NotifyListener } from "../helpers/notify-socket.ts";
import { freePort, JOBS, spawnBaton, startBaton, tempDir, waitFor } from "./harness.ts";

let listener: NotifyListener | undefined;
afterEach(() => listener?.close());

describe("systemd notify", () => {
  test("READY=1 after /healthz answers, then WATCHDOG=1 repeatedly; SIGTERM sends STOPPING=1 and EXTEND_TIMEOUT_USEC, exit 0", async () => {
    const dir = tempDir();
    listener = listenForNotifications(join(dir, "notify.sock"));
    const port = freePort();
    const proc = spawnBaton(
      [
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        String(port),
        "--db",
        join(dir, "baton.db"),
        "--jobs",
        JOBS,
        "--shutdown-grace-seconds",
        "1",
      ],
      { env: { NOTIFY_SOCKET: listener.socket, WATCHDOG_USEC: "200000" } },
    );
    const ready = await listener.next((m) => m.startsWith("READY=1"), 15_000);
    // Asked once, right when READY arrived: the port must already be listening and healthy.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect(ready.index).toBe(0);
    expect(ready.message.text).toBe(`READY=1\nSTATUS=serving on 127.0.0.1:${port}: 0 running, 0 queued`);

    let from = ready.index + 1;
    for (let i = 0; i < 3; i++) from = (await listener.next((m) => m === "WATCHDOG=1", 5_000, from)).index + 1;

    const post = (path: string, body: unknown) =>
      fetch(`http://127.0.0.1:${port}${path}`, {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "content-type": "application/json" },
      });
    expect(
      (await post("/job-definitions", { id: "nap", tasks: [{ id: "nap", functionName: "sleep", params: { ms: 60_000 } }] })).status,
    ).toBe(201);
    expect((await post("/jobs/nap/execute", {})).status).toBe(202);

    proc.kill("SIGTERM");
    const stopping = await listener.next((m) => m.startsWith("STOPPING=1"), 5_000);
    expect(stopping.message.text).toBe("STOPPING=1\nSTATUS=draining: 1 running, 1 s of grace left");
    // The grace (1 s) plus 15 s for closing the server and the database.
    expect((await listener.next((m) => m.startsWith("EXTEND_TIMEOUT_USEC="), 5_000, stopping.index)).message.text).toBe(
      "EXTEND_TIMEOUT_USEC=16000000",
    );
    expect(await proc.exited).toBe(0);
    await listener.next((m) => m === "STATUS=closing the database", 5_000, stopping.index);
    expect(listener.messages.filter((m) => m.text.startsWith("READY=1"))).toHaveLength(1);
  });

  test("a notify socket nobody listens on is one warning; Baton serves and stops as usual", async () => {
    const socket = join(tempDir(), "nobody.sock");
    const baton = await startBaton({ env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC: "100000" } });
    const warning = "cannot notify the service manager; systemd may consider Baton not started or hung (warned once)";
    await waitFor("the warning", async () => baton.logs().includes(warning));
    // Watchdog datagrams keep failing every 50 ms meanwhile; a real request still answers.
    expect((await baton.request("GET", "/livez")).status).toBe(200);
    expect(await baton.stop()).toBe(0);
    expect(baton.logs().split(warning)).toHaveLength(2);
    expect(baton.logs()).toContain(`socket=${socket}`);
    expect(baton.logs()).toContain("No such file or directory");
  });
});
