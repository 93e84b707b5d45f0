/** Definitions: every version kept, a version only for a changed canonical body, read back exactly as registered. */
import { describe, expect } from "bun:test";
import { canonicalJson } from "../../../src/domain/json.ts";
import { BODY, registered, T0 } from "../fixtures.ts";
import { type MakeStore, storeTest } from "./harness.ts";

export function definitionTests(makeStore: MakeStore): void {
  const it = storeTest(makeStore);

  describe("definitions", () => {
    it("a fresh store has none", async (store) => {
      expect(await store.listDefinitions()).toEqual([]);
      expect(await store.getDefinition("job")).toBeNull();
      expect(await store.definitionVersions("job")).toEqual([]);
    });

    it("the same canonical body is no new version; a different one is n+1", async (store) => {
      expect(await registered(store)).toEqual({ version: 1, created: true });
      const reordered = { tasks: BODY.tasks, id: "job" };
      expect(await store.registerDefinition("job", reordered, canonicalJson(reordered), T0 + 1)).toEqual({ version: 1, created: false });
      const changed = { ...BODY, name: "renamed" };
      expect(await store.registerDefinition("job", changed, canonicalJson(changed), T0 + 2)).toEqual({ version: 2, created: true });
      // Going back to the first body is a change from the latest: version 3.
      expect(await registered(store)).toEqual({ version: 3, created: true });
      expect(await store.definitionVersions("job")).toEqual([1, 2, 3]);
      // The body not stored again keeps the first one's time and shape.
      expect(await store.getDefinition("job", 1)).toEqual({ id: "job", version: 1, body: BODY, createdAt: T0, registeredBy: null });
    });

    it("get returns the latest or the given version, exactly as registered", async (store) => {
      await registered(store);
      const changed = { ...BODY, name: "renamed" };
      await store.registerDefinition("job", changed, canonicalJson(changed), T0 + 5);
      expect(await store.getDefinition("job")).toEqual({ id: "job", version: 2, body: changed, createdAt: T0 + 5, registeredBy: null });
      expect(await store.getDefinition("job", 1)).toEqual({ id: "job", version: 1, body: BODY, createdAt: T0, registeredBy: null });
      expect(await store.getDefinition("job", 3)).toBeNull();
      expect(await store.getDefinition("nope")).toBeNull();
      expect(await store.getDefinition("nope", 1)).toBeNull();
    });

    it("list gives the latest version of each, by id", async (store) => {
      await registered(store, "zeta");
      await registered(store, "alpha");
      const changed = { ...BODY, id: "zeta", name: "v2" };
      await store.registerDefinition("zeta", changed, canonicalJson(changed), T0 + 1);
      expect(await store.listDefinitions()).toEqual([
        { id: "alpha", version: 1, body: { ...BODY, id: "alpha" }, createdAt: T0, registeredBy: null },
        { id: "zeta", version: 2, body: changed, createdAt: T0 + 1, registeredBy: null },
      ]);
      expect(await store.definitionVersions("zeta")).toEqual([1, 2]);
      expect(await store.definitionVersions("alpha")).toEqual([1]);
    });

    it("a new version keeps who registered it; an unchanged body does not change it", async (store) => {
      expect(await store.registerDefinition("job", BODY, canonicalJson(BODY), T0, [], "ci")).toEqual({ version: 1, created: true });
      expect(await store.registerDefinition("job", BODY, canonicalJson(BODY), T0 + 1, [], "ops")).toEqual({ version: 1, created: false });
      expect(await store.getDefinition("job")).toMatchObject({ version: 1, registeredBy: "ci" });
      const changed = { ...BODY, name: "v2" };
      await store.registerDefinition("job", changed, canonicalJson(changed), T0 + 2, [], "ops");
      expect((await store.listDefinitions()).map((d) => [d.version, d.registeredBy])).toEqual([[2, "ops"]]);
      expect(await store.getDefinition("job", 1)).toMatchObject({ registeredBy: "ci" });
    });

    it("definitions are kept apart by id: the same body under two ids is two definitions", async (store) => {
      const body = { ...BODY, id: "shared" };
      expect(await store.registerDefinition("one", body, canonicalJson(body), T0)).toEqual({ version: 1, created: true });
      expect(await store.registerDefinition("two", body, canonicalJson(body), T0)).toEqual({ version: 1, created: true });
      expect((await store.listDefinitions()).map((d) => [d.id, d.version])).toEqual([
        ["one", 1],
        ["two", 1],
      ]);
    });
  });
}
