/**
 * `baton serve` configuration: flags win over `BATON_*` environment variables, which win
 * over the config file (`--config FILE`, `config-file.ts`), which wins over defaults. Every
 * value is checked here, so a bad one stops the start with one line.
 * Over 300 lines because `SETTINGS` is one table of every setting, kept whole on purpose.
 */
import { parseArgs } from "node:util";
import * as v from "valibot";
import { DEFAULT_CAPTURE_BYTES } from "../domain/capture.ts";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../platform/log.ts";
import type { SyncMode } from "../store/sqlite/driver.ts";
import { type ConfigFile, ConfigFileError, readConfigFile } from "./config-file.ts";
import { printConfig } from "./print-config.ts";

export interface ServeConfig {
  host: string;
  port: number;
  db: string;
  jobsDir: string;
  /** True when the jobs folder was named by a flag or variable, so a missing folder is an error. */
  jobsDirExplicit: boolean;
  maxConcurrentJobs: number;
  shutdownGraceSeconds: number;
  cancelGraceSeconds: number;
  idempotencyRetentionHours: number;
  sync: SyncMode;
  logLevel: LogLevel;
  /** The secrets file; "" when none is named. */
  secretsFile: string;
  /** Cap of each captured stream of a shell task (stdout, stderr), in bytes. */
  maxOutputBytes: number;
  /** Whether definitions registered through the API may use the `shell` function. */
  allowShellApi: boolean;
  /** Folder of function modules loaded at start; null when none was named. */
  functionsDir: string | null;
  leaseSeconds: number;
  /** The token file; null when none is named (no authentication). */
  tokensFile: string | null;
  /** Serve a non-loopback address without tokens: something in front of Baton authenticates. */
  insecureNoAuth: boolean;
  /** Failed authentications one address may make in a minute before it is refused (429). */
  authFailuresPerMinute: number;
  /** text for a terminal, json (one object per line) for a log collector. */
  logFormat: LogFormat;
  /** Log one line per HTTP request (method, path, status, duration, token name). */
  accessLog: boolean;
  /** Where `POST /system/backup` writes backups; null: the route answers 409. */
  backupDir: string | null;
  /** `/metrics` needs a token with `read` (it is open otherwise); needs `tokensFile`. */
  metricsAuth: boolean;
  /** Terminal executions are deleted this many days after they ended; 0 keeps them. */
  retentionDays: number;
  /** At most this many executions stored (the oldest terminal ones go); 0: no cap. */
  retentionMaxExecutions: number;
}

/** A command line or environment the user must fix; printed as one line, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

interface Setting<T> {
  flag: string;
  /** A flag without a value (`--allow-shell-api`); its variable takes 1, true, 0 or false. */
  switch?: true;
  /** The value itself is a secret: `--print-config` masks it (names with secret, token, password or key are masked anyway). */
  secret?: true;
  env: string;
  fallback: T;
  schema: v.GenericSchema<string, T>;
  help: string;
}

const int = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `must be a whole number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
const num = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+(\.\d+)?$/, `must be a number from ${min} to ${max}`),
    v.transform(Number),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );
const text = v.pipe(v.string(), v.trim(), v.minLength(1, "must not be empty"));
const oneOf = <T extends string>(values: readonly T[]) =>
  v.picklist(values, `must be one of ${values.join(", ")}`) as unknown as v.GenericSchema<string, T>;

const yesNo = v.pipe(
  v.picklist(["1", "true", "0", "false"], "must be 1, true, 0 or false"),
  v.transform((x) => x === "1" || x === "true"),
) as unknown as v.GenericSchema<string, boolean>;

export const SETTINGS = {
  host: { flag: "host", env: "BATON_HOST", fallback: "127.0.0.1", schema: text, help: "address to listen on" },
  port: { flag: "port", env: "BATON_PORT", fallback: 8080, schema: int(0, 65535), help: "TCP port (0 picks a free one)" },
  db: { flag: "db", env: "BATON_DB", fallback: "./data/baton.db", schema: text, help: "SQLite database file (created if missing)" },
  jobsDir: {
    flag: "jobs",
    env: "BATON_JOBS_DIR",
    fallback: "./jobs",
    schema: text,
    help: "folder of job definitions (*.json) loaded at start",
  },
  maxConcurrentJobs: {
    flag: "max-concurrent-jobs",
    env: "BATON_MAX_CONCURRENT_JOBS",
    fallback: 10,
    schema: int(1, 10000),
    help: "executions RUNNING at once",
  },
  shutdownGraceSeconds: {
    flag: "shutdown-grace-seconds",
    env: "BATON_SHUTDOWN_GRACE_SECONDS",
    fallback: 30,
    schema: num(0, 3600),
    help: "on SIGTERM/SIGINT, how long running attempts may finish",
  },
  cancelGraceSeconds: {
    flag: "cancel-grace-seconds",
    env: "BATON_CANCEL_GRACE_SECONDS",
    fallback: 10,
    schema: num(0, 3600),
    help: "how long a cancelled execution's running attempts may take to return",
  },
  idempotencyRetentionHours: {
    flag: "idempotency-retention-hours",
    env: "BATON_IDEMPOTENCY_RETENTION_HOURS",
    fallback: 24,
    schema: num(0, 8760),
    help: "how long an Idempotency-Key returns the execution it started",
  },
  sync: {
    flag: "sync",
    env: "BATON_SYNC",
    fallback: "normal" as SyncMode,
    schema: oneOf<SyncMode>(["normal", "full"]),
    help: "normal survives a process crash; full also survives power loss (slower)",
  },
  logLevel: {
    flag: "log-level",
    env: "BATON_LOG_LEVEL",
    fallback: "info" as LogLevel,
    schema: oneOf<LogLevel>(LOG_LEVELS),
    help: "debug, info, warn or error",
  },
  secretsFile: {
    flag: "secrets-file",
    env: "BATON_SECRETS_FILE",
    fallback: "",
    schema: text,
    help: "file of NAME=value lines for {{secrets.NAME}} (owner-only permissions); BATON_SECRET_NAME variables also count",
  },
  maxOutputBytes: {
    flag: "max-output-bytes",
    env: "BATON_MAX_OUTPUT_BYTES",
    fallback: DEFAULT_CAPTURE_BYTES,
    schema: int(1024, 64 * 1024 * 1024),
    help: "bytes kept of each output stream of a shell task and of an http body (its head and tail)",
  },
  allowShellApi: {
    flag: "allow-shell-api",
    switch: true,
    env: "BATON_ALLOW_SHELL_API",
    fallback: false,
    schema: yesNo,
    help: "let definitions registered through the API use the shell function (the jobs folder always may)",
  },
  functionsDir: {
    flag: "functions",
    env: "BATON_FUNCTIONS_DIR",
    fallback: null as string | null,
    schema: text as v.GenericSchema<string, string | null>,
    help: "folder of function modules (*.ts, *.js, *.mjs) loaded at start",
  },
  leaseSeconds: {
    flag: "lease-seconds",
    env: "BATON_LEASE_SECONDS",
    fallback: 30,
    schema: num(1, 3600),
    help: "how long a remote worker's lease lasts without a heartbeat",
  },
  tokensFile: {
    flag: "tokens",
    env: "BATON_TOKENS_FILE",
    fallback: null as string | null,
    schema: text as v.GenericSchema<string, string | null>,
    help: "file of API tokens, one 'NAME ROLE sha256:HEX' per line (owner-only permissions; see 'baton token create')",
  },
  insecureNoAuth: {
    flag: "insecure-no-auth",
    switch: true,
    env: "BATON_INSECURE_NO_AUTH",
    fallback: false,
    schema: yesNo,
    help: "serve a non-loopback --host without --tokens (only when something in front of Baton authenticates)",
  },
  authFailuresPerMinute: {
    flag: "auth-failures-per-minute",
    env: "BATON_AUTH_FAILURES_PER_MINUTE",
    fallback: 20,
    schema: int(1, 1_000_000),
    help: "failed authentications one address may make in a minute; then it gets 429 until the minute is over",
  },
  logFormat: {
    flag: "log-format",
    env: "BATON_LOG_FORMAT",
    fallback: "text" as LogFormat,
    schema: oneOf<LogFormat>(LOG_FORMATS),
    help: "text (one readable line per record) or json (one object per line: time, level, msg, executionId, taskId, attempt, …)",
  },
  accessLog: {
    flag: "access-log",
    switch: true,
    env: "BATON_ACCESS_LOG",
    fallback: false,
    schema: yesNo,
    help: "log one line per HTTP request: method, path without the query, status, durationMs and the token's name (never the token, headers or bodies)",
  },
  backupDir: {
    flag: "backup-dir",
    env: "BATON_BACKUP_DIR",
    fallback: null as string | null,
    schema: text as v.GenericSchema<string, string | null>,
    help: "folder where POST /system/backup (admin) writes baton-<UTC time>.db backups; without it that route answers 409",
  },
  metricsAuth: {
    flag: "metrics-auth",
    switch: true,
    env: "BATON_METRICS_AUTH",
    fallback: false,
    schema: yesNo,
    help: "GET /metrics needs a token with the read permission (it is open otherwise, like /healthz); needs --tokens",
  },
  retentionDays: {
    flag: "retention-days",
    env: "BATON_RETENTION_DAYS",
    fallback: 30,
    schema: num(0, 36500),
    help: "delete finished executions (history, outputs) this many days after they ended; 0 keeps them",
  },
  retentionMaxExecutions: {
    flag: "retention-max-executions",
    env: "BATON_RETENTION_MAX_EXECUTIONS",
    fallback: 0,
    schema: int(0, 1_000_000_000),
    help: "keep at most this many executions: the oldest finished are deleted first; 0 means no cap",
  },
} satisfies { [K in keyof Omit<ServeConfig, "jobsDirExplicit">]: Setting<ServeConfig[K]> };

/** `--print-config`: the effective configuration as a TOML config file, to print instead of serving. */
export interface PrintedConfig {
  printConfig: string;
}

/**
 * Parses `serve`'s arguments (after the subcommand), the environment and the config file
 * they name. `read` reads the config file (injected by tests).
 */
export function parseServeConfig(
  args: string[],
  env: Record<string, string | undefined>,
  read?: (path: string) => string,
): ServeConfig | "help" | PrintedConfig {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s: Setting<unknown>) => [s.flag, { type: s.switch ? ("boolean" as const) : ("string" as const) }]),
  );
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: { ...options, help: { type: "boolean", short: "h" }, config: { type: "string" }, "print-config": { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split("\n")[0]!);
  }
  if (values.help) return "help";
  const file = configFile(values.config as string | undefined, env, read);
  const sources = new Map<string, string>();
  const pick = <T>(s: Setting<T>): T => {
    const fromFlag = values[s.flag] === true ? "true" : values[s.flag];
    const fromFile = file?.values.get(s.flag);
    // [the value as a flag string, where it came from, how a message names it]; the file's values are checked already.
    const [raw, source, where] =
      typeof fromFlag === "string"
        ? [fromFlag, `flag --${s.flag}`, `--${s.flag}=${JSON.stringify(fromFlag)}`]
        : env[s.env] !== undefined
          ? [env[s.env]!, `env ${s.env}`, `${s.env}=${JSON.stringify(env[s.env])}`]
          : fromFile !== undefined
            ? [fromFile, `file ${file!.path}`, `${file!.label}: "${s.flag}"`]
            : [undefined, "default", ""];
    sources.set(s.flag, source);
    if (raw === undefined) return s.fallback;
    const result = v.safeParse(s.schema, raw);
    if (!result.success) throw new UsageError(`${where} ${result.issues[0].message}`);
    return result.output;
  };
  const config: ServeConfig = {
    host: pick(SETTINGS.host),
    port: pick(SETTINGS.port),
    db: pick(SETTINGS.db),
    jobsDir: pick(SETTINGS.jobsDir),
    jobsDirExplicit: values.jobs !== undefined || env.BATON_JOBS_DIR !== undefined || file?.values.has("jobs") === true,
    maxConcurrentJobs: pick(SETTINGS.maxConcurrentJobs),
    shutdownGraceSeconds: pick(SETTINGS.shutdownGraceSeconds),
    cancelGraceSeconds: pick(SETTINGS.cancelGraceSeconds),
    idempotencyRetentionHours: pick(SETTINGS.idempotencyRetentionHours),
    sync: pick(SETTINGS.sync),
    logLevel: pick(SETTINGS.logLevel),
    secretsFile: pick(SETTINGS.secretsFile),
    maxOutputBytes: pick(SETTINGS.maxOutputBytes),
    allowShellApi: pick(SETTINGS.allowShellApi),
    functionsDir: pick(SETTINGS.functionsDir),
    leaseSeconds: pick(SETTINGS.leaseSeconds),
    tokensFile: pick(SETTINGS.tokensFile),
    insecureNoAuth: pick(SETTINGS.insecureNoAuth),
    authFailuresPerMinute: pick(SETTINGS.authFailuresPerMinute),
    logFormat: pick(SETTINGS.logFormat),
    accessLog: pick(SETTINGS.accessLog),
    backupDir: pick(SETTINGS.backupDir),
    metricsAuth: pick(SETTINGS.metricsAuth),
    retentionDays: pick(SETTINGS.retentionDays),
    retentionMaxExecutions: pick(SETTINGS.retentionMaxExecutions),
  };
  if (values["print-config"]) return { printConfig: printConfig(SETTINGS, { ...config }, sources) };
  refuseOpenExposure(config, sources.get(SETTINGS.host.flag) ?? "default");
  if (config.metricsAuth && config.tokensFile === null)
    throw new UsageError(
      `--metrics-auth (${sources.get(SETTINGS.metricsAuth.flag)}) protects /metrics with tokens, but no token file is named; add --tokens FILE (see 'baton token create'), or drop --metrics-auth to leave /metrics open`,
    );
  return config;
}

/** The config file named by --config or BATON_CONFIG, read and checked; undefined when none is named. */
function configFile(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  read?: (path: string) => string,
): ConfigFile | undefined {
  const path = flag ?? env.BATON_CONFIG;
  if (path === undefined) return undefined;
  if (path.trim() === "")
    throw new UsageError(`${flag === undefined ? "BATON_CONFIG" : "--config"} is empty; name a TOML file, e.g. /etc/baton/baton.toml`);
  try {
    return readConfigFile(path, Object.values(SETTINGS), { namedBy: flag === undefined ? "BATON_CONFIG" : undefined, read });
  } catch (err) {
    if (err instanceof ConfigFileError) throw new UsageError(err.message);
    throw err;
  }
}

/** True for an address only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return h === "localhost" || h === "::1" || /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The safe default: a non-loopback address without tokens is refused before anything starts. */
function refuseOpenExposure(config: ServeConfig, hostFrom: string): void {
  if (config.tokensFile !== null || config.insecureNoAuth || isLoopback(config.host)) return;
  throw new UsageError(
    `the address ${config.host} (${hostFrom}) is reachable from other machines and no tokens are configured, so anyone reaching it could run anything; name a token file with --tokens (create tokens with 'baton token create'), or add --insecure-no-auth if a proxy in front of Baton authenticates`,
  );
}
