/**
 * Secrets against the compiled binary: `{{secrets.NAME}}` from a `BATON_SECRET_NAME` variable
 * and from a `--secrets-file` reaches a local server on 127.0.0.1, which echoes it back in a
 * body, a header and an error; the value must then show as `***` in `/jobs/{id}/state`,
 * `/events`, `/jobs`, the server's log, and nowhere in the database file (read raw, and
 * read-only through bun:sqlite). An unknown secret fails its task naming it; a secrets file
 * readable by others, missing or malformed stops the start with one line.
 */
import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Baton, execute, register, runBaton, startBaton, tempDir, waitForStatus } from "./harness.ts";

const API_TOKEN = "tok_live_5f2e9c1a77";
const DB_PASSWORD = 'p@ss "word" \\ 9931';

let baton: Baton;
let upstream: ReturnType<typeof Bun.serve>;
let base: string;
let db: string;
const received: string[] = [];

function secretsFile(text: string, mode = 0o600): string {
  const path = join(tempDir(), "secrets.env");
  writeFileSync(path, text);
  chmodSync(path, mode);
  return path;
}

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(req) {
      const url = new URL(req.url);
      const body = await req.text();
      const auth = req.headers.get("authorization");
      received.push(`${url.pathname}${url.search} ${auth} ${body}`);
      if (url.pathname === "/fail") return new Response(`refused token ${url.searchParams.get("token")}`, { status: 500 });
      return Response.json({ youSent: { auth, body: JSON.parse(body) } }, { headers: { "x-echo": auth ?? "" } });
    },
  });
  base = `http://127.0.0.1:${upstream.port}`;
  db = join(tempDir(), "baton.db");
  baton = await startBaton({
    jobs: null,
    db,
    args: ["--secrets-file", secretsFile(`# test secrets\nDB_PASSWORD=${DB_PASSWORD}\n`), "--log-level", "debug"],
    env: { BATON_SECRET_API_TOKEN: API_TOKEN },
  });
  await register(baton, {
    id: "leaky",
    tasks: [
      {
        id: "echo",
        functionName: "http",
        params: {
          method: "POST",
          url: `${base}/echo`,
          headers: { authorization: "Bearer {{secrets.API_TOKEN}}" },
          body: { password: "{{secrets.DB_PASSWORD}}" },
        },
      },
      {
        id: "refused",
        functionName: "http",
        dependsOn: ["echo"],
        params: { url: `${base}/fail?token={{secrets.API_TOKEN}}` },
        continueOnFailure: true,
      },
      { id: "unknown", functionName: "http", dependsOn: ["refused"], params: { url: `${base}/x?k={{secrets.NOT_CONFIGURED}}` } },
    ],
  });
});

afterAll(async () => {
  await baton.stop();
  await upstream.stop(true);
});

describe("secrets", () => {
  test("reach the server, and show as *** in the state, the events, the list, the log and the database", async () => {
    const id = await execute(baton, "leaky");
    const done = await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);

    // The server got the real values.
    expect(received).toContain(`/echo Bearer ${API_TOKEN} ${JSON.stringify({ password: DB_PASSWORD })}`);
    expect(received).toContain(`/fail?token=${API_TOKEN} null `);

    // What Baton shows has *** in their place.
    expect(done.tasks[0].output.body).toEqual({ youSent: { auth: "Bearer ***", body: { password: "***" } } });
    expect(done.tasks[0].output.headers["x-echo"]).toBe("Bearer ***");
    expect(done.tasks[1].error).toEqual({
      name: "Http.Status.500",
      message: `GET ${base}/fail?token=*** answered 500 Internal Server Error, expected any 2xx; body: refused token ***`,
    });
    expect(done.tasks[2]).toMatchObject({ status: "FAILED", attempts: 1, error: { name: "States.Runtime" } });
    expect(done.tasks[2].error.message).toBe(
      "{{secrets.NOT_CONFIGURED}}: no secret named NOT_CONFIGURED is configured in this Baton (set BATON_SECRET_NOT_CONFIGURED, or add a line NOT_CONFIGURED=… to the --secrets-file)",
    );

    const events = await (await baton.request("GET", `/jobs/${id}/events`)).text();
    const list = await (await baton.request("GET", "/jobs?limit=10")).text();
    const escaped = JSON.stringify(DB_PASSWORD).slice(1, -1);
    for (const seen of [JSON.stringify(done), events, list, baton.logs()]) {
      expect(seen).not.toContain(API_TOKEN);
      expect(seen).not.toContain(DB_PASSWORD);
      expect(seen).not.toContain(escaped);
    }
    expect(events).toContain("token=***");
    expect(baton.logs()).toContain("secrets configured; their values are shown as *** wherever Baton records them");
    expect(baton.logs()).toContain("names=API_TOKEN,DB_PASSWORD");

    // The database, raw (file and write-ahead log) and through SQLite read-only.
    for (const file of [db, `${db}-wal`]) {
      if (!existsSync(file)) continue;
      const bytes = readFileSync(file).toString("latin1");
      expect(bytes).not.toContain(API_TOKEN);
      expect(bytes).not.toContain(escaped);
    }
    const sqlite = new Database(db, { readonly: true });
    try {
      const tables = sqlite.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all();
      expect(tables.length).toBeGreaterThan(3);
      const dump = JSON.stringify(tables.map(({ name }) => sqlite.query(`SELECT * FROM "${name}"`).all()));
      expect(dump).toContain("token=***");
      expect(dump).not.toContain(API_TOKEN);
      expect(dump).not.toContain(escaped);
    } finally {
      sqlite.close();
    }
  });
});

describe("a secrets file the start refuses", () => {
  const start = (file: string, env: Record<string, string> = {}) =>
    runBaton(["serve", "--port", "0", "--db", join(tempDir(), "b.db"), "--secrets-file", file], { env });

  test("readable by others, missing, malformed, or a value too short: exit 1 with one line, never the value", async () => {
    const open = secretsFile("TOKEN=abcdefgh\n", 0o644);
    const missing = join(tempDir(), "nope.env");
    const malformed = secretsFile("TOKEN=abcdefgh\nhunter2-without-a-name\n");
    const results = await Promise.all([
      start(open),
      start(missing),
      start(malformed),
      start(secretsFile("TOKEN=abcdefgh\n"), { BATON_SECRET_PIN: "4321" }),
    ]);
    expect(results.map((r) => r.code)).toEqual([1, 1, 1, 1]);
    expect(results.map((r) => r.stderr)).toEqual([
      `baton: cannot start: secrets file ${open} is readable by group or others (mode 0644); make it private with: chmod 600 ${open}\n`,
      `baton: cannot start: secrets file ${missing} does not exist; create it or fix --secrets-file / BATON_SECRETS_FILE\n`,
      `baton: cannot start: secrets file ${malformed} line 2: expected NAME=value, found no "="\n`,
      "baton: cannot start: secret PIN is 4 characters long; at least 6 are needed, because its value is replaced by *** everywhere Baton records it\n",
    ]);
  });
});
