/**
 * The dashboard on the compiled binary alone in an empty folder: `/` redirects to it, every
 * page answers HTML, every link, script, stylesheet and form it references is on the same
 * origin and answers 200, and nothing points elsewhere. With tokens, its pages need a token
 * like the API or send the browser to the login page.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Baton, BINARY, execute, register, runBaton, startBaton, tempDir, waitForStatus } from "./harness.ts";

let baton: Baton;
const ids: string[] = [];

beforeAll(async () => {
  const dir = tempDir();
  copyFileSync(BINARY, join(dir, "baton"));
  baton = await startBaton({ binary: join(dir, "baton"), cwd: dir, db: "./baton.db", jobs: null });
  await register(baton, {
    id: "ui-e2e",
    tasks: [
      { id: "one", functionName: "noop" },
      { id: "two", functionName: "fail", params: { times: 1 }, retry: { maxAttempts: 2, intervalSeconds: 0.05 } },
      { id: "three", functionName: "echo", dependsOn: ["one"] },
    ],
  });
  await register(baton, { id: "ui-broken", tasks: [{ id: "only", functionName: "fail" }] });
  await register(baton, { id: "ui-broken", tasks: [{ id: "only", functionName: "fail", params: { errorName: "Boom" } }] });
  ids.push(await execute(baton, "ui-e2e", { who: "<script>x</script>" }), await execute(baton, "ui-broken", {}));
  for (const id of ids) await waitForStatus(baton, id, ["COMPLETED", "FAILED"]);
});
afterAll(async () => {
  await baton?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${baton.url}${path}`, { redirect: "manual", headers });

/** Every URL a page references: links, stylesheets, scripts, images and the actions of GET forms (POST forms are the actions, `ui-access.test.ts`). */
const referenced = (html: string) =>
  [...html.matchAll(/\b(?<!method="post" )(?:href|src|action)="([^"]*)"/g)].map((m) => m[1]!.replaceAll("&amp;", "&"));

describe("the dashboard in the binary", () => {
  test("/ redirects to /ui/", async () => {
    const res = await get("/");
    expect([res.status, res.headers.get("location")]).toEqual([302, "/ui/"]);
  });

  test("each page answers HTML; everything it references is same-origin and answers 200; nothing points elsewhere", async () => {
    const pages = [
      "/ui/",
      "/ui/executions",
      "/ui/executions?status=FAILED",
      `/ui/executions/${ids[0]}`,
      `/ui/executions/${ids[1]}`,
      "/ui/definitions",
      "/ui/definitions/ui-e2e",
      "/ui/definitions/ui-broken",
      "/ui/definitions/ui-broken/diff",
      "/ui/workers",
      "/ui/operations",
    ];
    const checked = new Set<string>();
    for (const page of pages) {
      const res = await get(page);
      expect([page, res.status, res.headers.get("content-type")]).toEqual([page, 200, "text/html; charset=UTF-8"]);
      const html = await res.text();
      expect(html.match(/https?:\/\/[^\s"'<)]*/g)?.filter((u) => !u.startsWith(baton.url)) ?? []).toEqual([]);
      for (const ref of referenced(html)) {
        if (ref.startsWith("#")) {
          expect(html).toContain(`id="${ref.slice(1)}"`); // the skip link's target is on the page
          continue;
        }
        expect(ref).toMatch(/^\/(?!\/)/); // a path on this origin: not another host, not protocol-relative
        if (checked.has(ref)) continue;
        checked.add(ref);
        const answer = await get(ref);
        expect([ref, answer.status]).toEqual([ref, 200]);
        await answer.arrayBuffer();
      }
    }
    for (const asset of ["/ui/assets/style.css", "/ui/assets/app.js", "/ui/assets/favicon.svg"]) expect(checked).toContain(asset);
    expect(checked).toContain(`/ui/executions/${ids[0]}`);
    expect(checked).toContain("/ui/definitions/ui-e2e?version=1");
    expect(checked).toContain("/ui/definitions/ui-broken/diff?from=1&to=2");
  });

  test("the detail page shows the graph, the retried attempt and the input as text", async () => {
    const html = await (await get(`/ui/executions/${ids[0]}`)).text();
    expect(html).toContain("<title>two: COMPLETED</title>");
    expect(html).toContain("two #1 RETRYING");
    expect(html).toContain("&lt;script&gt;x&lt;/script&gt;");
    expect((await get("/ui/executions/ghost")).status).toBe(404);
  });
});

describe("with tokens", () => {
  let guarded: Baton;
  let token: string;

  beforeAll(async () => {
    const made = await runBaton(["token", "create", "--name", "viewer", "--role", "read"]);
    token = made.stdout.split("\n")[0]!;
    const file = join(tempDir(), "tokens");
    writeFileSync(file, `${made.stdout.trimEnd().split("\n").at(-1)!}\n`);
    chmodSync(file, 0o600);
    guarded = await startBaton({ jobs: null, args: ["--tokens", file] });
  });
  afterAll(async () => {
    await guarded?.stop();
  });

  test("the pages need a token that can read, as the API does, or send a browser to the login page; the assets are open", async () => {
    for (const path of ["/ui/", "/ui/executions"]) {
      const res = await fetch(`${guarded.url}${path}`, { redirect: "manual" });
      expect([path, res.status, res.headers.get("location")]).toEqual([path, 302, `/ui/login?next=${encodeURIComponent(path)}`]);
      const bearer = await fetch(`${guarded.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect([path, bearer.status]).toEqual([path, 200]);
    }
    expect((await fetch(`${guarded.url}/ui/assets/style.css`)).status).toBe(200);
    expect((await fetch(`${guarded.url}/ui/login`)).status).toBe(200);
  });
});
