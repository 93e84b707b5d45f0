/** Search inside input and output (`ListFilter.search`): a bounded, resumable read of one definition's range. */
import { describe, expect } from "bun:test";
import type { ListFilter } from "../../../src/domain/model.ts";
import { finishExecution } from "../../helpers/store-steps.ts";
import { newExecution, registered, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

const ids = (page: { executions: { id: string }[] }) => page.executions.map((e) => e.id);

export function searchTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore, async (store) => {
    await registered(store, "job");
    await registered(store, "other");
  });

  describe("listExecutions with search", () => {
    it("input or output contains the text, within a bounded read of one definition's range", async (store) => {
      const input = (id: string, v: unknown) => newExecution(id, { input: { v } });
      await store.enqueue(input("s1", "red apple"), T0 + 1);
      await store.enqueue(input("s2", "green pear"), T0 + 2);
      await store.enqueue(newExecution("x1", { definitionId: "other", input: { v: "red" } }), T0 + 3);
      await store.enqueue(input("s3", "blue"), T0 + 4);
      await store.enqueue(input("s4", "red wine"), T0 + 5);
      await store.admit("s3", T0 + 6);
      await finishExecution(store, "s3", "COMPLETED", { colour: "dark red" }, null, T0 + 6);
      const find = (text: string, more: Partial<ListFilter> = {}) =>
        store.listExecutions({ limit: 10, definitionId: "job", search: { text, scan: 100 }, ...more });
      const all = await find("red");
      expect([ids(all), all.scanned, all.nextCursor]).toEqual([["s4", "s3", "s1"], 4, null]); // s3 by its output
      expect(ids(await find("Red"))).toEqual([]); // case-sensitive
      expect(ids(await find("red", { createdFrom: T0 + 2, createdTo: T0 + 5 }))).toEqual(["s3"]);
      expect(ids(await find("red", { status: "QUEUED" }))).toEqual(["s4", "s1"]);
      // The cap: two read (both match), and the cursor where the reading stopped.
      const capped = await find("red", { search: { text: "red", scan: 2 } });
      expect([ids(capped), capped.scanned]).toEqual([["s4", "s3"], 2]);
      const on = await find("red", { search: { text: "red", scan: 2 }, cursor: capped.nextCursor! });
      expect([ids(on), on.scanned, on.nextCursor]).toEqual([["s1"], 2, null]);
      // A full page stops the reading early, and the next page goes on from its last match.
      const one = await find("red", { limit: 1 });
      expect([ids(one), one.scanned]).toEqual([["s4"], 1]);
      expect(ids(await find("red", { limit: 10, cursor: one.nextCursor! }))).toEqual(["s3", "s1"]);
    });
  });
}
