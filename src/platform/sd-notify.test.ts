import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { listenForNotifications } from "../../test/helpers/notify-socket.ts";
import { openNotifySocket, socketAddress } from "./sd-notify.ts";

describe("sd-notify", () => {
  test("sockaddr_un: AF_UNIX, then the path and its NUL; an abstract name starts with the NUL and has none at the end", () => {
    expect([...socketAddress("/a")]).toEqual([1, 0, 47, 97, 0]);
    expect([...socketAddress("@ab")]).toEqual([1, 0, 0, 97, 98]);
    expect(() => socketAddress(`/${"x".repeat(107)}`)).toThrow("is longer than a Unix socket address allows (107 bytes)");
    expect(socketAddress(`/${"x".repeat(106)}`).length).toBe(110);
  });

  test("delivers datagrams to a socket bound at a path and to an abstract one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-notify-"));
    try {
      for (const socket of [join(dir, "notify.sock"), `@baton-test-${process.pid}-${Date.now()}`]) {
        const listener = listenForNotifications(socket);
        try {
          const send = openNotifySocket(socket);
          send("READY=1\nSTATUS=serving");
          send("WATCHDOG=1");
          await listener.next((m) => m === "WATCHDOG=1");
          expect(listener.messages.map((m) => m.text)).toEqual(["READY=1\nSTATUS=serving", "WATCHDOG=1"]);
        } finally {
          listener.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("sending to a socket nobody listens on throws with libc's reason", () => {
    const send = openNotifySocket(join(tmpdir(), `baton-nobody-${process.pid}.sock`));
    expect(() => send("READY=1")).toThrow(/^sendto .*baton-nobody-\d+\.sock failed: No such file or directory$/);
  });
});
