/**
 * The history of executions in SQLite: the events one write appends are kept per execution
 * and written, when the write ends, as one row per execution (the first event in columns,
 * the rest packed in `more`). Fewer rows and index entries than one per event, and the
 * numbers stay contiguous (seq, seq + 1, …). A batch rolled back leaves a gap in the numbers,
 * never a repeat.
 */
import type { ExecutionEventRecord } from "../../domain/model.ts";
import type { PendingEvent } from "../../domain/transitions.ts";
import { type EventRow, json, packEvent, parse, type StoredEvent, unpackEvent } from "./codec.ts";
import type { Statements } from "./statements.ts";

/** The execution a write changes: its id for messages, its seq for the rows that point at it. */
export interface Target {
  id: string;
  seq: number;
}

export class EventLog {
  /** The seq of the next event appended. Only this connection writes, so it is read once. */
  private nextSeq: number;
  /** The events of the write being applied, by execution in order of first event. */
  private readonly pending = new Map<string, { target: Target; events: PendingEvent[] }>();

  constructor(private readonly s: Statements) {
    this.nextSeq = (s.nextEventSeq.get() as { next: number } | null)?.next ?? 1;
  }

  /** Forgets what a write that threw left behind. */
  reset(): void {
    this.pending.clear();
  }

  /** Adds events of the write being applied to `x`'s row. `x.seq` may still change until `flush` (an insert). */
  add(x: Target, events: readonly PendingEvent[]): void {
    if (events.length === 0) return;
    const found = this.pending.get(x.id);
    if (found) found.events.push(...events);
    else this.pending.set(x.id, { target: x, events: [...events] });
  }

  /** Writes the rows of the write just applied. */
  flush(): void {
    for (const { target, events } of this.pending.values()) {
      const [{ at, type, taskId, attempt, data }, ...more] = events as [PendingEvent, ...PendingEvent[]];
      const row = { seq: this.nextSeq, executionSeq: target.seq, at, type, taskId, attempt, data: json(data) };
      this.s.insertEvents.run({ ...row, more: more.length > 0 ? JSON.stringify(more.map(packEvent)) : null });
      this.nextSeq += 1 + more.length;
    }
    this.pending.clear();
  }
}

/** The history of the execution with this seq, in order. */
export function readEvents(s: Statements, x: Target): ExecutionEventRecord[] {
  const events: ExecutionEventRecord[] = [];
  const executionId = x.id;
  for (const r of s.eventsOf.all({ executionSeq: x.seq }) as EventRow[]) {
    const data = parse(r.data) as Record<string, unknown> | null;
    events.push({ seq: r.seq, executionId, at: r.at, type: r.type, taskId: r.task_id, attempt: r.attempt, data });
    if (r.more === null) continue;
    for (const [i, e] of (JSON.parse(r.more) as StoredEvent[]).entries())
      events.push({ seq: r.seq + 1 + i, executionId, ...unpackEvent(e) });
  }
  return events;
}
