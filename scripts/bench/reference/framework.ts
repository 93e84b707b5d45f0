/**
 * The framework ceiling of the benchmark: Hono routing `POST /jobs/:definitionId/execute`,
 * valibot validating the body as Baton does (`body.ts`), and a 202 with a small JSON answer,
 * but no storage and no work. Prints its URL on stdout once listening.
 *
 *   bun scripts/bench/reference/framework.ts
 */
import { Hono } from "hono";
import { announce, parseInput, problem } from "./body.ts";

const app = new Hono();
app.post("/jobs/:definitionId/execute", async (c) => {
  if (c.req.param("definitionId") !== "one") return problem(`no job definition "${c.req.param("definitionId")}"`, 404);
  const parsed = parseInput(await c.req.text());
  if (!parsed.ok) return problem(parsed.detail, 400);
  return c.json({ executionID: crypto.randomUUID(), status: "QUEUED" }, 202);
});

const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: app.fetch });
announce(server.port!);
