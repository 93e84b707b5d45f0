/** What the dashboard needs from the rest of Baton: the store's read port (as the API reads), the engine's view of workers, its commands for the actions, and the login sessions. */
import type { AuthFailures } from "../api/auth.ts";
import type { EngineCommands } from "../api/ports.ts";
import type { Sessions } from "../api/sessions.ts";
import type { Logger } from "../domain/log.ts";
import type { NewOperation, Operation, OperationStore, ReadPort, WorkerInfo } from "../domain/store.ts";
import type { LiveFeed } from "./live.ts";

export interface DashboardPorts {
  reads: ReadPort;
  /** Workers seen lately, with the leases they hold (`Engine.workers`). */
  workers: () => Promise<WorkerInfo[]>;
  /** Shown in the footer. */
  version: string;
  now: () => number;
  /** The engine's commands the actions call, the ones the API's handlers call; without them the dashboard shows no action. */
  commands?: Pick<EngineCommands, "submitWith" | "cancel" | "redrive" | "rerun">;
  /** Live updates (`/ui/events`); without one, the dashboard makes its own on the system clock. */
  live?: LiveFeed;
  /** With `--tokens`: the login sessions and the failure limiter the API's tokens share; without, the dashboard is open and has no login. */
  access?: DashboardLogin;
  /** Bulk redrive and cancel: created through the service that runs them (`engine/services/bulk.ts`), read back from the store; without them no bulk action is offered. */
  bulk?: DashboardBulk;
}

export interface DashboardBulk {
  create(op: Omit<NewOperation, "id">): Promise<Operation>;
  /** Stops a queued or running one (`BulkOperations.interrupt`). */
  interrupt(id: string, actor: string | null): Promise<Operation | null>;
  reads: Pick<OperationStore, "getOperation" | "listOperations">;
}

export interface DashboardLogin {
  sessions: Sessions;
  failures: AuthFailures;
  logger: Logger;
}
