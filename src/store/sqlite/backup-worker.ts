/**
 * The thread of one online backup (see `backup.ts`): `VACUUM INTO` takes as long as the copy
 * (about 160 ms for 100,000 executions), which a server must not spend on its event loop.
 * Message in: {dbPath, out}. Message out: {ok: true, result} or {ok: false, message, backupError}.
 */
import { BackupError, backupDatabase } from "./backup.ts";

declare const self: Worker;

self.onmessage = (event: MessageEvent<{ dbPath: string; out: string }>) => {
  try {
    self.postMessage({ ok: true, result: backupDatabase(event.data.dbPath, event.data.out) });
  } catch (err) {
    self.postMessage({ ok: false, message: (err as Error).message ?? String(err), backupError: err instanceof BackupError });
  }
};
