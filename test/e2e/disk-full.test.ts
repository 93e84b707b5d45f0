/**
 * A full disk, then room again, against the compiled binary: the database on a 3 MiB tmpfs,
 * clients submitting until writes are refused, then the tmpfs grown to 64 MiB. Without a
 * restart, every acknowledged execution completes, in submission order, and the limit holds
 * in the stored start and end times. Mounting needs root: elsewhere the test is skipped and
 * says so.
 */
import { afterAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { type Baton, register, startBaton, tempDir, waitFor } from "./harness.ts";
import { maxOverlap } from "./stored-state.ts";

const LIMIT = 4;

function mount(dir: string, size: string, remount = false): boolean {
  const args = remount ? ["-o", `remount,size=${size}`, dir] : ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir];
  return spawnSync("mount", args, { stdio: "ignore" }).status === 0;
}

const mountPoint = tempDir();
const canMount = process.getuid?.() === 0 && mount(mountPoint, "3m");
let baton: Baton | undefined;

afterAll(async () => {
  await baton?.kill9();
  if (canMount) spawnSync("umount", [mountPoint], { stdio: "ignore" });
});

const reason = canMount ? "" : " (skipped: mounting a tmpfs needs root)";
test.skipIf(!canMount)(
  `a full disk: writes answer 503, and once there is room everything resumes without a restart${reason}`,
  async () => {
    baton = await startBaton({ db: join(mountPoint, "baton.db"), jobs: null, args: ["--max-concurrent-jobs", String(LIMIT)] });
    const b = baton;
    await register(b, {
      id: "fill",
      name: "fills the disk",
      tasks: [
        { id: "wait", name: "wait", functionName: "sleep", params: { ms: 50 } },
        { id: "echo", name: "echo", functionName: "echo" },
      ],
    });

    // Four clients submit 2 KiB inputs until the disk is full and writes are refused.
    const accepted: string[] = [];
    const refusals: { status: number; retryAfter: string | null; body: any }[] = [];
    const pad = "x".repeat(2048);
    const deadline = Date.now() + 20_000;
    await Promise.all(
      Array.from({ length: 4 }, async (_, c) => {
        for (let i = 0; refusals.length < 20 && Date.now() < deadline; i++) {
          const res = await b.request("POST", "/jobs/fill/execute", { c, i, pad });
          if (res.status === 202) accepted.push(((await res.json()) as { executionID: string }).executionID);
          else refusals.push({ status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.json() });
        }
      }),
    );
    expect(refusals.length).toBeGreaterThanOrEqual(20);
    for (const r of refusals) {
      expect(r.status).toBe(503);
      expect(r.retryAfter).not.toBeNull();
      expect(r.body).toMatchObject({ type: "urn:baton:problem:storage-unavailable", status: 503 });
      expect(r.body.detail).toContain("Nothing was applied");
    }
    expect(accepted.length).toBeGreaterThan(0);

    // Reads still work; readiness says why it is not ready; liveness stays up.
    const health = await b.json("GET", "/healthz");
    expect(health.status).toBe(503);
    expect(health.body.detail).toContain("disk is full");
    expect((await b.request("GET", "/livez")).status).toBe(200);
    expect((await b.json("GET", "/system/state")).status).toBe(200);

    expect(mount(mountPoint, "64m", true)).toBe(true);
    await waitFor("/healthz to answer 200 again", async () => (await b.request("GET", "/healthz")).status === 200, 10_000);
    const after = await b.json("POST", "/jobs/fill/execute", { after: true });
    expect(after.status).toBe(202);
    accepted.push(after.body.executionID);

    const states = await waitFor(
      "every acknowledged execution to complete",
      async () => {
        const all = await Promise.all(accepted.map(async (id) => (await b.json("GET", `/jobs/${id}/state`)).body));
        return all.every((s) => s.status === "COMPLETED") ? all : undefined;
      },
      30_000,
    );
    const intervals = states.map((st) => ({ id: st.id, start: Date.parse(st.startedAt), end: Date.parse(st.endTime) }));
    expect(maxOverlap(intervals).max).toBeLessThanOrEqual(LIMIT);
    // First in, first out: accepted earlier, admitted no later. Executions accepted within the
    // same millisecond cannot be ordered by their times, so only strictly earlier ones count.
    const late = states.flatMap((x) =>
      states
        .filter((y) => Date.parse(x.createdAt) < Date.parse(y.createdAt) && Date.parse(x.startedAt) > Date.parse(y.startedAt))
        .map((y) => `${x.id} accepted before ${y.id} but admitted after it`),
    );
    expect(late).toEqual([]);
    for (const s of states) expect(s.tasks.map((t: { attempts: number }) => t.attempts)).toEqual([1, 1]);
    // A warning when writes start being refused (not one per request) and a line when it ends; no ERROR lines.
    const logs = b.logs();
    expect(logs).not.toContain(" ERROR ");
    const warnings = logs.match(/the database refuses writes/g)?.length ?? 0;
    expect(warnings).toBeGreaterThanOrEqual(1);
    expect(warnings).toBeLessThan(refusals.length);
    expect(logs).toContain("the database accepts writes again");
  },
  90_000,
);
