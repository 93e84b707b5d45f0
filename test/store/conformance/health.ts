/** Health and closing: a store answers while open, accepts writes when healthy, and writes what was asked before close. */
import { describe, expect, test } from "bun:test";
import { newExecution, registered, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

export function healthTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore);

  describe("health", () => {
    it("ping is true while open; a healthy store reports no write fault", async (store) => {
      expect(await store.ping()).toBe(true);
      expect(store.writeFault()).toBeNull();
      await registered(store);
      expect(store.writeFault()).toBeNull();
    });

    it("probeWrites on a healthy store is true at once", async (store) => {
      expect(await store.probeWrites()).toBe(true);
    });

    // Closes the store itself, so it does not use `storeTest`.
    test("after close, ping is false and reads and writes are refused; writes asked before close are kept", async () => {
      const store = await makeStore();
      let closed = false;
      try {
        await registered(store);
        const late = store.enqueue(newExecution("late"), T0);
        closed = true;
        await store.close();
        expect(await late).toMatchObject({ id: "late", status: "QUEUED" });
        expect(await store.ping()).toBe(false);
        await expect(store.enqueue(newExecution("after"), T0)).rejects.toThrow();
        await expect(store.listExecutions({ limit: 1 })).rejects.toThrow();
      } finally {
        if (!closed) await store.close();
      }
    });
  });
}
