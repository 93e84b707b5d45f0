/**
 * How the conformance suite runs a test: on a fresh, empty store from the factory, closed
 * afterwards whatever happened, so a store that keeps a file or a connection is released.
 */
import { test } from "bun:test";
import type { Store } from "../../../src/domain/store.ts";

export type MakeStore = () => Promise<Store>;

/** `test`, given a fresh store (after `setup`, e.g. registering a definition) that it closes afterwards. */
export function storeTest(makeStore: MakeStore, setup: (store: Store) => Promise<unknown> = async () => {}) {
  return (name: string, body: (store: Store) => Promise<void>) =>
    test(name, async () => {
      const store = await makeStore();
      try {
        await setup(store);
        await body(store);
      } finally {
        await store.close();
      }
    });
}
