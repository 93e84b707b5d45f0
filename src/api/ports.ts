/**
 * What the API needs from the rest of Baton, as ports: the engine's commands for every change,
 * the store's read port for every read. Routes see nothing else: never the engine's store.
 */
import type { Context } from "hono";
import type { Logger } from "../domain/log.ts";
import type { BackupPort, ReadPort } from "../domain/store.ts";
import type { Engine } from "../engine/engine.ts";

/** The engine's commands the routes call, and the two facts they report; `Engine` satisfies it. */
export interface EngineCommands
  extends Pick<
    Engine,
    | "submitWith"
    | "cancel"
    | "redrive"
    | "rerun"
    | "isStopping"
    | "maxConcurrentJobs"
    | "poll"
    | "heartbeat"
    | "completeLease"
    | "failLease"
    | "workers"
    | "waitingFor"
    | "queuedWaitingFor"
    | "pauseSchedule"
    | "resumeSchedule"
    | "triggerSchedule"
  > {
  /** Registering validates a definition and stores a new version only when its body changed. */
  readonly catalog: Pick<Engine["catalog"], "register">;
}

/** What every route handler is given. */
export interface ApiPorts {
  engine: EngineCommands;
  reads: ReadPort;
  /** Reported by `/healthz`, `/livez` and `/system/state`. */
  version: string;
  /** When the process started, epoch ms: the origin of `uptimeSeconds`. */
  startedAt: number;
  now: () => number;
  /** Whether a definition registered through the API may use the `shell` function (`--allow-shell-api`). */
  allowShellApi: boolean;
  /** The OpenAPI document of this API (built once, on first use). */
  openapi: () => Record<string, unknown>;
  /** Where handlers log what a request did (who registered a definition). */
  logger: Logger;
  /** `POST /system/backup`: the store that copies itself and the folder (`--backup-dir`); null when off. */
  backups: { store: BackupPort; dir: string } | null;
  /** `GET /metrics`: the Prometheus text and its content type; null when this app collects none. */
  metrics: MetricsPort | null;
}

/** The metrics `GET /metrics` serves, rendered at each scrape. */
export interface MetricsPort {
  readonly contentType: string;
  render(): Promise<string>;
}

/** A route of the table: the request's context and the ports; it answers or throws a domain error. */
export type RouteHandler = (c: Context, api: ApiPorts) => Promise<Response>;
