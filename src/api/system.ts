/** The handlers of `/system/state`, `/healthz`, `/livez`, `/system/backup` and `/metrics`: what the orchestrator is doing, and whether it can answer. */
import { ConflictError, NotFoundError, StorageError, UnavailableError } from "../domain/errors.ts";
import type { RouteHandler } from "./ports.ts";
import { activeJobView, systemStateView } from "./views.ts";

/** How many queued ids `/system/state` lists; `queuedCount` is always exact. */
export const QUEUED_IDS_SHOWN = 100;

/** `GET /system/state` */
export const systemState: RouteHandler = async (c, { engine, reads, version, startedAt, now }) => {
  const counts = await reads.systemCounts(QUEUED_IDS_SHOWN);
  // As in the original, each active job is an object with its tasks; bounded by the limit.
  const loaded = await Promise.all(counts.running.map((id) => reads.loadExecution(id)));
  const active = loaded.filter((e) => e !== null && e.status === "RUNNING").map((e) => activeJobView(e!));
  const uptimeSeconds = Math.max(0, Math.floor((now() - startedAt) / 1000));
  return c.json(
    systemStateView(counts, active, {
      maxConcurrentJobs: engine.maxConcurrentJobs,
      queuedWaitingFor: engine.queuedWaitingFor(),
      version,
      uptimeSeconds,
    }),
  );
};

/** A backup's file name: its UTC start to the millisecond, sortable, without characters a shell or Windows minds. */
export const backupFileName = (now: number) => `baton-${new Date(now).toISOString().replace(/[-:.]/g, "")}.db`;

/** `POST /system/backup`: a consistent copy of the database into `--backup-dir`, taken while work goes on. */
export const backup: RouteHandler = async (c, { backups, now, logger }) => {
  if (backups === null)
    throw new ConflictError(
      "backups are off on this server: start it with --backup-dir DIR (or BATON_BACKUP_DIR), or run 'baton backup --db PATH OUT' on its host",
    );
  const file = `${backups.dir.replace(/\/+$/, "")}/${backupFileName(now())}`;
  let result: Awaited<ReturnType<typeof backups.store.backup>>;
  try {
    result = await backups.store.backup(file);
  } catch (err) {
    if (err instanceof ConflictError) throw err;
    throw new UnavailableError(
      `the backup ${file} could not be written: ${(err as Error).message}; check the free space and permissions of ${backups.dir}`,
    );
  }
  logger.info("database backed up", { file: result.file, bytes: result.bytes, durationMs: result.durationMs });
  return c.json(result, 201);
};

/** `GET /healthz`. Readiness: can Baton take work right now? A load balancer or a client watches this one. */
export const healthz: RouteHandler = async (c, { engine, reads, version, now }) => {
  // A load balancer should stop sending work as soon as a shutdown begins.
  if (engine.isStopping) throw new UnavailableError("Baton is shutting down; send work to another instance or retry after the restart");
  if (!(await reads.ping())) {
    throw new UnavailableError("the database does not answer reads; check the disk and the server log, and restart Baton if it persists");
  }
  const fault = reads.writeFault();
  if (fault) {
    const seconds = Math.max(0, Math.round((now() - fault.since) / 1000));
    throw new StorageError(
      `the database has refused writes for ${seconds} s (since ${new Date(fault.since).toISOString()}): ${fault.reason}. ` +
        "Reads are served; writes answer 503. Free space or fix the disk holding the database: Baton notices by itself within a second and resumes, no restart needed",
      null,
      fault.reason,
    );
  }
  return c.json({ status: "ok", version });
};

/**
 * `GET /livez`. Liveness: is the process itself working? Stays 200 through storage faults, which
 * Baton recovers from by itself; a supervisor restarts Baton only when this fails.
 */
export const livez: RouteHandler = async (c, { reads, version }) => {
  if (!(await reads.ping())) {
    throw new UnavailableError("the database does not answer reads; restarting Baton may help if the disk is back");
  }
  return c.json({ status: "ok", version });
};

/** `GET /metrics`: Prometheus' text format, gauges read now. Open unless the server runs with --metrics-auth. */
export const metrics: RouteHandler = async (c, { metrics }) => {
  if (metrics === null) throw new NotFoundError("this app was built without metrics; 'baton serve' always serves them at /metrics");
  return c.body(await metrics.render(), 200, { "Content-Type": metrics.contentType });
};
