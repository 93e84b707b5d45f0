/**
 * The background checkpointer's thread (see `checkpointer.ts`). It holds its own connection
 * to the database file and, when nudged, runs a PASSIVE checkpoint: it copies committed WAL
 * frames into the database file and syncs it, without blocking the writer. At most one
 * checkpoint per `minIntervalMs`; a nudge during the wait is folded into the next one.
 *
 * Messages in: {type: "open", path, driver, minIntervalMs, closed: SharedArrayBuffer}, {type: "nudge"},
 * {type: "close"}. Messages out: {type: "idle"} after each checkpoint, {type: "error", message}.
 * On "close" it closes its connection and sets `closed[0]` to 1, so the main thread can wait
 * for it synchronously.
 */
import type { Database, DriverName } from "./driver.ts";

declare const self: Worker;

type Message =
  | { type: "open"; path: string; driver: DriverName; minIntervalMs: number; closed: SharedArrayBuffer }
  | { type: "nudge" }
  | { type: "close" };

// Loaded after the handler is set: Bun drops the messages that reach a worker whose module is
// still awaiting, and driver.ts awaits the import of its driver.
const driver = import("./driver.ts");

let db: Database | null = null;
let closed: Int32Array | null = null;
let minIntervalMs = 100;
let lastRun = 0;
let timer: ReturnType<typeof setTimeout> | null = null;

function checkpoint(): void {
  timer = null;
  if (!db) return;
  lastRun = performance.now();
  try {
    db.query("PRAGMA wal_checkpoint(PASSIVE)").get();
    self.postMessage({ type: "idle" });
  } catch (err) {
    // SQLITE_BUSY (the writer's own checkpoint holds the lock) is routine: try at the next nudge.
    self.postMessage({ type: "idle", busy: String(err) });
  }
}

function close(): void {
  if (timer) clearTimeout(timer);
  timer = null;
  try {
    db?.close();
  } finally {
    db = null;
    if (closed) {
      Atomics.store(closed, 0, 1);
      Atomics.notify(closed, 0);
    }
  }
}

self.onmessage = (event: MessageEvent<Message>) => void driver.then(({ openForCheckpoints }) => handle(event.data, openForCheckpoints));

function handle(m: Message, openForCheckpoints: (path: string, driver: DriverName) => Database): void {
  switch (m.type) {
    case "open":
      closed = new Int32Array(m.closed);
      minIntervalMs = m.minIntervalMs;
      try {
        db = openForCheckpoints(m.path, m.driver);
      } catch (err) {
        self.postMessage({ type: "error", message: String(err) });
        close();
      }
      return;
    case "nudge":
      if (!db || timer) return;
      timer = setTimeout(checkpoint, Math.max(0, lastRun + minIntervalMs - performance.now()));
      return;
    case "close":
      close();
      return;
  }
}
