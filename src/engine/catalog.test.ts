import { expect, test } from "bun:test";
import { openDatabase } from "../store/sqlite/driver.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { builtinFunctions } from "../tasks/registry.ts";
import { DefinitionCatalog } from "./catalog.ts";

const definition = (fn: string) => ({ id: "job", tasks: [{ id: "a", functionName: fn }] });

test("concurrent look-ups of one definition read the store once; a new version is seen at once", async () => {
  const store = new SqliteStore(openDatabase({ path: ":memory:" }));
  let reads = 0;
  const read = store.getDefinition.bind(store);
  store.getDefinition = (id, version) => {
    reads++;
    return read(id, version);
  };
  const catalog = new DefinitionCatalog(store, builtinFunctions());
  await catalog.register(definition("noop"));
  const found = await Promise.all(Array.from({ length: 50 }, () => catalog.get("job")));
  expect(reads).toBe(1);
  expect(new Set(found.map((f) => f!.stored.version))).toEqual(new Set([1]));
  expect(await catalog.get("job")).toMatchObject({ stored: { version: 1 } });
  expect(reads).toBe(1);

  await catalog.register(definition("echo"));
  const [latest, first, missing] = await Promise.all([catalog.get("job"), catalog.get("job", 1), catalog.get("nope")]);
  expect(latest!.stored.version).toBe(2);
  expect(latest!.def.tasks[0]!.functionName).toBe("echo");
  expect(first!.def.tasks[0]!.functionName).toBe("noop");
  expect(missing).toBeNull();
  store.close();
});
