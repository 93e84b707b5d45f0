/**
 * Flow control of a definition: how many of its executions may run at once (`maxConcurrent`),
 * how many per value of a key taken from the input (`concurrency`), and how many may start per
 * time window (`rateLimit`). Above them all, the global `--max-concurrent-jobs` still holds.
 * Executions held back wait QUEUED and are never rejected; `WaitReason` says what each one
 * waits for. Pure: the engine keeps the counts (`engine/flow-queue.ts`).
 */
import type { DefinitionInput } from "./definition-schema.ts";
import { type FieldIssue, ValidationError } from "./errors.ts";
import { findTemplates, resolveParams, TemplateError } from "./template.ts";

/** A definition's limits, every one optional. */
export interface FlowLimits {
  /** At most this many of the definition's executions RUNNING. */
  maxConcurrent: number | null;
  /** At most `limit` RUNNING executions per value of `key` (a template over the input). */
  concurrency: { key: string; limit: number } | null;
  /** At most `count` starts in any window of `perMs`. */
  rateLimit: { count: number; perMs: number } | null;
}

export const NO_LIMITS: FlowLimits = { maxConcurrent: null, concurrency: null, rateLimit: null };

/** Why a QUEUED execution has not started yet. */
export type WaitReason = "slot" | "concurrencyKey" | "definitionLimit" | "rateLimit" | "runAt";

export const WAIT_REASONS: readonly WaitReason[] = ["slot", "concurrencyKey", "definitionLimit", "rateLimit", "runAt"];

/** Start priorities: higher starts first, first in first out among equals. */
export const MIN_PRIORITY = -1000;
export const MAX_PRIORITY = 1000;

/** The longest concurrency key value kept, in characters. */
export const MAX_KEY_LENGTH = 1024;

/** The limits of a definition as the schema accepted them; reports a key template that can never resolve. */
export function normalizeFlow(input: DefinitionInput, issues: FieldIssue[]): FlowLimits {
  const concurrency = input.concurrency ?? null;
  if (concurrency) {
    const found = findTemplates(concurrency.key);
    for (const f of found) {
      if ("error" in f) issues.push({ path: "$.concurrency.key", message: f.error });
      else if (f.ref.kind !== "input" && f.ref.kind !== "executionId")
        issues.push({ path: "$.concurrency.key", message: `${f.template}: a concurrency key may read only input (and execution.id)` });
    }
    if (found.length === 0)
      issues.push({
        path: "$.concurrency.key",
        message:
          'holds no template, so every execution would share one key: use "maxConcurrent" for that, or a key such as "{{input.customer}}"',
      });
  }
  return {
    maxConcurrent: input.maxConcurrent ?? null,
    concurrency,
    rateLimit: input.rateLimit ? { count: input.rateLimit.count, perMs: Math.round(input.rateLimit.perSeconds * 1000) } : null,
  };
}

/**
 * The concurrency key value of an execution: its definition's key template resolved against
 * the input (a value that is not a string becomes its JSON). Null without a `concurrency`.
 * Throws a `ValidationError` (a 400 at execute) when the input lacks what the key reads.
 */
export function concurrencyKeyOf(limits: FlowLimits, input: Record<string, unknown>, executionId: string): string | null {
  if (!limits.concurrency) return null;
  let value: unknown;
  try {
    value = resolveParams({ key: limits.concurrency.key }, { input, outputs: {}, executionId, attempt: 0 }).key;
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    const message = `cannot compute the concurrency key from this input: ${err.message}`;
    throw new ValidationError(message, [{ path: "$", message }]);
  }
  const key = typeof value === "string" ? value : JSON.stringify(value);
  if (key.length > MAX_KEY_LENGTH) {
    const message = `the concurrency key computed from this input is ${key.length} characters long; at most ${MAX_KEY_LENGTH} are kept`;
    throw new ValidationError(message, [{ path: "$", message }]);
  }
  return key;
}
