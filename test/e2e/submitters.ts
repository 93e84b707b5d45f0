/**
 * Clients that keep submitting executions over HTTP until told to stop or until the server goes
 * away, and remember which submissions were acknowledged: only a 2xx the client has read counts,
 * because that is the promise ("a 2xx means committed") that a crash must keep.
 */
import type { Baton } from "./harness.ts";

export interface Submission {
  id: string;
  definitionId: string;
}

export interface SubmittersOptions {
  /** Loops running at once, each one request after another. */
  clients: number;
  /** What client `client` submits as its `i`-th request; null ends that client. */
  next(client: number, i: number): { definitionId: string; input: Record<string, unknown> } | null;
  /** Pause after each request of a client, in ms. @default no pause */
  pauseMs?(client: number): number;
}

export interface Submitters {
  /** Acknowledged submissions so far, in the order the answers were read. */
  readonly accepted: Submission[];
  /** Answers that were neither 2xx nor a lost connection, as `status body`. */
  readonly refused: string[];
  /** Ends every loop after its request in flight; resolves when all have ended. */
  stop(): Promise<void>;
  /** Resolves when every client has ended on its own (`next` returned null, or the server went away). */
  done: Promise<void>;
}

/**
 * @example
 * const load = startSubmitters(baton, { clients: 32, next: (c, i) => ({ definitionId: "pair", input: { c, i } }) });
 * await baton.kill9();
 * await load.stop(); // load.accepted: what must survive
 */
export function startSubmitters(baton: Baton, options: SubmittersOptions): Submitters {
  const accepted: Submission[] = [];
  const refused: string[] = [];
  let running = true;
  const loops = Array.from({ length: options.clients }, async (_, client) => {
    for (let i = 0; running; i++) {
      const request = options.next(client, i);
      if (request === null) return;
      try {
        const res = await baton.request("POST", `/jobs/${encodeURIComponent(request.definitionId)}/execute`, request.input);
        if (res.status >= 200 && res.status < 300)
          accepted.push({ id: ((await res.json()) as { executionID: string }).executionID, definitionId: request.definitionId });
        else refused.push(`${res.status} ${await res.text()}`);
      } catch {
        return; // the server is gone: this request got no answer, or only part of one
      }
      const pause = options.pauseMs?.(client) ?? 0;
      if (pause > 0) await Bun.sleep(pause);
    }
  });
  const done = Promise.all(loops).then(() => {});
  return {
    accepted,
    refused,
    done,
    stop: async () => {
      running = false;
      await done;
    },
  };
}
