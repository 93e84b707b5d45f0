/** Schema migrations of the SQLite store: recorded, idempotent, refused when too new, and lossless from older layouts. */
import { beforeEach, describe, expect, test } from "bun:test";
import { err, newExecution, registered, T0, taskRun } from "../../../test/store/fixtures.ts";
import { silentLogger } from "../../domain/log.ts";
import { type Database, openDatabase } from "./driver.ts";
import { MIGRATIONS, migrate, SchemaTooNewError } from "./migrations.ts";
import { SqliteStore } from "./store.ts";

describe.each(["bun", "node"] as const)("through %s", (driver) => {
  let db: Database;
  let store: SqliteStore;

  beforeEach(() => {
    db = openDatabase({ path: ":memory:", driver });
    store = new SqliteStore(db);
  });

  const statusOf = (id: string) => (db.query("SELECT status FROM executions WHERE id = ?1").get(id) as { status: string }).status;

  describe("migrations", () => {
    test("are recorded and idempotent", () => {
      expect(db.query("SELECT version FROM schema_migrations").all()).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1 })));
      expect(migrate(db)).toBe(MIGRATIONS.length);
      expect(migrate(db)).toBe(MIGRATIONS.length);
      expect(db.query("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({ n: MIGRATIONS.length });
    });

    test("a second store on a migrated database keeps its data", async () => {
      await registered(store);
      await store.enqueue(newExecution("e1"), T0);
      const again = new SqliteStore(db);
      expect((await again.loadExecution("e1"))?.status).toBe("QUEUED");
      expect(await again.definitionVersions("job")).toEqual([1]);
    });

    test("a database with a newer schema version is refused and left untouched", () => {
      const other = openDatabase({ path: ":memory:", driver });
      migrate(other);
      other.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)").run(MIGRATIONS.length + 1);
      expect(() => new SqliteStore(other)).toThrow(SchemaTooNewError);
      expect(() => migrate(other)).toThrow(
        `the database has schema version ${MIGRATIONS.length + 1} but this Baton knows only ${MIGRATIONS.length}`,
      );
      expect(other.query("SELECT MAX(version) AS v FROM schema_migrations").get()).toEqual({ v: MIGRATIONS.length + 1 });
    });

    test("versions 5 and 6 move task rows into their execution's row and key events by execution seq, losing nothing", async () => {
      const old = openDatabase({ path: ":memory:", driver });
      old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
      MIGRATIONS.slice(0, 4).forEach((sql, i) => {
        old.exec(sql);
        old.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)").run(i + 1);
      });
      old.exec(`INSERT INTO job_definitions VALUES ('job', 1, '{}', '{}', ${T0})`);
      old.exec(`INSERT INTO executions (id, definition_id, definition_version, status, input, created_at, started_at)
        VALUES ('e1', 'job', 1, 'RUNNING', '{}', ${T0}, ${T0}), ('e2', 'job', 1, 'QUEUED', '{}', ${T0}, NULL)`);
      // Inserted out of position order: the array follows position, not insertion.
      old.exec(`INSERT INTO task_runs (execution_id, position, task_id, name, status, attempts, started_at, end_time, next_attempt_at, output, error, attempt_base, carried_over) VALUES
        ('e1', 2, 'c', 'C', 'PENDING', 0, NULL, NULL, NULL, NULL, NULL, 0, 0),
        ('e1', 1, 'b', 'B', 'RETRYING', 2, ${T0 + 1}, NULL, ${T0 + 9}, NULL, '{"name":"Boom","message":"it broke"}', 1, 0),
        ('e1', 0, 'a', 'A', 'COMPLETED', 0, NULL, ${T0}, NULL, '{"x":[1,2]}', NULL, 0, 1),
        ('e2', 0, 'a', 'A', 'PENDING', 0, NULL, NULL, NULL, NULL, NULL, 0, 0)`);
      old.exec(`INSERT INTO events (seq, execution_id, at, type, task_id, attempt, data) VALUES
        (1, 'e1', ${T0}, 'ExecutionQueued', NULL, NULL, NULL),
        (2, 'e2', ${T0}, 'ExecutionQueued', NULL, NULL, '{"runAt":"x"}'),
        (3, 'e1', ${T0 + 1}, 'TaskRetrying', 'b', 2, '{"error":{"name":"Boom","message":"it broke"}}')`);
      const logged: unknown[] = [];
      const migrated = new SqliteStore(old, undefined, null, {
        ...silentLogger,
        info: (message, fields) => logged.push([message, fields]),
      });
      expect(logged).toEqual([[expect.stringMatching(/^upgrading the database schema/), { from: 4, to: MIGRATIONS.length }]]);
      expect(old.query("SELECT name FROM sqlite_master WHERE name = 'task_runs'").get()).toBeNull();
      expect((await migrated.loadExecution("e1"))!.tasks).toEqual([
        taskRun({ taskId: "a", name: "A", status: "COMPLETED", attempts: 0, endTime: T0, output: { x: [1, 2] }, carriedOver: true }),
        taskRun({
          taskId: "b",
          name: "B",
          status: "RETRYING",
          attempts: 2,
          startedAt: T0 + 1,
          nextAttemptAt: T0 + 9,
          error: err,
          attemptBase: 1,
        }),
        taskRun({ taskId: "c", name: "C", status: "PENDING", attempts: 0 }),
      ]);
      expect((await migrated.loadExecution("e2"))!.tasks).toEqual([taskRun({ taskId: "a", name: "A", status: "PENDING", attempts: 0 })]);
      // Events keep their numbers and point at their execution by its seq now.
      expect(old.query("SELECT seq, execution_seq FROM events ORDER BY seq").all()).toEqual([
        { seq: 1, execution_seq: 1 },
        { seq: 2, execution_seq: 2 },
        { seq: 3, execution_seq: 1 },
      ]);
      expect((await migrated.events("e2"))!).toEqual([
        { seq: 2, executionId: "e2", at: T0, type: "ExecutionQueued", taskId: null, attempt: null, data: { runAt: "x" } },
      ]);
      // And the migrated state takes the next step; its event is numbered after the old ones.
      await migrated.record("e1", [{ kind: "start", taskId: "b", attempt: 3 }], T0 + 10);
      expect((await migrated.loadExecution("e1"))!.tasks[1]).toMatchObject({
        status: "RUNNING",
        attempts: 3,
        startedAt: T0 + 1,
        nextAttemptAt: null,
      });
      expect((await migrated.events("e1"))!.map((e) => [e.seq, e.type, e.taskId, e.attempt])).toEqual([
        [1, "ExecutionQueued", null, null],
        [3, "TaskRetrying", "b", 2],
        [4, "TaskStarted", "b", 3],
      ]);
    });

    test("the schedules migration keeps executions (unscheduled) and makes a cron slot unique, a manual trigger not", async () => {
      const at = MIGRATIONS.findIndex((sql) => sql.includes("CREATE TABLE schedules"));
      const old = openDatabase({ path: ":memory:", driver });
      old.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)");
      MIGRATIONS.slice(0, at).forEach((sql, i) => {
        old.exec(sql);
        old.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)").run(i + 1);
      });
      old.exec(`INSERT INTO job_definitions VALUES ('job', 1, '{}', '{}', ${T0})`);
      old.exec(
        `INSERT INTO executions (id, definition_id, definition_version, status, input, created_at) VALUES ('e1', 'job', 1, 'QUEUED', '{}', ${T0})`,
      );
      const migrated = new SqliteStore(old);
      expect(await migrated.loadExecution("e1")).toMatchObject({ scheduleId: null, scheduledFor: null });
      const insert = (id: string, manual: number) =>
        old.exec(`INSERT INTO executions (id, definition_id, definition_version, status, input, created_at, schedule_id, scheduled_for, schedule_manual)
          VALUES ('${id}', 'job', 1, 'QUEUED', '{}', ${T0}, 's', ${T0}, ${manual})`);
      insert("cron", 0);
      expect(() => insert("twice", 0)).toThrow(/UNIQUE constraint failed/);
      insert("manual", 1);
      expect(await migrated.listSchedules()).toEqual([]);
    });

    test("CHECK constraints reject an illegal status", async () => {
      await registered(store);
      await store.enqueue(newExecution("e1"), T0);
      expect(() => db.query("UPDATE executions SET status = 'PAUSED' WHERE id = 'e1'").run()).toThrow(/CHECK constraint failed/);
      expect(statusOf("e1")).toBe("QUEUED");
    });
  });
});
