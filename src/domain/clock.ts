/** Time as a dependency, so the engine can be driven by a fake clock in tests. */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  now(): number;
  /** Calls `fn` after `ms` milliseconds (any length: long delays are chained). */
  setTimer(fn: () => void, ms: number): TimerHandle;
}

// setTimeout fires at once for delays above 2^31−1 ms (about 24.8 days).
const MAX_TIMEOUT = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    let handle: ReturnType<typeof setTimeout>;
    const arm = (remaining: number) => {
      handle = setTimeout(() => (remaining > MAX_TIMEOUT ? arm(remaining - MAX_TIMEOUT) : fn()), Math.min(remaining, MAX_TIMEOUT));
    };
    arm(Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
};
