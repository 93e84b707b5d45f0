/** `/job-definitions`: register a definition (a new version when its body changed) and read them. */
import { Hono } from "hono";
import * as v from "valibot";
import { NotFoundError, ValidationError } from "../domain/errors.ts";
import { readJsonBody } from "./body.ts";
import type { ApiPorts } from "./ports.ts";
import { allowOnly } from "./problem.ts";
import { integerParam, jsonObject, parseBody, parseQuery } from "./validate.ts";
import { definitionView } from "./views.ts";

const DefinitionBody = jsonObject('must be a JSON object: a job definition like {"id": "my-job", "tasks": [...]}');
const VersionQuery = v.object({ version: v.optional(integerParam(1, 1_000_000_000)) });

export function definitionsApi({ engine, reads }: Pick<ApiPorts, "engine" | "reads">): Hono {
  const app = new Hono();

  app.post("/", async (c) => {
    const raw = await readJsonBody(c);
    if (raw === undefined) {
      throw new ValidationError('the request body is empty; send a job definition as JSON, e.g. {"id": "my-job", "tasks": [...]}', [
        { path: "$", message: "is empty" },
      ]);
    }
    // The catalog validates (a ValidationError names every offending field) before anything is stored.
    const { id, version, created } = await engine.catalog.register(parseBody(DefinitionBody, raw));
    if (!created) return c.json({ message: "job definition unchanged", id, version }, 200);
    c.header("Location", `/job-definitions/${encodeURIComponent(id)}`);
    return c.json({ message: "job definition registered", id, version }, 201);
  });

  app.get("/", async (c) => c.json((await reads.listDefinitions()).map(definitionView)));

  app.get("/:id", async (c) => {
    const id = c.req.param("id");
    const { version } = parseQuery(VersionQuery, c.req.query());
    const versions = await reads.definitionVersions(id);
    if (versions.length === 0) {
      throw new NotFoundError(
        `no job definition with id "${id}"; list them with GET /job-definitions, or register it with POST /job-definitions`,
      );
    }
    const stored = await reads.getDefinition(id, version);
    if (!stored) {
      throw new NotFoundError(`job definition "${id}" has no version ${version}; its versions are ${versions.join(", ")}`);
    }
    return c.json({ ...definitionView(stored), versions });
  });

  app.all("/", allowOnly("GET", "HEAD", "POST"));
  app.all("/:id", allowOnly("GET", "HEAD"));
  return app;
}
