/**
 * `engine-once.ts` with every store opened through the node:sqlite driver (the one Deno runs
 * on) instead of Bun's own: `bun scripts/bench/engine-once-node.ts 10`, alternated with
 * `bun scripts/bench/engine-once.ts 10`, shows what the driver alone costs under Bun.
 */
import { SqliteStore } from "../../src/store/sqlite/store.ts";

const open = SqliteStore.open.bind(SqliteStore);
SqliteStore.open = (options) => open({ ...options, driver: "node" });
await import("./engine-once.ts");
