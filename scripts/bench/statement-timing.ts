/**
 * Preloaded into a server run from source (`bun --preload scripts/bench/statement-timing.ts
 * src/cli/main.ts serve …`, as `profile-rest.ts` does): times every statement from the start
 * (`statement-timer.ts`) and writes the table to stderr when the server gets SIGTERM.
 */
import { statementTable, timeStatements } from "./statement-timer.ts";

const times = timeStatements();
process.on("SIGTERM", () => process.stderr.write(`statements, most time first:\n${statementTable(times)}\n`));
