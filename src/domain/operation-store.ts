/**
 * Bulk operations: a redrive or cancel of many executions (a selection, or everything a filter
 * matched when the operator confirmed), run in batches by `engine/services/bulk.ts` and kept in
 * the store so its progress survives a page reload and a restart. Part of the store's ports
 * (`store.ts` re-exports everything here; a `Store` holds one as `operations`).
 */
import type { ListFilter } from "./model.ts";

export type OperationKind = "redrive" | "cancel";

/** QUEUED while another operation runs (one runs at a time); COMPLETED, FAILED or INTERRUPTED (stopped by an operator) once it ended. */
export type OperationStatus = "QUEUED" | "RUNNING" | "COMPLETED" | "FAILED" | "INTERRUPTED";

export const OPERATION_KINDS: readonly OperationKind[] = ["redrive", "cancel"];

/** The list's filter without its paging. */
export type OperationFilter = Omit<ListFilter, "cursor" | "limit">;

/** What an operation acts on: the executions a filter matches, or the ids chosen. */
export type OperationScope = { filter: OperationFilter } | { ids: string[] };

export interface NewOperation {
  id: string;
  kind: OperationKind;
  scope: OperationScope;
  /** How many it will visit when known (a selection, a count under its cap); null: not known yet. */
  total: number | null;
  /** The token's name that asked; null without tokens. */
  actor: string | null;
}

export interface Operation {
  id: string;
  kind: OperationKind;
  scope: OperationScope;
  status: OperationStatus;
  total: number | null;
  /** Executions visited so far: changed + skipped + failed. */
  processed: number;
  /** Redriven, or cancelled (or their cancel requested). */
  changed: number;
  /** Not in a state the action applies to any more (or deleted since). */
  skipped: number;
  /** The command threw (the error of the last one is `lastError`). */
  failed: number;
  /**
   * Where the next batch starts: for a filter, the read port's cursor (`listExecutions`), set at
   * creation just past the newest execution stored then, so executions created later (its own
   * redrives' reruns included) are never swept in; for a selection, the index of the next id.
   */
  cursor: string;
  actor: string | null;
  createdAt: number;
  startedAt: number | null;
  updatedAt: number;
  endedAt: number | null;
  lastError: string | null;
}

/** The progress of one batch, saved in one write; `status` COMPLETED or FAILED ends it. */
export type OperationProgress = Pick<Operation, "status" | "processed" | "changed" | "skipped" | "failed" | "cursor" | "lastError">;

export interface OperationStore {
  /** Stores the operation QUEUED; its starting cursor is taken in the same commit (see `Operation.cursor`). */
  createOperation(op: NewOperation, now: number): Promise<Operation>;
  getOperation(id: string): Promise<Operation | null>;
  /** The newest first, at most `limit`. */
  listOperations(limit: number): Promise<Operation[]>;
  /** QUEUED and RUNNING ones, the oldest first: the work left, and what resumes after a restart. */
  unfinishedOperations(): Promise<Operation[]>;
  /**
   * Saves a batch's progress (RUNNING sets `startedAt` the first time; COMPLETED and FAILED set
   * `endedAt`). An INTERRUPTED operation keeps its status and end: a batch in flight when it was
   * stopped still saves its counts. False when the operation does not exist.
   */
  saveOperationProgress(id: string, progress: OperationProgress, now: number): Promise<boolean>;
  /** Stops a QUEUED or RUNNING operation: INTERRUPTED, ended now. One that had ended is left as it is. Null when it does not exist. */
  interruptOperation(id: string, now: number): Promise<Operation | null>;
}
