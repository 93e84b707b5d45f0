import { beforeEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { completeTask, failTask, finishExecution, retryTask, startAttempt } from "../../../test/helpers/store-steps.ts";
import { canonicalJson } from "../../domain/json.ts";
import { silentLogger } from "../../domain/log.ts";
import type { TaskRun } from "../../domain/model.ts";
import type { NewExecution } from "../../domain/store.ts";
import { StaleStateError } from "../../domain/transitions.ts";
import { type Database, openDatabase } from "./driver.ts";
import { MIGRATIONS, migrate, SchemaTooNewError } from "./migrations.ts";
import { SqliteStore } from "./store.ts";

const T0 = 1_700_000_000_000;
const BODY = {
  id: "job",
  tasks: [
    { id: "a", functionName: "noop" },
    { id: "b", functionName: "noop" },
    { id: "c", functionName: "noop" },
  ],
};

let db: Database;
let store: SqliteStore;

beforeEach(() => {
  db = openDatabase({ path: ":memory:" });
  store = new SqliteStore(db);
});

async function registered(id = "job", body: Record<string, unknown> = { ...BODY, id }) {
  return store.registerDefinition(id, body, canonicalJson(body), T0);
}

const newExecution = (id: string, overrides: Partial<NewExecution> = {}): NewExecution => ({
  id,
  definitionId: "job",
  definitionVersion: 1,
  input: { n: id },
  tasks: [
    { taskId: "a", name: "A" },
    { taskId: "b", name: "B" },
    { taskId: "c", name: "C" },
  ],
  ...overrides,
});

/** Enqueues executions e1..eN of `job` v1 at T0 + i. */
async function enqueued(n: number, prefix = "e", definitionId = "job") {
  const ids: string[] = [];
  for (let i = 1; i <= n; i++) {
    const id = `${prefix}${i}`;
    await store.enqueue(newExecution(id, { definitionId }), T0 + i);
    ids.push(id);
  }
  return ids;
}

/** Every row of every table: what "changes nothing" compares. */
const snapshot = () => ({
  executions: db.query("SELECT * FROM executions ORDER BY seq").all(),
  outputs: db.query("SELECT * FROM task_outputs ORDER BY execution_seq, task_id").all(),
  events: db.query("SELECT * FROM events ORDER BY seq").all(),
  definitions: db.query("SELECT * FROM job_definitions ORDER BY id, version").all(),
});

const statusOf = (id: string) => (db.query("SELECT status FROM executions WHERE id = ?1").get(id) as { status: string }).status;
const eventTypes = async (id: string) => (await store.events(id))!.map((e) => (e.taskId ? `${e.type}:${e.taskId}` : e.type));
const err = { name: "Boom", message: "it broke" };

describe("migrations", () => {
  test("are recorded and idempotent", () => {
    expect(db.query("SELECT version FROM schema_migrations").all()).toEqual(MIGRATIONS.map((_, i) => ({ version: i + 1 })));
    expect(migrate(db)).toBe(MIGRATIONS.length);
    expect(migrate(db)).toBe(MIGRATIONS.length);
    expect(db.query("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({ n: MIGRATIONS.length });
  });

  test("a second store on a migrated database keeps its data", async () => {
    await registered();
    await store.enqueue(newExecution("e1"), T0);
    const again = new SqliteStore(db);
    expect((await again.loadExecution("e1"))?.status).toBe("QUEUED");
    expect(await again.definitionVersions("job")).toEqual([1]);
  });

  test("a database with a newer schema version is refused and left untouched", () => {
    const other = openDatabase({ path: ":memory:" });
    migrate(other);
    other.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, 0)").run(MIGRATIONS.length + 1);
    expect(() => new SqliteStore(other)).toThrow(SchemaTooNewError);
    expect(() => migrate(other)).toThrow(
      `the database has schema version ${MIGRATIONS.length + 1} but this Baton knows only ${MIGRATIONS.length}`,
    );
    expect(other.query("SELECT MAX(version) AS v FROM schema_migrations").get()).toEqual({ v: MIGRATIONS.length + 1 });
  });

  test("versions 5 and 6 move task rows into their execution's row and key events by execution seq, losing nothing", async () => {
    const old = openDatabase({ path: ":memory:" });
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
    const migrated = new SqliteStore(old, undefined, null, { ...silentLogger, info: (message, fields) => logged.push([message, fields]) });
    expect(logged).toEqual([[expect.stringMatching(/^upgrading the database schema/), { from: 4, to: MIGRATIONS.length }]]);
    expect(old.query("SELECT name FROM sqlite_master WHERE name = 'task_runs'").get()).toBeNull();
    const run = (over: Pick<TaskRun, "taskId" | "name" | "status" | "attempts"> & Partial<TaskRun>): TaskRun => ({
      startedAt: null,
      endTime: null,
      nextAttemptAt: null,
      output: null,
      error: null,
      attemptBase: 0,
      carriedOver: false,
      ...over,
    });
    expect((await migrated.loadExecution("e1"))!.tasks).toEqual([
      run({ taskId: "a", name: "A", status: "COMPLETED", attempts: 0, endTime: T0, output: { x: [1, 2] }, carriedOver: true }),
      run({
        taskId: "b",
        name: "B",
        status: "RETRYING",
        attempts: 2,
        startedAt: T0 + 1,
        nextAttemptAt: T0 + 9,
        error: err,
        attemptBase: 1,
      }),
      run({ taskId: "c", name: "C", status: "PENDING", attempts: 0 }),
    ]);
    expect((await migrated.loadExecution("e2"))!.tasks).toEqual([run({ taskId: "a", name: "A", status: "PENDING", attempts: 0 })]);
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

  test("CHECK constraints reject an illegal status", async () => {
    await registered();
    await store.enqueue(newExecution("e1"), T0);
    expect(() => db.query("UPDATE executions SET status = 'PAUSED' WHERE id = 'e1'").run()).toThrow(/CHECK constraint failed/);
    expect(statusOf("e1")).toBe("QUEUED");
  });
});

describe("definitions", () => {
  test("the same canonical body is no new version; a different one is n+1", async () => {
    expect(await registered()).toEqual({ version: 1, created: true });
    const reordered = { tasks: BODY.tasks, id: "job" };
    expect(await store.registerDefinition("job", reordered, canonicalJson(reordered), T0 + 1)).toEqual({ version: 1, created: false });
    const changed = { ...BODY, name: "renamed" };
    expect(await store.registerDefinition("job", changed, canonicalJson(changed), T0 + 2)).toEqual({ version: 2, created: true });
    // Going back to the first body is a change from the latest: version 3.
    expect(await registered()).toEqual({ version: 3, created: true });
    expect(await store.definitionVersions("job")).toEqual([1, 2, 3]);
  });

  test("get returns the latest or the given version, exactly as registered", async () => {
    await registered();
    const changed = { ...BODY, name: "renamed" };
    await store.registerDefinition("job", changed, canonicalJson(changed), T0 + 5);
    expect(await store.getDefinition("job")).toEqual({ id: "job", version: 2, body: changed, createdAt: T0 + 5 });
    expect(await store.getDefinition("job", 1)).toEqual({ id: "job", version: 1, body: BODY, createdAt: T0 });
    expect(await store.getDefinition("job", 3)).toBeNull();
    expect(await store.getDefinition("nope")).toBeNull();
  });

  test("list gives the latest version of each, by id", async () => {
    await registered("zeta");
    await registered("alpha");
    const changed = { ...BODY, id: "zeta", name: "v2" };
    await store.registerDefinition("zeta", changed, canonicalJson(changed), T0);
    expect((await store.listDefinitions()).map((d) => [d.id, d.version])).toEqual([
      ["alpha", 1],
      ["zeta", 2],
    ]);
  });
});

describe("enqueue and admit", () => {
  beforeEach(async () => {
    await registered();
  });

  test("enqueue writes a QUEUED execution, PENDING tasks in order and one event", async () => {
    const e = await store.enqueue(newExecution("e1"), T0);
    expect(e).toMatchObject({ id: "e1", status: "QUEUED", createdAt: T0, startedAt: null, input: { n: "e1" } });
    const loaded = await store.loadExecution("e1");
    expect(loaded).toMatchObject({ ...e, tasks: expect.any(Array) });
    expect(loaded!.tasks).toEqual(
      (
        [
          ["a", "A"],
          ["b", "B"],
          ["c", "C"],
        ] as const
      ).map(([taskId, name]) => ({
        taskId,
        name,
        status: "PENDING",
        attempts: 0,
        startedAt: null,
        endTime: null,
        nextAttemptAt: null,
        output: null,
        error: null,
        attemptBase: 0,
        carriedOver: false,
      })),
    );
    expect(await eventTypes("e1")).toEqual(["ExecutionQueued"]);
    // Stored compactly: defaults are left out of the row.
    expect(JSON.parse((db.query("SELECT tasks FROM executions WHERE id = 'e1'").get() as { tasks: string }).tasks)).toEqual([
      { taskId: "a", name: "A", status: "PENDING" },
      { taskId: "b", name: "B", status: "PENDING" },
      { taskId: "c", name: "C", status: "PENDING" },
    ]);
  });

  test("enqueueStarted stores the execution RUNNING with its first attempts started, in one commit", async () => {
    const batches = store.writeStats.batches;
    const e = await store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "a", attempt: 1 }]);
    expect(store.writeStats.batches).toBe(batches + 1);
    expect(e).toEqual((await store.loadExecution("e1"))!);
    expect(e).toMatchObject({ status: "RUNNING", createdAt: T0, startedAt: T0 });
    expect(e.tasks.map((t) => [t.taskId, t.status, t.attempts, t.startedAt])).toEqual([
      ["a", "RUNNING", 1, T0],
      ["b", "PENDING", 0, null],
      ["c", "PENDING", 0, null],
    ]);
    expect(await eventTypes("e1")).toEqual(["ExecutionQueued", "ExecutionStarted", "TaskStarted:a"]);
    expect(await store.systemCounts(10)).toMatchObject({ running: ["e1"], queued: [], queuedCount: 0 });
    // It goes on like any admitted execution.
    await store.record(
      "e1",
      [
        { kind: "complete", taskId: "a", attempt: 1, output: 1 },
        { kind: "start", taskId: "b", attempt: 1 },
      ],
      T0 + 1,
    );
    expect((await store.loadExecution("e1"))!.tasks[0]).toMatchObject({ status: "COMPLETED", output: 1 });
  });

  test("enqueueStarted is atomic: a start the tasks refuse stores nothing", async () => {
    const before = snapshot();
    await expect(store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "a", attempt: 2 }])).rejects.toBeInstanceOf(StaleStateError);
    await expect(store.enqueueStarted(newExecution("e1"), T0, [{ taskId: "zz", attempt: 1 }])).rejects.toBeInstanceOf(StaleStateError);
    expect(snapshot()).toEqual(before);
  });

  test("enqueue is atomic: a duplicate id changes nothing", async () => {
    await store.enqueue(newExecution("e1"), T0);
    const before = snapshot();
    await expect(store.enqueue(newExecution("e1", { input: { other: true } }), T0 + 1)).rejects.toThrow(/UNIQUE/);
    expect(snapshot()).toEqual(before);
  });

  test("enqueue of an unknown definition version is refused", async () => {
    const before = snapshot();
    await expect(store.enqueue(newExecution("e1", { definitionVersion: 9 }), T0)).rejects.toThrow(/FOREIGN KEY/);
    expect(snapshot()).toEqual(before);
  });

  test("admit moves QUEUED to RUNNING once; the second admit is false and writes nothing", async () => {
    await store.enqueue(newExecution("e1"), T0);
    expect(await store.admit("e1", T0 + 10)).not.toBeNull();
    const before = snapshot();
    expect(await store.admit("e1", T0 + 20)).toBeNull();
    expect(snapshot()).toEqual(before);
    expect(await store.loadExecution("e1")).toMatchObject({ status: "RUNNING", startedAt: T0 + 10 });
    expect(await eventTypes("e1")).toEqual(["ExecutionQueued", "ExecutionStarted"]);
    expect(await store.admit("ghost", T0)).toBeNull();
  });

  test("resume appends ExecutionResumed", async () => {
    await store.enqueue(newExecution("e1"), T0);
    await store.admit("e1", T0);
    await store.resume("e1", T0 + 1);
    expect(await eventTypes("e1")).toEqual(["ExecutionQueued", "ExecutionStarted", "ExecutionResumed"]);
  });
});

describe("attempts", () => {
  beforeEach(async () => {
    await registered();
    await store.enqueue(newExecution("e1"), T0);
    await store.admit("e1", T0);
  });
  const task = async (taskId: string) => (await store.loadExecution("e1"))!.tasks.find((t) => t.taskId === taskId)!;

  test("start, retry, start again, complete: the row at each step", async () => {
    await startAttempt(store, "e1", "a", 1, T0 + 1, false);
    expect(await task("a")).toMatchObject({ status: "RUNNING", attempts: 1, startedAt: T0 + 1, nextAttemptAt: null });
    await retryTask(store, "e1", "a", 1, err, T0 + 1001, T0 + 1);
    expect(await task("a")).toMatchObject({ status: "RETRYING", attempts: 1, error: err, nextAttemptAt: T0 + 1001, endTime: null });
    await startAttempt(store, "e1", "a", 2, T0 + 1001, false);
    // startedAt is the first attempt's; the pending retry time is cleared.
    expect(await task("a")).toMatchObject({ status: "RUNNING", attempts: 2, startedAt: T0 + 1, nextAttemptAt: null });
    await completeTask(store, "e1", "a", 2, { rows: 3 }, T0 + 1500);
    expect(await task("a")).toMatchObject({ status: "COMPLETED", attempts: 2, output: { rows: 3 }, error: null, endTime: T0 + 1500 });
    const events = (await store.events("e1"))!.filter((e) => e.taskId === "a");
    expect(events.map((e) => [e.type, e.attempt, e.at, e.data])).toEqual([
      ["TaskStarted", 1, T0 + 1, null],
      ["TaskRetrying", 1, T0 + 1, { error: err, nextAttemptAt: new Date(T0 + 1001).toISOString() }],
      ["TaskStarted", 2, T0 + 1001, null],
      ["TaskCompleted", 2, T0 + 1500, null],
    ]);
  });

  test("a resumed attempt keeps its number and is marked resumed", async () => {
    await startAttempt(store, "e1", "a", 1, T0 + 1, false);
    await startAttempt(store, "e1", "a", 1, T0 + 99, true);
    expect(await task("a")).toMatchObject({ status: "RUNNING", attempts: 1, startedAt: T0 + 1 });
    const last = (await store.events("e1"))!.at(-1)!;
    expect([last.type, last.attempt, last.data]).toEqual(["TaskStarted", 1, { resumed: true }]);
  });

  test("a null or undefined output is stored as null", async () => {
    await startAttempt(store, "e1", "a", 1, T0, false);
    await completeTask(store, "e1", "a", 1, undefined, T0);
    expect((await task("a")).output).toBeNull();
  });

  test("failTask fails the task, skips the listed tasks and writes their events", async () => {
    await startAttempt(store, "e1", "a", 1, T0 + 1, false);
    await failTask(store, "e1", "a", 1, err, ["b", "c"], T0 + 2);
    const loaded = await store.loadExecution("e1");
    expect(loaded!.tasks.map((t) => [t.taskId, t.status, t.endTime])).toEqual([
      ["a", "FAILED", T0 + 2],
      ["b", "SKIPPED", T0 + 2],
      ["c", "SKIPPED", T0 + 2],
    ]);
    expect(loaded!.tasks[0]!.error).toEqual(err);
    const tail = (await store.events("e1"))!.slice(-3);
    expect(tail.map((e) => [e.type, e.taskId, e.attempt, e.data])).toEqual([
      ["TaskFailed", "a", 1, { error: err }],
      ["TaskSkipped", "b", null, { because: "a" }],
      ["TaskSkipped", "c", null, { because: "a" }],
    ]);
  });

  test("finishExecution records output or error and the closing event", async () => {
    await finishExecution(store, "e1", "FAILED", null, { taskId: "a", ...err }, T0 + 9);
    expect(await store.loadExecution("e1")).toMatchObject({
      status: "FAILED",
      output: null,
      error: { taskId: "a", ...err },
      endTime: T0 + 9,
    });
    expect((await store.events("e1"))!.at(-1)).toMatchObject({ type: "ExecutionFailed", data: { error: { taskId: "a", ...err } } });

    await store.enqueue(newExecution("e2"), T0);
    await store.admit("e2", T0);
    await finishExecution(store, "e2", "COMPLETED", { c: 1 }, null, T0 + 10);
    expect(await store.loadExecution("e2")).toMatchObject({ status: "COMPLETED", output: { c: 1 }, error: null, endTime: T0 + 10 });
    expect((await store.events("e2"))!.at(-1)).toMatchObject({ type: "ExecutionCompleted", data: null });
  });

  describe("every guarded write refuses a row in the wrong state and changes nothing", () => {
    const cases: [string, () => Promise<void>, () => Promise<unknown>][] = [
      ["start a RUNNING task", () => startAttempt(store, "e1", "a", 1, T0, false), () => startAttempt(store, "e1", "a", 2, T0, false)],
      ["start with a skipped attempt number", async () => {}, () => startAttempt(store, "e1", "a", 2, T0, false)],
      [
        "start a COMPLETED task",
        async () => {
          await startAttempt(store, "e1", "a", 1, T0, false);
          await completeTask(store, "e1", "a", 1, null, T0);
        },
        () => startAttempt(store, "e1", "a", 2, T0, false),
      ],
      ["resume a PENDING task", async () => {}, () => startAttempt(store, "e1", "a", 0, T0, true)],
      [
        "resume a RUNNING task under another attempt number",
        () => startAttempt(store, "e1", "a", 1, T0, false),
        () => startAttempt(store, "e1", "a", 2, T0, true),
      ],
      [
        "resume a RETRYING task",
        async () => {
          await startAttempt(store, "e1", "a", 1, T0, false);
          await retryTask(store, "e1", "a", 1, err, T0 + 1000, T0);
        },
        () => startAttempt(store, "e1", "a", 1, T0, true),
      ],
      ["complete a PENDING task", async () => {}, () => completeTask(store, "e1", "a", 0, null, T0)],
      ["complete another attempt", () => startAttempt(store, "e1", "a", 1, T0, false), () => completeTask(store, "e1", "a", 2, null, T0)],
      [
        "complete a RETRYING task",
        async () => {
          await startAttempt(store, "e1", "a", 1, T0, false);
          await retryTask(store, "e1", "a", 1, err, T0 + 1000, T0);
        },
        () => completeTask(store, "e1", "a", 1, null, T0),
      ],
      ["retry a PENDING task", async () => {}, () => retryTask(store, "e1", "a", 0, err, T0, T0)],
      [
        "retry a COMPLETED task",
        async () => {
          await startAttempt(store, "e1", "a", 1, T0, false);
          await completeTask(store, "e1", "a", 1, null, T0);
        },
        () => retryTask(store, "e1", "a", 1, err, T0, T0),
      ],
      ["fail a PENDING task", async () => {}, () => failTask(store, "e1", "a", 0, err, [], T0)],
      [
        "fail a FAILED task again",
        async () => {
          await startAttempt(store, "e1", "a", 1, T0, false);
          await failTask(store, "e1", "a", 1, err, [], T0);
        },
        () => failTask(store, "e1", "a", 1, err, [], T0),
      ],
      [
        "fail a task and skip one that is not PENDING (the whole write rolls back)",
        async () => {
          await startAttempt(store, "e1", "a", 1, T0, false);
          await startAttempt(store, "e1", "b", 1, T0, false);
        },
        () => failTask(store, "e1", "a", 1, err, ["c", "b"], T0),
      ],
      ["touch an unknown task", async () => {}, () => startAttempt(store, "e1", "zz", 1, T0, false)],
      [
        "finish a QUEUED execution",
        async () => {
          await store.enqueue(newExecution("e2"), T0);
        },
        () => finishExecution(store, "e2", "COMPLETED", null, null, T0),
      ],
      [
        "finish a finished execution",
        () => finishExecution(store, "e1", "COMPLETED", null, null, T0),
        () => finishExecution(store, "e1", "FAILED", null, null, T0),
      ],
    ];
    for (const [name, arrange, act] of cases) {
      test(name, async () => {
        await arrange();
        const before = snapshot();
        await expect(act()).rejects.toBeInstanceOf(StaleStateError);
        expect(snapshot()).toEqual(before);
      });
    }
  });
});

describe("reads", () => {
  beforeEach(async () => {
    await registered("job");
    await registered("other");
  });

  test("events come in order with increasing seq; unknown execution is null", async () => {
    await store.enqueue(newExecution("e1"), T0);
    await store.enqueue(newExecution("e2"), T0);
    await store.admit("e1", T0 + 1);
    await store.admit("e2", T0 + 1);
    await startAttempt(store, "e1", "a", 1, T0 + 2, false);
    const events = (await store.events("e1"))!;
    expect(events.map((e) => e.type)).toEqual(["ExecutionQueued", "ExecutionStarted", "TaskStarted"]);
    expect(events.every((e) => e.executionId === "e1")).toBe(true);
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(3);
    // seq orders the events of the whole database: e2's events sit between e1's.
    const e2 = (await store.events("e2"))!;
    expect(e2[0]!.seq).toBeGreaterThan(events[0]!.seq);
    expect(e2[0]!.seq).toBeLessThan(events[1]!.seq);
    expect(await store.events("ghost")).toBeNull();
  });

  test("the events of one write share a row; numbers stay contiguous, and a new store continues them", async () => {
    await store.enqueue(newExecution("e1"), T0);
    await store.admit("e1", T0 + 1, [{ taskId: "a", attempt: 1 }]);
    await store.record(
      "e1",
      [
        { kind: "complete", taskId: "a", attempt: 1, output: { n: 1 } },
        { kind: "start", taskId: "b", attempt: 1 },
      ],
      T0 + 2,
    );
    expect(db.query("SELECT seq, type, task_id, json_array_length(more) AS more FROM events ORDER BY seq").all()).toEqual([
      { seq: 1, type: "ExecutionQueued", task_id: null, more: null },
      { seq: 2, type: "ExecutionStarted", task_id: null, more: 1 },
      { seq: 4, type: "TaskCompleted", task_id: "a", more: 1 },
    ]);
    const events = (await store.events("e1"))!;
    expect(events.map((e) => [e.seq, e.type, e.taskId, e.attempt, e.at])).toEqual([
      [1, "ExecutionQueued", null, null, T0],
      [2, "ExecutionStarted", null, null, T0 + 1],
      [3, "TaskStarted", "a", 1, T0 + 1],
      [4, "TaskCompleted", "a", 1, T0 + 2],
      [5, "TaskStarted", "b", 1, T0 + 2],
    ]);
    // A write that throws appends nothing, and the next write's numbers still only grow.
    await expect(
      store.record(
        "e1",
        [
          { kind: "fail", taskId: "b", attempt: 1, error: err, skip: [] },
          { kind: "complete", taskId: "c", attempt: 1, output: null },
        ],
        T0 + 3,
      ),
    ).rejects.toBeInstanceOf(StaleStateError);
    const again = new SqliteStore(db);
    await again.record("e1", [{ kind: "retry", taskId: "b", attempt: 1, error: err, nextAttemptAt: T0 + 9 }], T0 + 4);
    const last = (await again.events("e1"))!.slice(5);
    expect(last.map((e) => [e.type, e.taskId, e.data])).toEqual([
      ["TaskRetrying", "b", { error: err, nextAttemptAt: new Date(T0 + 9).toISOString() }],
    ]);
    expect(last[0]!.seq).toBeGreaterThan(5);
    // Written by the rerun's enqueue: an event of another execution gets a row of its own.
    await again.enqueue(newExecution("e2", { rerunOf: "e1" }), T0 + 5);
    expect((await again.events("e1"))!.at(-1)).toMatchObject({ type: "ExecutionRerunCreated", data: { rerun: "e2" } });
    expect((await again.events("e2"))!.map((e) => e.type)).toEqual(["ExecutionQueued"]);
  });

  test("listExecutions: newest first, filters, cursor paging", async () => {
    await enqueued(3, "j", "job"); // j1 j2 j3
    await enqueued(2, "o", "other"); // o1 o2
    await store.admit("j1", T0);
    await store.admit("o1", T0);
    const ids = (page: { executions: { id: string }[] }) => page.executions.map((e) => e.id);

    expect(ids(await store.listExecutions({ limit: 10 }))).toEqual(["o2", "o1", "j3", "j2", "j1"]);
    expect(ids(await store.listExecutions({ limit: 10, status: "RUNNING" }))).toEqual(["o1", "j1"]);
    expect(ids(await store.listExecutions({ limit: 10, definitionId: "job" }))).toEqual(["j3", "j2", "j1"]);
    expect(ids(await store.listExecutions({ limit: 10, definitionId: "job", status: "QUEUED" }))).toEqual(["j3", "j2"]);
    expect(ids(await store.listExecutions({ limit: 10, status: "COMPLETED" }))).toEqual([]);

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await store.listExecutions({ limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...ids(page));
      expect(page.executions.length).toBeLessThanOrEqual(2);
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(["o2", "o1", "j3", "j2", "j1"]);

    const first = await store.listExecutions({ limit: 1, definitionId: "job" });
    const second = await store.listExecutions({ limit: 5, definitionId: "job", cursor: first.nextCursor! });
    expect([ids(first), ids(second), second.nextCursor]).toEqual([["j3"], ["j2", "j1"], null]);

    // Exactly `limit` rows left: no further page.
    expect((await store.listExecutions({ limit: 5 })).nextCursor).toBeNull();
  });

  test("systemCounts: every RUNNING id, the first queued ids, exact counts", async () => {
    await enqueued(6);
    await store.admit("e1", T0);
    await store.admit("e2", T0);
    await finishExecution(store, "e1", "COMPLETED", null, null, T0);
    expect(await store.systemCounts(2)).toEqual({ running: ["e2"], queued: ["e3", "e4"], queuedCount: 4, completedCount: 1 });
    expect((await store.systemCounts(100)).queued).toEqual(["e3", "e4", "e5", "e6"]);
  });

  test("ping answers until the store is closed; nothing is written after close", async () => {
    expect(await store.ping()).toBe(true);
    await store.close();
    expect(await store.ping()).toBe(false);
    await expect(store.enqueue(newExecution("late"), T0)).rejects.toThrow();
    await expect(store.listExecutions({ limit: 1 })).rejects.toThrow();
  });
});

describe("recover", () => {
  beforeEach(async () => {
    await registered();
  });

  test("keeps the oldest RUNNING within the limit, requeues the rest, returns the queue in FIFO order", async () => {
    await enqueued(7); // e1..e7
    for (const id of ["e1", "e2", "e3", "e4", "e5"]) await store.admit(id, T0 + 100);
    const plan = await store.recover(3, T0 + 500);
    expect(plan).toEqual({ running: ["e1", "e2", "e3"], queued: ["e4", "e5", "e6", "e7"], delayed: [], handlersPending: [] });
    expect(["e1", "e2", "e3", "e4", "e5", "e6", "e7"].map(statusOf)).toEqual([
      "RUNNING",
      "RUNNING",
      "RUNNING",
      "QUEUED",
      "QUEUED",
      "QUEUED",
      "QUEUED",
    ]);
    expect((await store.events("e4"))!.at(-1)).toMatchObject({
      type: "ExecutionRequeued",
      at: T0 + 500,
      data: { reason: "more than 3 executions were RUNNING at start" },
    });
    expect(await eventTypes("e1")).toEqual(["ExecutionQueued", "ExecutionStarted"]);
    // A requeued execution keeps the time it was first admitted when it is admitted again.
    expect(await store.admit("e4", T0 + 900)).not.toBeNull();
    expect((await store.loadExecution("e4"))!.startedAt).toBe(T0 + 100);
  });

  test("within the limit nothing changes", async () => {
    await enqueued(3);
    await store.admit("e2", T0);
    const before = snapshot();
    expect(await store.recover(10, T0)).toEqual({ running: ["e2"], queued: ["e1", "e3"], delayed: [], handlersPending: [] });
    expect(snapshot()).toEqual(before);
  });

  test("leaves finished executions alone", async () => {
    await enqueued(2);
    await store.admit("e1", T0);
    await finishExecution(store, "e1", "COMPLETED", null, null, T0);
    expect(await store.recover(1, T0)).toEqual({ running: [], queued: ["e2"], delayed: [], handlersPending: [] });
  });
});

describe("query plans", () => {
  /** Every SQL text the store prepares, captured as it is built. */
  function preparedSql(): string[] {
    const raw = openDatabase({ path: ":memory:" });
    const seen: string[] = [];
    const prepare = raw.prepare.bind(raw);
    raw.prepare = ((sql: string, ...rest: never[]) => {
      seen.push(sql);
      return prepare(sql, ...rest);
    }) as typeof raw.prepare;
    new SqliteStore(raw);
    plans = (sql) => (raw.query(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail);
    return seen;
  }
  let plans: (sql: string) => string[] = () => [];
  const find = (all: string[], pattern: RegExp) => {
    const hits = all.filter((s) => pattern.test(s.replace(/\s+/g, " ")));
    expect(hits).toHaveLength(1);
    return hits[0]!;
  };

  test("no statement scans executions, task_outputs or events without an index", () => {
    const all = preparedSql();
    expect(all.length).toBeGreaterThan(20);
    for (const sql of all) {
      for (const detail of plans(sql)) {
        expect({ sql, detail }).not.toEqual({ sql, detail: expect.stringMatching(/^SCAN (executions|task_outputs|events)\b(?!.*USING)/) });
      }
    }
  });

  test("recover's, systemCounts' and the list queries search by index", () => {
    const all = preparedSql();
    const expectations: [RegExp, RegExp][] = [
      [
        /^SELECT id, seq FROM executions WHERE status = \$status ORDER BY seq$/,
        /^SEARCH executions USING (COVERING )?INDEX executions_by_status \(status=\?\)$/,
      ],
      [/ORDER BY seq LIMIT \$limit$/, /^SEARCH executions USING (COVERING )?INDEX executions_by_status \(status=\?\)$/],
      [/^SELECT n FROM execution_counts WHERE status = \$status$/, /^SEARCH execution_counts USING PRIMARY KEY \(status=\?\)$/],
      [/^UPDATE executions SET status = 'QUEUED' WHERE seq/, /^SEARCH executions USING INTEGER PRIMARY KEY \(rowid=\?\)$/],
      [
        /^SELECT seq, status, cancel_requested_at, tasks FROM executions WHERE id = \$id$/,
        /^SEARCH executions USING INDEX sqlite_autoindex_executions_1 \(id=\?\)$/,
      ],
      [/FROM executions WHERE seq < \$before ORDER BY seq DESC/, /^SEARCH executions USING INTEGER PRIMARY KEY \(rowid<\?\)$/],
      [
        /FROM executions WHERE status = \$status AND seq < \$before/,
        /^SEARCH executions USING INDEX executions_by_status \(status=\? AND seq<\?\)$/,
      ],
      [
        /FROM executions WHERE definition_id = \$definitionId AND seq/,
        /^SEARCH executions USING INDEX executions_by_definition_seq \(definition_id=\? AND seq<\?\)$/,
      ],
      [
        /WHERE definition_id = \$definitionId AND status = \$status AND seq/,
        /^SEARCH executions USING INDEX executions_by_definition_seq \(definition_id=\? AND seq<\?\)$/,
      ],
      [
        /^SELECT id, run_at FROM executions WHERE status = 'QUEUED' ORDER BY seq$/,
        /^SEARCH executions USING INDEX executions_by_status \(status=\?\)$/,
      ],
      [/^SELECT id FROM executions WHERE rerun_of = \$id/, /^SEARCH executions USING INDEX executions_by_rerun_of \(rerun_of=\?\)$/],
      [
        /FROM events WHERE execution_seq = \$executionSeq ORDER BY seq$/,
        /^SEARCH events USING INDEX events_by_execution \(execution_seq=\?\)$/,
      ],
    ];
    for (const [statement, plan] of expectations) {
      const sql = find(all, statement);
      expect({ sql, plan: plans(sql)[0] }).toEqual({ sql, plan: expect.stringMatching(plan) });
    }
  });
});

describe("group commit", () => {
  test("writes requested in one turn commit in one transaction, and resolve only after it", async () => {
    await registered();
    const before = store.writeStats.batches;
    const pending = [1, 2, 3].map((i) => store.enqueue(newExecution(`g${i}`), T0 + i));
    // Not applied yet: nothing is visible (or acknowledged) before the batch commits.
    expect(db.query("SELECT COUNT(*) AS n FROM executions").get()).toEqual({ n: 0 });
    await Promise.all(pending);
    expect(db.query("SELECT COUNT(*) AS n FROM executions").get()).toEqual({ n: 3 });
    expect(store.writeStats.batches - before).toBe(1);
    expect(db.inTransaction).toBe(false);
  });

  test("a write that fails its guard is rolled back alone; the rest of the batch commits", async () => {
    await registered();
    await enqueued(2);
    const ok = store.admit("e1", T0 + 10, [{ taskId: "a", attempt: 1 }]);
    // b is PENDING with attempt 0, so completing it fails after nothing was written.
    const bad = store.record(
      "e2",
      [
        { kind: "start", taskId: "a", attempt: 1 },
        { kind: "complete", taskId: "b", attempt: 1, output: 1 },
      ],
      T0 + 10,
    );
    const ok2 = store.admit("e2", T0 + 10);
    expect(await ok).not.toBeNull();
    await expect(bad).rejects.toBeInstanceOf(StaleStateError);
    expect(await ok2).not.toBeNull();
    // The failed record's first step (starting e2's task a) was rolled back with it.
    expect((await store.loadExecution("e2"))!.tasks[0]).toMatchObject({ taskId: "a", status: "PENDING", attempts: 0 });
    expect(await eventTypes("e2")).toEqual(["ExecutionQueued", "ExecutionStarted"]);
    expect(await eventTypes("e1")).toEqual(["ExecutionQueued", "ExecutionStarted", "TaskStarted:a"]);
  });

  test("admit starts the named tasks in the same transaction and returns the execution as admitted", async () => {
    await registered();
    await enqueued(1);
    const admitted = await store.admit("e1", T0 + 5, [{ taskId: "a", attempt: 1 }]);
    expect(admitted).toMatchObject({ id: "e1", status: "RUNNING", startedAt: T0 + 5 });
    expect(admitted!.tasks.map((t) => [t.taskId, t.status, t.attempts])).toEqual([
      ["a", "RUNNING", 1],
      ["b", "PENDING", 0],
      ["c", "PENDING", 0],
    ]);
  });

  test("admit returns exactly what reading the execution back would", async () => {
    await registered();
    await enqueued(2);
    const fresh = await store.admit("e1", T0 + 5, [{ taskId: "a", attempt: 1 }]);
    expect(fresh).toEqual(await store.loadExecution("e1"));
    // Started before (requeued at a restart): progress and outputs included.
    await store.admit("e2", T0 + 5, [{ taskId: "a", attempt: 1 }]);
    await store.record("e2", [{ kind: "complete", taskId: "a", attempt: 1, output: 7 }], T0 + 6);
    await store.recover(1, T0 + 7); // e1 keeps its slot, e2 goes back to QUEUED
    const again = await store.admit("e2", T0 + 8, [{ taskId: "b", attempt: 1 }]);
    expect(again).toEqual(await store.loadExecution("e2"));
    expect(again!.startedAt).toBe(T0 + 5);
    expect(again!.tasks.map((t) => [t.taskId, t.status, t.output])).toEqual([
      ["a", "COMPLETED", 7],
      ["b", "RUNNING", null],
      ["c", "PENDING", null],
    ]);
    expect(await store.admit("e2", T0 + 9, [])).toBeNull();
  });

  test("one record completes a task, starts the next and can settle the execution", async () => {
    await registered();
    await enqueued(1);
    await store.admit("e1", T0, [{ taskId: "a", attempt: 1 }]);
    await store.record(
      "e1",
      [
        { kind: "complete", taskId: "a", attempt: 1, output: 1 },
        { kind: "start", taskId: "b", attempt: 1 },
      ],
      T0 + 1,
    );
    await store.record(
      "e1",
      [
        { kind: "complete", taskId: "b", attempt: 1, output: 2 },
        { kind: "start", taskId: "c", attempt: 1 },
      ],
      T0 + 2,
    );
    await store.record(
      "e1",
      [
        { kind: "complete", taskId: "c", attempt: 1, output: 3 },
        { kind: "finish", status: "COMPLETED", output: { c: 3 }, error: null },
      ],
      T0 + 3,
    );
    expect(statusOf("e1")).toBe("COMPLETED");
    expect(await eventTypes("e1")).toEqual([
      "ExecutionQueued",
      "ExecutionStarted",
      "TaskStarted:a",
      "TaskCompleted:a",
      "TaskStarted:b",
      "TaskCompleted:b",
      "TaskStarted:c",
      "TaskCompleted:c",
      "ExecutionCompleted",
    ]);
  });

  test("execution counts stay exact through every transition, failed writes included", async () => {
    await registered();
    await enqueued(4);
    await store.admit("e1", T0, [{ taskId: "a", attempt: 1 }]);
    await store.admit("e2", T0, [{ taskId: "a", attempt: 1 }]);
    await store.admit("e3", T0);
    await store.record("e1", [{ kind: "finish", status: "COMPLETED", output: null, error: null }], T0);
    await store.record("e2", [{ kind: "finish", status: "FAILED", output: null, error: { taskId: "a", ...err } }], T0);
    await expect(store.record("e4", [{ kind: "finish", status: "COMPLETED", output: null, error: null }], T0)).rejects.toBeInstanceOf(
      StaleStateError,
    );
    await store.recover(0, T0); // e3 goes back to QUEUED
    const counted = db.query("SELECT status, COUNT(*) AS n FROM executions GROUP BY status ORDER BY status").all();
    const kept = db.query("SELECT status, n FROM execution_counts WHERE n > 0 ORDER BY status").all();
    expect(kept).toEqual(counted);
    expect(kept).toEqual([
      { status: "COMPLETED", n: 1 },
      { status: "FAILED", n: 1 },
      { status: "QUEUED", n: 2 },
    ]);
    const counts = await store.systemCounts(10);
    expect(counts).toMatchObject({ queuedCount: 2, completedCount: 1, running: [] });
  });

  test("close() commits writes still waiting for their turn", async () => {
    const dir = mkdtempSync(join(tmpdir(), "baton-gc-"));
    try {
      const path = join(dir, "b.db");
      const first = SqliteStore.open({ path });
      await first.registerDefinition("job", BODY, canonicalJson(BODY), T0);
      const pending = first.enqueue(newExecution("late"), T0);
      first.close();
      await pending;
      const reopened = SqliteStore.open({ path });
      expect((await reopened.loadExecution("late"))?.status).toBe("QUEUED");
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("resume refuses an execution that is not RUNNING", async () => {
    await registered();
    await enqueued(1);
    await expect(store.resume("e1", T0)).rejects.toBeInstanceOf(StaleStateError);
  });
});
