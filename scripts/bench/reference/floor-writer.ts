/**
 * The storage floor's writer thread (`floor.ts sql-thread`): opens the floor's SQL on its own
 * connection and applies each batch the main thread posts, answering with the batch's seqs
 * once it committed. It says `loaded` first: Bun drops messages sent to a worker whose
 * modules are still in a top-level await (the store's driver choice is one).
 */
import { type ApplyBatch, type FloorKind, type FloorOp, openFloor } from "./floor-sql.ts";

declare const self: Worker;
let apply: ApplyBatch | null = null;
self.onmessage = (event: MessageEvent<{ open?: { path: string; kind: FloorKind }; batch?: number; ops?: FloorOp[] }>) => {
  const { open, batch, ops } = event.data;
  if (open) {
    apply = openFloor(open.path, open.kind).apply;
    self.postMessage({ opened: true });
  } else self.postMessage({ batch, seqs: apply!(ops!) });
};
self.postMessage({ loaded: true });
