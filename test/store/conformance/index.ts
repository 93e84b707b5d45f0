/**
 * The store contract as tests: what every implementation of `Store` (src/domain/store.ts)
 * must do, by operation. It reaches the store only through its ports, passes every time
 * explicitly, and awaits every call, so a store on another database (PostgreSQL) runs it
 * unchanged. Each test gets a fresh, empty store from `makeStore` and closes it.
 *
 *   runStoreSuite("sqlite :memory:", async () => SqliteStore.open({ path: ":memory:" }));
 *
 * Tests of one implementation's internals (migrations, query plans, group commit) stay next
 * to it.
 */
import { describe } from "bun:test";
import { admissionTests } from "./admission.ts";
import { commandTests } from "./commands.ts";
import { definitionTests } from "./definitions.ts";
import type { MakeStore } from "./harness.ts";
import { healthTests } from "./health.ts";
import { idempotencyTests } from "./idempotency.ts";
import { leaseTests } from "./leases.ts";
import { operationTests } from "./operations.ts";
import { readTests } from "./reads.ts";
import { recoveryTests } from "./recovery.ts";
import { retentionTests } from "./retention.ts";
import { scheduleTests } from "./schedules.ts";
import { searchTests } from "./search.ts";
import { stepTests } from "./steps.ts";

export type { MakeStore } from "./harness.ts";

export function runStoreSuite(name: string, makeStore: MakeStore): void {
  describe(`store contract: ${name}`, () => {
    definitionTests(makeStore);
    admissionTests(makeStore);
    idempotencyTests(makeStore);
    stepTests(makeStore);
    commandTests(makeStore);
    recoveryTests(makeStore);
    readTests(makeStore);
    healthTests(makeStore);
    leaseTests(makeStore);
    scheduleTests(makeStore);
    retentionTests(makeStore);
    searchTests(makeStore);
    operationTests(makeStore);
  });
}
