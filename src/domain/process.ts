/**
 * The doorway to child processes, as types only: what a task asks to run and what it learns
 * back. `platform/process.ts` implements it with the runtime; `tasks/shell.ts` uses it, and
 * tests may hand in a fake.
 */

export interface ProcessRequest {
  /** Program and arguments, run without a shell: `argv[0]` is looked up on `env.PATH`. */
  argv: string[];
  /** The child's whole environment: nothing else is inherited. */
  env: Record<string, string>;
  /** Working directory; the server's own when absent. */
  cwd?: string;
  /** Written to the child's stdin, which is then closed; stdin is empty when absent. */
  stdin?: string;
  /** Every chunk of stdout and stderr as it arrives; both are read to the end, whatever their size. */
  onStdout: (chunk: Uint8Array) => void;
  onStderr: (chunk: Uint8Array) => void;
  /**
   * When it fires, the child's whole process group gets SIGTERM, then SIGKILL after
   * `killGraceMs` if anything of it is still alive.
   */
  signal: AbortSignal;
  killGraceMs: number;
}

/** How the child ended: an exit code, or the name of the signal that killed it (`SIGKILL`). */
export type ProcessExit = { exitCode: number; signal: null } | { exitCode: null; signal: string };

/**
 * Runs one child in a process group of its own and resolves once it has exited and its
 * stdout and stderr are closed; whatever it left running in its group is killed then.
 * Rejects only when the child cannot be started (program or cwd missing, not executable).
 */
export type ProcessRunner = (request: ProcessRequest) => Promise<ProcessExit>;
