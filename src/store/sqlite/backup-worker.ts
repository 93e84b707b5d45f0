/**
 * The thread of one online backup (see `backup.ts`): `VACUUM INTO` takes as long as the copy
 * (about 160 ms for 100,000 executions), which a server must not spend on its event loop.
 * Message in: {dbPath, out, driver}. Message out: {ok: true, result} or {ok: false, message, backupError}.
 */
import type { DriverName } from "./driver.ts";

declare const self: Worker;

// Loaded after the handler is set: Bun drops the messages that reach a worker whose module is
// still awaiting, and backup.ts imports driver.ts, which awaits the import of its driver.
const backup = import("./backup.ts");

self.onmessage = (event: MessageEvent<{ dbPath: string; out: string; driver: DriverName }>) =>
  void backup.then(async ({ BackupError, backupDatabase }) => {
    try {
      self.postMessage({ ok: true, result: await backupDatabase(event.data.dbPath, event.data.out, event.data.driver) });
    } catch (err) {
      self.postMessage({ ok: false, message: (err as Error).message ?? String(err), backupError: err instanceof BackupError });
    }
  });
