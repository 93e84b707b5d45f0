/** What the dashboard needs from the rest of Baton: the store's read port (as the API reads) and the engine's view of workers. */
import type { ReadPort, WorkerInfo } from "../domain/store.ts";
import type { LiveFeed } from "./live.ts";

export interface DashboardPorts {
  reads: ReadPort;
  /** Workers seen lately, with the leases they hold (`Engine.workers`). */
  workers: () => Promise<WorkerInfo[]>;
  /** Shown in the footer. */
  version: string;
  now: () => number;
  /** Live updates (`/ui/events`); without one, the dashboard makes its own on the system clock. */
  live?: LiveFeed;
}
