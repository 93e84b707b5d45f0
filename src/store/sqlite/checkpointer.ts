/**
 * Background WAL checkpoints. A checkpoint copies committed pages from the WAL into the
 * database file and syncs both files; at `--sync normal` those two fsyncs are the only ones
 * SQLite makes, and on a shared disk they take 10 ms or more. Run by the writer's own
 * connection (SQLite's default), each one stalls every commit queued behind it, which set
 * the latency tail. Here a worker thread with its own connection checkpoints PASSIVE-ly
 * (never blocking the writer) whenever commits happened, at most every `minIntervalMs`.
 *
 * The writer keeps a large automatic checkpoint as a backstop: under sustained load the
 * worker never finds the WAL fully copied, so SQLite cannot restart the WAL from its start;
 * every `BACKSTOP_PAGES` pages the writer's own checkpoint (which then has little left to
 * copy) does that. Durability is unchanged: a checkpoint only moves committed data.
 */
import { type Database, DEFAULT_AUTOCHECKPOINT_PAGES, driverOf } from "./driver.ts";

/** Set by scripts/build.ts: where the compiled worker sits inside the executable. */
declare const BATON_CHECKPOINT_WORKER: string | undefined;
const WORKER_URL =
  typeof BATON_CHECKPOINT_WORKER === "string" ? BATON_CHECKPOINT_WORKER : new URL("./checkpoint-worker.ts", import.meta.url).href;

/** Writer-side automatic checkpoint while the worker runs: about 160 MiB of WAL at 4 KiB pages. */
export const BACKSTOP_PAGES = 40_000;

export class Checkpointer {
  private inFlight = false;
  private stopped = false;
  private readonly closed = new SharedArrayBuffer(4);
  private readonly worker: Worker;

  /** Starts the worker on `path` and raises the writer's automatic checkpoint to the backstop. */
  constructor(
    private readonly db: Database,
    path: string,
    /** Told why, when the worker fails and the writer takes checkpoints back. */
    private readonly onFallBack: (reason: string) => void = () => {},
    minIntervalMs = 100,
  ) {
    // Deno runs only module workers, and its Worker has no unref (Bun's does).
    this.worker = new Worker(WORKER_URL, { type: "module" });
    (this.worker as { unref?: () => void }).unref?.();
    this.worker.onmessage = (event: MessageEvent<{ type: string; message?: string }>) => {
      if (event.data.type === "idle") this.inFlight = false;
      else if (event.data.type === "error") this.fallBack(event.data.message ?? "the worker reported an error");
    };
    this.worker.onerror = (event) => this.fallBack(event.message);
    // The worker's connection goes through the writer's driver.
    this.worker.postMessage({ type: "open", path, driver: driverOf(db), minIntervalMs, closed: this.closed });
    db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_PAGES}`);
  }

  /** Called after each commit: asks for a checkpoint unless one is already pending. */
  nudge(): void {
    if (this.inFlight || this.stopped) return;
    this.inFlight = true;
    this.worker.postMessage({ type: "nudge" });
  }

  /**
   * Closes the worker's connection before the writer's own closes (the last connection to
   * close checkpoints and removes the WAL). Waits at most `timeoutMs` for a checkpoint in
   * progress to finish.
   */
  close(timeoutMs = 5_000): void {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.postMessage({ type: "close" });
    Atomics.wait(new Int32Array(this.closed), 0, 0, timeoutMs);
    this.worker.terminate();
  }

  /** The worker could not run: the writer checkpoints by itself again, as SQLite does by default. */
  private fallBack(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.worker.terminate();
    this.onFallBack(reason);
    try {
      this.db.exec(`PRAGMA wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT_PAGES}`);
    } catch {
      // the database is already closed
    }
  }
}
