/**
 * The few parts of Deno's API that the Deno sides of platform/ use, declared for tsc, which
 * knows only Bun's types (`types: ["bun"]`). Declarations only, no code: `deno run` does not
 * read this file and checks nothing against it. Each member is spelled as Deno 2.9 documents it.
 */
declare namespace Deno {
  const version: { deno: string };

  interface NetAddr {
    transport: "tcp" | "udp";
    hostname: string;
    port: number;
  }
  interface ServeHandlerInfo {
    remoteAddr: NetAddr;
  }
  interface ServeOptions {
    hostname?: string;
    port?: number;
    onListen?: (addr: NetAddr) => void;
  }
  interface HttpServer {
    readonly addr: NetAddr;
    /** Stops accepting; resolves once every request in flight has been answered. */
    shutdown(): Promise<void>;
  }
  function serve(options: ServeOptions, handler: (req: Request, info: ServeHandlerInfo) => Response | Promise<Response>): HttpServer;

  interface CommandOptions {
    args?: string[];
    cwd?: string;
    env?: Record<string, string>;
    clearEnv?: boolean;
    stdin?: "piped" | "inherit" | "null";
    stdout?: "piped" | "inherit" | "null";
    stderr?: "piped" | "inherit" | "null";
    /** Starts the child in a new session (`setsid`): it leads a process group of its own. */
    detached?: boolean;
  }
  interface CommandStatus {
    success: boolean;
    code: number;
    signal: string | null;
  }
  interface ChildProcess {
    readonly pid: number;
    readonly stdin: WritableStream<Uint8Array>;
    readonly stdout: ReadableStream<Uint8Array>;
    readonly stderr: ReadableStream<Uint8Array>;
    readonly status: Promise<CommandStatus>;
  }
  class Command {
    constructor(command: string, options?: CommandOptions);
    spawn(): ChildProcess;
  }

  type NativeType = "i32" | "u32" | "i64" | "u64" | "pointer" | "buffer";
  interface ForeignFunction {
    parameters: readonly NativeType[];
    result: NativeType;
  }
  type PointerObject = { readonly __brand: "PointerObject" };
  type PointerValue = PointerObject | null;
  /** What a bound function takes and returns, by its declared native types (left loose here). */
  type NativeValue = number | bigint | Uint8Array | PointerValue;
  function dlopen<S extends Record<string, ForeignFunction>>(
    filename: string,
    symbols: S,
  ): { symbols: { [K in keyof S]: (...args: NativeValue[]) => NativeValue }; close(): void };
  class UnsafePointerView {
    constructor(pointer: PointerObject);
    getInt32(offset?: number): number;
    static getCString(pointer: PointerObject, offset?: number): string;
  }
}
