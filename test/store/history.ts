/** A short history for tests that move a database between drivers or runtimes: two definitions; queued, running and cancelled executions. */
import type { Store } from "../../src/domain/store.ts";
import { newExecution, registered, T0 } from "./fixtures.ts";

export async function someHistory(store: Store): Promise<void> {
  await registered(store);
  await registered(store, "other");
  for (const id of ["e1", "e2", "e3"]) await store.enqueue(newExecution(id, { input: { id, text: "é✓", n: [1, 2.5, null] } }), T0);
  await store.admit("e1", T0 + 1, [{ taskId: "a", attempt: 1 }]);
  await store.cancel("e2", T0 + 2, "ops");
}
