/** The two slots of `createApp`: middleware before every route (authentication) and mounted sub-apps (the dashboard). */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { Hono, type MiddlewareHandler } from "hono";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";
import { type ApiOptions, createApp } from "./app.ts";
import { MAX_BODY_BYTES } from "./body.ts";

let t: Setup;
beforeEach(async () => (t = await setup()));
afterEach(() => t.close());

const appWith = (options: Partial<ApiOptions>) => createApp({ engine: t.engine, reads: t.store, version: "x", startedAt: 0, ...options });

describe("before: the authentication slot", () => {
  const seen: string[] = [];
  // What an authentication middleware looks like: health checks stay open.
  const bearer: MiddlewareHandler = async (c, next) => {
    seen.push(c.req.path);
    if (c.req.path === "/healthz" || c.req.path === "/livez") return next();
    if (c.req.header("Authorization") !== "Bearer s3cret") return c.json({ error: "unauthorized" }, 401);
    return next();
  };
  beforeEach(() => {
    seen.length = 0;
  });

  test("runs before the routes: without credentials a write answers 401 and changes nothing", async () => {
    const app = appWith({ before: [bearer] });
    const res = await app.request("/job-definitions", { method: "POST", body: JSON.stringify(definition("d")) });
    expect(res.status).toBe(401);
    expect(await t.store.listDefinitions()).toEqual([]);
    expect((await app.request("/jobs")).status).toBe(401);
    expect((await app.request("/nope")).status).toBe(401);
    expect(seen).toEqual(["/job-definitions", "/jobs", "/nope"]);
  });

  test("with credentials the route answers as without the slot", async () => {
    const app = appWith({ before: [bearer] });
    const headers = { Authorization: "Bearer s3cret" };
    const res = await app.request("/job-definitions", { method: "POST", body: JSON.stringify(definition("d")), headers });
    expect(res.status).toBe(201);
    expect((await app.request("/job-definitions/d", { headers })).status).toBe(200);
    expect((await app.request("/jobs", { method: "DELETE", headers })).status).toBe(405);
  });

  test("may let /healthz and /livez through", async () => {
    const app = appWith({ before: [bearer] });
    expect((await app.request("/healthz")).status).toBe(200);
    expect((await app.request("/livez")).status).toBe(200);
  });

  test("runs after the body limit: a body over 1 MiB is refused before the middleware sees it", async () => {
    const app = appWith({ before: [bearer] });
    const big = "x".repeat(MAX_BODY_BYTES + 1);
    const res = await app.request("/job-definitions", { method: "POST", body: big, headers: { "Content-Length": String(big.length) } });
    expect(res.status).toBe(413);
    expect(seen).toEqual([]);
  });

  test("several run in order; what one throws is answered as problem+json", async () => {
    const order: string[] = [];
    const app = appWith({
      before: [
        async (_c, next) => {
          order.push("first");
          await next();
        },
        async () => {
          order.push("second");
          throw new Error("boom");
        },
      ],
    });
    const res = await app.request("/jobs");
    expect(order).toEqual(["first", "second"]);
    expect(res.status).toBe(500);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
  });
});

describe("mounts: the dashboard slot", () => {
  const dashboard = () => {
    const ui = new Hono();
    ui.get("/", (c) => c.html("<h1>Baton</h1>"));
    ui.get("/assets/:name", (c) => c.text(`asset ${c.req.param("name")}`));
    ui.get("/broken", () => {
      throw new Error("dashboard bug");
    });
    return ui;
  };

  test("a mounted sub-app answers under its prefix; the API answers as before", async () => {
    const app = appWith({ mounts: [{ path: "/ui", app: dashboard() }] });
    const page = await app.request("/ui");
    expect(page.status).toBe(200);
    expect(await page.text()).toBe("<h1>Baton</h1>");
    expect(await (await app.request("/ui/assets/app.js")).text()).toBe("asset app.js");
    expect((await app.request("/jobs")).status).toBe(200);
    expect((await app.request("/jobs", { method: "DELETE" })).status).toBe(405);
  });

  test("its unknown paths and methods get the API's 404, whose hint names the mount; its errors the API's 500", async () => {
    const app = appWith({ mounts: [{ path: "/ui", app: dashboard() }] });
    for (const [method, path] of [
      ["GET", "/ui/nope"],
      ["POST", "/ui"],
    ] as const) {
      const res = await app.request(path, { method });
      expect(res.status).toBe(404);
      expect(((await res.json()) as { detail: string }).detail).toEndWith(
        "/workers, /openapi.json, /schemas/job-definition.json, /reference, /workers/leases/report, /system/backup, /metrics and /ui",
      );
    }
    const broken = await app.request("/ui/broken");
    expect(broken.status).toBe(500);
    expect(broken.headers.get("content-type")).toBe("application/problem+json");
  });

  test("the before slot covers mounts too", async () => {
    const app = appWith({ before: [async (c) => c.text("no", 401)], mounts: [{ path: "/ui", app: dashboard() }] });
    expect((await app.request("/ui")).status).toBe(401);
  });

  test("home: GET / redirects to a page of a mount; without one, / is an unknown path", async () => {
    const app = appWith({ mounts: [{ path: "/ui", app: dashboard() }], home: "/ui/" });
    const res = await app.request("/");
    expect([res.status, res.headers.get("location")]).toEqual([302, "/ui/"]);
    expect((await appWith({ mounts: [{ path: "/ui", app: dashboard() }] }).request("/")).status).toBe(404);
    expect(() => appWith({ mounts: [{ path: "/ui", app: dashboard() }], home: "/jobs" })).toThrow(
      /home "\/jobs" must be a path under a mount \(\/ui\)/,
    );
    expect(() => appWith({ home: "/ui/" })).toThrow(/none given/);
  });

  test("a mount may not take a prefix of the API's routes, nor a malformed path", () => {
    for (const path of ["/jobs", "/jobs/ui", "/healthz", "/", "/ui/", "ui", ""]) {
      expect(() => appWith({ mounts: [{ path, app: dashboard() }] })).toThrow(/mount path/);
    }
  });
});
