/**
 * `baton serve`: wires store, engine, definitions and API together, serves, and shuts down
 * cleanly on SIGTERM/SIGINT.
 */
import { resolve } from "node:path";
import { createApp } from "../api/app.ts";
import { type TokenEntry, TokenFileError } from "../domain/auth.ts";
import { systemClock } from "../domain/clock.ts";
import { StorageError } from "../domain/errors.ts";
import type { FunctionRegistry, TaskFunction } from "../domain/function.ts";
import { uuidv7 } from "../domain/ids.ts";
import type { Logger } from "../domain/log.ts";
import type { Secrets } from "../domain/secrets.ts";
import { Engine } from "../engine/engine.ts";
import { BulkOperations } from "../engine/services/bulk.ts";
import { type HttpServer, serveHttp } from "../platform/http.ts";
import { createLogger } from "../platform/log.ts";
import { PrometheusMetrics } from "../platform/metrics.ts";
import { baseEnvironment, runProcess } from "../platform/process.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { httpFunction } from "../tasks/http.ts";
import { builtinFunctions } from "../tasks/registry.ts";
import { shellTask } from "../tasks/shell.ts";
import { createDashboard } from "../ui/app.tsx";
import { LiveFeed } from "../ui/live.ts";
import type { ServeConfig } from "./config.ts";
import { isLoopback } from "./config.ts";
import { checkDefinitionFiles, definitionFilesIn, readSourceFiles, type SourceFile } from "./definition-files.ts";
import { FunctionModuleError, loadFunctionModules } from "./function-modules.ts";
import { watchGauges } from "./gauges.ts";
import { loadSecrets, SecretsError } from "./secrets.ts";
import { ServiceNotifications, serviceManagerFrom } from "./service-notify.ts";
import { databaseProblem, jobsFilesProblem, jobsFolderProblem, storageProblem } from "./start-errors.ts";
import { authentication, readTokenFile } from "./tokens.ts";
import { VERSION } from "./version.ts";

/** The server could not start; `lines` say why, for the operator. Exit code 1. */
export class StartError extends Error {
  constructor(
    readonly lines: string[],
    options?: { cause?: unknown },
  ) {
    super(lines.join("\n"), options);
    this.name = "StartError";
  }
}

export async function serve(config: ServeConfig): Promise<void> {
  const startedAt = Date.now();
  const logger = createLogger(config.logLevel, undefined, config.logFormat);
  // Signals are caught from the first moment: one that arrives while starting up is acted
  // on as soon as the start is complete, so the process always stops the same clean way.
  let shutdown: ((signal: NodeJS.Signals) => void) | undefined;
  let early: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (shutdown) shutdown(signal);
    else early ??= signal;
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  // Tokens, secrets, the modules and the jobs folder are read before the database is opened: a start they stop changes nothing.
  const tokens = readTokens(config);
  const secrets = readSecrets(config, logger);
  const functions = await loadFunctions(config, logger);
  const sources = readJobs(config, logger);
  const store = openStore(config, logger);
  const metrics = new PrometheusMetrics();
  const engine = new Engine({
    store,
    functions,
    maxConcurrentJobs: config.maxConcurrentJobs,
    logger,
    cancelGraceMs: config.cancelGraceSeconds * 1000,
    idempotencyRetentionMs: config.idempotencyRetentionHours * 3600 * 1000,
    secrets,
    leaseMs: config.leaseSeconds * 1000,
    metrics,
    retentionMs: config.retentionDays * 24 * 3600 * 1000,
    retentionMaxExecutions: config.retentionMaxExecutions,
  });
  const notifications = new ServiceNotifications({
    manager: serviceManagerFrom(process.env, process.pid, logger),
    clock: systemClock,
    ping: () => store.ping(),
    counts: () => ({ running: engine.running, queued: Object.values(engine.queuedWaitingFor()).reduce((a, b) => a + b, 0) }),
    writeFault: () => store.writeFault()?.reason ?? null,
  });
  watchGauges(metrics, engine, store, config.db === ":memory:" ? null : resolve(config.db));
  const bulk = new BulkOperations({
    store: store.operations,
    reads: store,
    commands: engine,
    clock: systemClock,
    logger,
    newId: () => uuidv7(Date.now()),
  });
  let server: HttpServer | undefined;
  let address = "";
  const live = new LiveFeed({ reads: store, clock: systemClock });
  try {
    await loadDefinitions(engine, sources, config, logger);
    const recovered = await engine.start();
    bulk.start(); // after recovery: operations a stop cut short resume from their last batch
    const { before, access } = authentication(config, tokens, logger);
    const dashboard = createDashboard({
      reads: store,
      workers: () => engine.workers(),
      version: VERSION,
      now: Date.now,
      commands: engine,
      access,
      live,
      bulk: { create: (op) => bulk.create(op), interrupt: (id, actor) => bulk.interrupt(id, actor), reads: store.operations },
    });
    const backups = config.backupDir === null ? null : { store, dir: resolve(config.backupDir) };
    const app = createApp({
      engine,
      reads: store,
      version: VERSION,
      startedAt,
      logger,
      allowShellApi: config.allowShellApi,
      before,
      accessLogger: config.accessLog ? logger : undefined,
      backups,
      metrics,
      mounts: [{ path: "/ui", app: dashboard }],
      home: "/ui/",
    });
    server = listen(app.fetch, config);
    address = `${config.host.includes(":") ? `[${config.host}]` : config.host}:${server.port}`;
    logger.info("baton is serving", {
      version: VERSION,
      url: `http://${address}`,
      db: config.db,
      sync: config.sync,
      maxConcurrentJobs: config.maxConcurrentJobs,
      resumed: recovered.resumed,
      queued: recovered.queued,
      startupMs: Date.now() - startedAt,
      auth: authSummary(config, tokens),
    });
    if (tokens === null && !isLoopback(config.host))
      logger.warn("authentication is off (--insecure-no-auth): whoever reaches this address can use every route", { host: config.host });
  } catch (err) {
    await bulk.stop();
    await store.close();
    throw err instanceof StorageError ? new StartError([storageProblem(err, config.db)], { cause: err }) : err;
  }
  // READY=1 only now: the database is open, recovery admitted and the port listening.
  notifications.serving(address);
  shutdown = shutdownOn(engine, bulk, server, store, config, logger, notifications, live);
  if (early) shutdown(early);
}

/** The functions this server runs: the built-ins, `shell` with the real process runner, `http`, and `extra` (function modules). */
export function taskFunctions(maxOutputBytes: number, extra: Record<string, TaskFunction> = {}): FunctionRegistry {
  return builtinFunctions({
    shell: shellTask({ run: runProcess, baseEnv: baseEnvironment(), maxOutputBytes }),
    http: httpFunction({ maxOutputBytes }),
    ...extra,
  });
}

/**
 * The gauges `/metrics` reads at each scrape. A counter kept elsewhere is one line here:
 * `metrics.counterFrom("baton_retention_deleted_total", "…", () => retention.deleted)`.
 */
function openStore(config: ServeConfig, logger: Logger): SqliteStore {
  try {
    return SqliteStore.open({ path: config.db, sync: config.sync, logger });
  } catch (err) {
    throw new StartError([databaseProblem(err, config.db)], { cause: err });
  }
}

/** What the start line says about authentication. */
function authSummary(config: ServeConfig, tokens: TokenEntry[] | null): string {
  if (tokens !== null) return `on, ${tokens.length} token${tokens.length === 1 ? "" : "s"} from ${config.tokensFile}`;
  return isLoopback(config.host) ? "off (no --tokens; only this machine can connect)" : "off (--insecure-no-auth)";
}

/** The token file's entries, or null without one; a problem with it stops the start. */
function readTokens(config: ServeConfig): TokenEntry[] | null {
  if (config.tokensFile === null) return null;
  try {
    return readTokenFile(config.tokensFile);
  } catch (err) {
    if (err instanceof TokenFileError) throw new StartError([err.message], { cause: err });
    throw err;
  }
}

/** The secrets of the environment and the secrets file; a problem with them stops the start. */
function readSecrets(config: ServeConfig, logger: Logger): Secrets {
  try {
    const secrets = loadSecrets(config.secretsFile || null, process.env);
    if (secrets.size > 0)
      logger.info("secrets configured; their values are shown as *** wherever Baton records them", { names: secrets.names().join(",") });
    return secrets;
  } catch (err) {
    if (err instanceof SecretsError) throw new StartError([err.message], { cause: err });
    throw err;
  }
}

/** The server's own functions plus those of the modules in the functions folder, when one is named. */
async function loadFunctions(config: ServeConfig, logger: Logger): Promise<FunctionRegistry> {
  const own = taskFunctions(config.maxOutputBytes);
  if (config.functionsDir === null) return own;
  try {
    const { functions, modules } = await loadFunctionModules(config.functionsDir, own);
    for (const { file, names } of modules) logger.info("function module loaded", { file, functions: names.join(",") });
    if (modules.length === 0) logger.warn("the functions folder holds no *.ts, *.js or *.mjs module", { functions: config.functionsDir });
    return taskFunctions(config.maxOutputBytes, functions);
  } catch (err) {
    throw err instanceof FunctionModuleError ? new StartError([err.message], { cause: err.cause ?? err }) : err;
  }
}

/** The text of every `*.json` in the jobs folder; none when a folder nobody named is missing. */
function readJobs(config: ServeConfig, logger: Logger): SourceFile[] {
  let files: string[] | null;
  try {
    files = definitionFilesIn(config.jobsDir);
  } catch (err) {
    throw new StartError([jobsFolderProblem(err, config.jobsDir)], { cause: err });
  }
  if (files === null) {
    if (config.jobsDirExplicit)
      throw new StartError([`the jobs folder ${config.jobsDir} does not exist; create it, or name another with --jobs or BATON_JOBS_DIR`]);
    logger.warn("no jobs folder; definitions can still be registered with POST /job-definitions", { jobs: config.jobsDir });
    return [];
  }
  const { read, unreadable } = readSourceFiles(files);
  if (unreadable.length > 0) throw new StartError([jobsFilesProblem(unreadable, config.jobsDir)]);
  return read;
}

async function loadDefinitions(engine: Engine, sources: SourceFile[], config: ServeConfig, logger: Logger): Promise<void> {
  const { valid, problems } = checkDefinitionFiles(sources, (raw) => engine.catalog.validate(raw));
  if (problems.length === 1) throw new StartError([`a problem in ${config.jobsDir}, nothing was loaded: ${problems[0]}`]);
  if (problems.length > 1) {
    throw new StartError([`${problems.length} problems in ${config.jobsDir}; nothing was loaded:`, ...problems.map((p) => `  ${p}`)]);
  }
  for (const { file, raw } of valid) {
    const { id, version, created } = await engine.catalog.register(raw);
    logger.info(created ? "job definition registered" : "job definition unchanged", { file, id, version });
  }
}

function listen(fetch: (req: Request) => Response | Promise<Response>, config: ServeConfig): HttpServer {
  try {
    return serveHttp(fetch, config.host, config.port);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === "EADDRINUSE")
      throw new StartError([`port ${config.port} on ${config.host} is already in use; choose another with --port or BATON_PORT`]);
    throw new StartError([`cannot listen on ${config.host}:${config.port}: ${e.message}`]);
  }
}

/** The SIGTERM/SIGINT handler once serving: graceful the first time, immediate the second. */
function shutdownOn(
  engine: Engine,
  bulk: BulkOperations,
  server: HttpServer,
  store: SqliteStore,
  config: ServeConfig,
  logger: Logger,
  notifications: ServiceNotifications,
  live: LiveFeed,
): (signal: NodeJS.Signals) => void {
  let stopping = false;
  return (signal) => {
    if (stopping) {
      logger.warn("second signal: exiting now; unfinished attempts run again at next start", { signal });
      process.exit(130);
    }
    stopping = true;
    void (async () => {
      logger.info("shutting down: no new executions are admitted", {
        signal,
        graceSeconds: config.shutdownGraceSeconds,
        running: engine.running,
      });
      notifications.draining(config.shutdownGraceSeconds * 1000);
      live.close(); // open dashboards' event streams end now: the server's stop never waits on one
      await bulk.stop(); // its batch in flight saves its progress; the operation resumes at next start
      const { interrupted } = await engine.stop(config.shutdownGraceSeconds * 1000);
      if (interrupted > 0) logger.warn("grace period over: interrupted attempts run again at next start", { executions: interrupted });
      await server.stop(true);
      notifications.closing();
      await store.close();
      logger.info("stopped");
      process.exit(0);
    })();
  };
}
