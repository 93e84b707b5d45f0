/**
 * Tokens and roles against the compiled binary: tokens made by `baton token create`, then every
 * route of the table with no token, a wrong token and each role's token; the open probes; the
 * actor on events; 429 after repeated failures; the refusals at start (a non-loopback address
 * without tokens: exit 2 before anything opens; a token file others can read: exit 1).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { OPEN_PATHS } from "../../src/api/auth.ts";
import { ROUTES } from "../../src/api/routes.ts";
import { type Baton, freePort, runBaton, startBaton, tempDir } from "./harness.ts";

const ROLES = ["read", "operate", "admin", "worker"] as const;
type Role = (typeof ROLES)[number];

/** Who may call a route, as the issue words it: read every GET, workers only /workers/*, admin all. */
function mayCall(method: string, path: string): Role[] {
  if (method === "GET") return ["read", "operate", "admin"];
  if (path.startsWith("/workers/")) return ["admin", "worker"];
  if (path === "/job-definitions" || path === "/system/backup") return ["admin"];
  return ["operate", "admin"];
}

const OPEN = OPEN_PATHS;

/** Makes one token per role with the real CLI and writes the token file (mode 0600). */
async function makeTokens(): Promise<{ file: string; tokens: Record<Role, string> }> {
  const tokens = {} as Record<Role, string>;
  const lines: string[] = ["# made by auth.test.ts"];
  for (const role of ROLES) {
    const { code, stdout } = await runBaton(["token", "create", "--name", `${role}-bot`, "--role", role]);
    expect(code).toBe(0);
    tokens[role] = stdout.split("\n")[0]!;
    lines.push(stdout.trimEnd().split("\n").at(-1)!);
  }
  const file = join(tempDir(), "tokens");
  writeFileSync(file, `${lines.join("\n")}\n`);
  chmodSync(file, 0o600);
  return { file, tokens };
}

let file: string;
let tokens: Record<Role, string>;
let baton: Baton;

beforeAll(async () => {
  ({ file, tokens } = await makeTokens());
  baton = await startBaton({ args: ["--tokens", file, "--auth-failures-per-minute", "1000", "--metrics-auth"] });
});
afterAll(async () => {
  await baton?.stop();
});

const as = (role: Role | "wrong" | "none"): Record<string, string> =>
  role === "none" ? {} : { Authorization: `Bearer ${role === "wrong" ? "x".repeat(43) : tokens[role]}` };

describe("every route of the table", () => {
  test("no token and a wrong token: 401 with WWW-Authenticate; each role: let through or 403 naming the permission", async () => {
    const seen: string[] = [];
    for (const r of ROUTES.filter((r) => !OPEN.includes(r.path))) {
      const path = r.path.replace(/:\w+/g, "x");
      for (const who of ["none", "wrong", ...ROLES] as const) {
        const res = await baton.request(r.method, path, undefined, as(who));
        // /metrics answers text, every other route JSON.
        const body = (res.headers.get("content-type")?.includes("json") ? await res.json() : {}) as { type?: string; detail?: string };
        const allowed = who !== "none" && who !== "wrong" && mayCall(r.method, r.path).includes(who);
        const expected = who === "none" || who === "wrong" ? 401 : allowed ? "not 401/403" : 403;
        const got = res.status === 401 || res.status === 403 ? res.status : "not 401/403";
        seen.push(`${r.method} ${r.path} ${who}: ${got}`);
        expect(`${r.method} ${r.path} ${who}: ${got}`).toBe(`${r.method} ${r.path} ${who}: ${expected}`);
        if (got === 401) expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="baton"');
        if (got === 403) expect(body.detail).toContain(`the token "${who}-bot" has the role ${who}, which lacks the permission`);
      }
    }
    expect(seen.length).toBe((ROUTES.length - OPEN.length) * 6);
  });

  test("/healthz and /livez answer without a token", async () => {
    for (const path of OPEN) expect((await baton.request("GET", path)).status).toBe(200);
  });

  test("the server's log names failures by address and path, never a token", () => {
    expect(baton.logs()).toContain('authentication failed address=127.0.0.1 method=GET path=/jobs reason="unknown token"');
    expect(baton.logs()).toContain("permission denied token=worker-bot role=worker address=127.0.0.1 method=GET path=/jobs");
    for (const token of [...Object.values(tokens), "x".repeat(43)]) expect(baton.logs()).not.toContain(token);
  });

  test("the start line says authentication is on", () => {
    expect(baton.logs()).toContain(`auth="on, 4 tokens from ${file}"`);
  });
});

describe("who did it", () => {
  test("events name the token that executed and cancelled; a shell definition registers with an admin token", async () => {
    const def = { id: "slow", name: "slow", tasks: [{ id: "wait", functionName: "sleep", params: { ms: 30_000 } }] };
    expect((await baton.request("POST", "/job-definitions", def, as("admin"))).status).toBe(201);
    const shell = { id: "sh", name: "sh", tasks: [{ id: "t", functionName: "shell", params: { command: ["true"] } }] };
    expect((await baton.request("POST", "/job-definitions", shell, as("admin"))).status).toBe(201);
    const started = await baton.request("POST", "/jobs/slow/execute", {}, as("operate"));
    const { executionID } = (await started.json()) as { executionID: string };
    expect((await baton.request("POST", `/jobs/${executionID}/cancel`, undefined, as("admin"))).status).toBe(202);
    const events = (await (await baton.request("GET", `/jobs/${executionID}/events`, undefined, as("read"))).json()) as {
      events: { type: string; actor?: string }[];
    };
    expect(events.events.filter((e) => e.actor).map((e) => `${e.type} by ${e.actor}`)).toEqual([
      "ExecutionQueued by operate-bot",
      "ExecutionCancelRequested by admin-bot",
    ]);
    expect(baton.logs()).toContain("job definition registered id=sh version=1 actor=admin-bot");
  });
});

describe("abuse", () => {
  test("after the limit of failures an address gets 429 with Retry-After, even with a right token, and one log line says so", async () => {
    const strict = await startBaton({ args: ["--tokens", file, "--auth-failures-per-minute", "3"] });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) statuses.push((await strict.request("GET", "/jobs", undefined, as("wrong"))).status);
      const refused = await strict.request("GET", "/jobs", undefined, as("read"));
      statuses.push(refused.status);
      expect(statuses).toEqual([401, 401, 401, 429]);
      expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
      expect(((await refused.json()) as { detail: string }).detail).toContain("too many failed authentications from 127.0.0.1");
      expect((await strict.request("GET", "/healthz")).status).toBe(200);
      expect(strict.logs()).toContain("too many failed authentications: refusing the address for the rest of its window address=127.0.0.1");
    } finally {
      await strict.stop();
    }
  });
});

describe("refused starts", () => {
  test("a non-loopback address without tokens: exit 2 and one line, before anything is opened", async () => {
    const dir = tempDir();
    const db = join(dir, "baton.db");
    const { code, stdout, stderr } = await runBaton(["serve", "--host", "0.0.0.0", "--port", String(freePort()), "--db", db]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      "baton: the address 0.0.0.0 (flag --host) is reachable from other machines and no tokens are configured, so anyone reaching it could run anything; name a token file with --tokens (create tokens with 'baton token create'), or add --insecure-no-auth if a proxy in front of Baton authenticates (see 'baton --help')\n",
    );
    expect(existsSync(db)).toBe(false);
  });

  test("a token file group or others can read: exit 1 and one line", async () => {
    const open = join(tempDir(), "tokens");
    writeFileSync(open, `ci read sha256:${"a".repeat(64)}\n`);
    chmodSync(open, 0o644);
    const db = join(tempDir(), "baton.db");
    const { code, stderr } = await runBaton(["serve", "--port", String(freePort()), "--db", db, "--tokens", open]);
    expect(code).toBe(1);
    expect(stderr).toBe(
      `baton: cannot start: token file ${open} is open to group or others (mode 0644); make it readable by its owner only with: chmod 600 ${open}\n`,
    );
    expect(existsSync(db)).toBe(false);
  });

  test("on loopback without tokens Baton serves as before and its start line says authentication is off", async () => {
    const plain = await startBaton();
    try {
      expect((await plain.request("GET", "/jobs")).status).toBe(200);
      expect(plain.logs()).toContain('auth="off (no --tokens; only this machine can connect)"');
    } finally {
      await plain.stop();
    }
  });
});
