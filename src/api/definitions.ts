/** The handlers of `/job-definitions`: register a definition (a new version when its body changed) and read them. */
import * as v from "valibot";
import { type FieldIssue, NotFoundError, ValidationError } from "../domain/errors.ts";
import { isPlainObject } from "../domain/json.ts";
import { readJsonBody } from "./body.ts";
import { principalOf } from "./caller.ts";
import type { RouteHandler } from "./ports.ts";
import { integerParam, jsonObject, parseBody, parseQuery } from "./validate.ts";
import { definitionView } from "./views.ts";

const DefinitionBody = jsonObject('must be a JSON object: a job definition like {"id": "my-job", "tasks": [...]}');
export const VersionQuery = v.object({ version: v.optional(integerParam(1, 1_000_000_000)) });

/** `POST /job-definitions` */
export const registerDefinition: RouteHandler = async (c, { engine, allowShellApi, logger }) => {
  const raw = await readJsonBody(c);
  if (raw === undefined) {
    throw new ValidationError('the request body is empty; send a job definition as JSON, e.g. {"id": "my-job", "tasks": [...]}', [
      { path: "$", message: "is empty" },
    ]);
  }
  const body = parseBody(DefinitionBody, raw);
  // An admin token may register shell definitions without the flag: its role already holds everything.
  const caller = principalOf(c);
  if (!allowShellApi && caller?.role !== "admin") refuseShell(body);
  // The catalog validates (a ValidationError names every offending field) before anything is stored.
  const { id, version, created } = await engine.catalog.register(body, caller?.name ?? null);
  // A new version keeps who registered it (`registeredBy`); the log line names them either way.
  if (caller) logger.info(created ? "job definition registered" : "job definition unchanged", { id, version, actor: caller.name });
  if (!created) return c.json({ message: "job definition unchanged", id, version }, 200);
  c.header("Location", `/job-definitions/${encodeURIComponent(id)}`);
  return c.json({ message: "job definition registered", id, version }, 201);
};

/**
 * A definition that runs commands may come through the API only when the server allows it:
 * otherwise anyone who can reach the API could run anything as Baton's user.
 */
function refuseShell(body: Record<string, unknown>): void {
  const issues: FieldIssue[] = [];
  const uses = (x: unknown) => isPlainObject(x) && x.functionName === SHELL;
  if (Array.isArray(body.tasks)) {
    for (const [i, t] of body.tasks.entries()) if (uses(t)) issues.push({ path: `$.tasks[${i}].functionName`, message: SHELL_REFUSED });
  }
  if (isPlainObject(body.handlers)) {
    for (const [kind, h] of Object.entries(body.handlers))
      if (uses(h)) issues.push({ path: `$.handlers.${kind}.functionName`, message: SHELL_REFUSED });
  }
  if (issues.length > 0) throw new ValidationError(`${issues[0]!.path} ${SHELL_REFUSED}`, issues);
}

const SHELL = "shell";
const SHELL_REFUSED =
  'is "shell", which this server accepts only from its jobs folder: put the definition there, or start the server with --allow-shell-api (BATON_ALLOW_SHELL_API=1)';

/** `GET /job-definitions` */
export const listDefinitions: RouteHandler = async (c, { reads }) => c.json((await reads.listDefinitions()).map(definitionView));

/** `GET /job-definitions/:id` */
export const getDefinition: RouteHandler = async (c, { reads }) => {
  const id = c.req.param("id")!;
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
};
