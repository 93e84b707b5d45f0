/**
 * The OpenAPI 3.1 document of the API, built from the route table (`routes.ts`), what
 * `operations.ts` says of each route (the valibot schemas the handlers validate with, and the
 * answers of `responses.ts`), converted by `json-schema.ts`: nothing in it is written twice, so
 * it cannot drift from the code. Served at `GET /openapi.json` and rendered at `GET /reference`.
 */
import { DefinitionSchema } from "../domain/definition-schema.ts";
import { definitionJsonSchema } from "./definition-json-schema.ts";
import { bodySchema, type JsonSchema, querySchema } from "./json-schema.ts";
import { OPERATIONS, type Operation, PATH_PARAMETERS } from "./operations.ts";
import * as R from "./responses.ts";
import type { Route } from "./routes.ts";

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, JsonSchema>> };

const PROBLEMS: Record<number, [name: string, description: string]> = {
  400: ["BadRequest", "invalid request: `errors` names each offending parameter or field"],
  401: ["Unauthorized", "no valid bearer token"],
  403: ["Forbidden", "the token's role may not do this"],
  404: ["NotFound", "no such resource; `detail` says where to look"],
  409: ["Conflict", "the resource is not in a state that allows this; `detail` says which"],
  413: ["TooLarge", "the body is over 1 MiB"],
  429: ["TooManyRequests", "too many requests for this token; retry after Retry-After"],
  500: ["Internal", "an unexpected error; the server log has the cause"],
  503: ["Unavailable", "shutting down, or the database refuses writes (storage-unavailable, with Retry-After)"],
};

const TAGS = [
  { name: "definitions", description: "Job definitions: register and read them, every version kept." },
  { name: "executions", description: "Executions of a definition: start, follow, cancel, redrive and rerun them." },
  { name: "schedules", description: "The cron schedules definitions declare: their state, history, pause, resume and trigger." },
  { name: "workers", description: "Remote workers: poll for attempts of remote tasks, and hold them under leases." },
  { name: "system", description: "Health, liveness and what the server is doing." },
  { name: "reference", description: "This document, the JSON Schema of a definition, and the reference page." },
];

const ref = (kind: "schemas" | "responses", name: string) => ({ $ref: `#/components/${kind}/${name}` });

/** `GET /jobs/:executionId/state` → `getJobsByExecutionIdState` */
const operationId = (method: string, path: string) =>
  method.toLowerCase() +
  path
    .split(/[/.-]/)
    .filter(Boolean)
    .map((s) => (s.startsWith(":") ? `By${s[1]!.toUpperCase()}${s.slice(2)}` : s[0]!.toUpperCase() + s.slice(1)))
    .join("");

/** The document; throws when a route of the table has no entry in `operations.ts`. */
export function buildOpenApi(
  routes: readonly Route[],
  version: string,
  operations: Record<string, Operation> = OPERATIONS,
): OpenApiDocument {
  const names = new Map<unknown, string>(Object.entries(R).map(([name, schema]) => [schema, name]));
  const schemaOf = (schema: Parameters<typeof bodySchema>[0]): JsonSchema => {
    if (schema === DefinitionSchema) return ref("schemas", "JobDefinition");
    const name = names.get(schema);
    return name ? ref("schemas", name) : bodySchema(schema);
  };
  const paths: OpenApiDocument["paths"] = {};
  for (const route of routes) {
    const key = `${route.method} ${route.path}`;
    const op = operations[key];
    if (!op) throw new Error(`route ${key} has no entry in OPERATIONS (src/api/operations.ts): the OpenAPI document cannot describe it`);
    const path = route.path.replace(/:(\w+)/g, "{$1}");
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route, op, schemaOf);
  }
  const { $schema: _dialect, $id: _id, ...definition } = definitionJsonSchema();
  return {
    openapi: "3.1.0",
    info: {
      title: "Baton",
      version,
      description:
        "A durable job orchestrator. Every error is RFC 9457 problem+json. Any path answers 405 (with Allow) to a method it does not serve, " +
        "and an unknown path 404. Times are ISO-8601 strings in UTC, or null.",
    },
    tags: TAGS,
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API token: Authorization: Bearer <token>" } },
      schemas: {
        JobDefinition: definition,
        ...Object.fromEntries(Object.entries(R).map(([name, schema]) => [name, bodySchema(schema)])),
      },
      responses: Object.fromEntries(
        Object.values(PROBLEMS).map(([name, description]) => [
          name,
          { description, content: { "application/problem+json": { schema: ref("schemas", "Problem") } } },
        ]),
      ),
    },
  };
}

/**
 * What a query parameter must be, in the words of its 400 (`must be a whole number from 1 to 500`):
 * the first message of its schema, which also says what the string turns into after its transform.
 */
function ruleOf(query: unknown, name: string): string | undefined {
  type Node = { type?: string; kind?: string; message?: unknown; wrapped?: Node; pipe?: Node[]; entries?: Record<string, Node> };
  const object = query as Node;
  let field = (object.entries ?? object.pipe?.[0]?.entries)?.[name];
  if (field?.type === "optional") field = field.wrapped;
  for (const item of field?.pipe ?? (field ? [field] : [])) {
    if (item.type !== "check" && typeof item.message === "string") return item.message;
  }
  return undefined;
}

function operation(route: Route, op: Operation, schemaOf: (s: Parameters<typeof bodySchema>[0]) => JsonSchema): JsonSchema {
  const parameters: JsonSchema[] = [...route.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    description: PATH_PARAMETERS[name!] ?? name,
    schema: { type: "string" },
  }));
  if (op.query) {
    const query = querySchema(op.query);
    const required = new Set((query.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((query.properties ?? {}) as Record<string, JsonSchema>)) {
      const rule = op.notes?.[name] ?? ruleOf(op.query, name);
      parameters.push({ name, in: "query", required: required.has(name), ...(rule ? { description: rule } : {}), schema });
    }
  }
  if (op.idempotencyKey) {
    parameters.push({
      name: "Idempotency-Key",
      in: "header",
      required: false,
      description:
        "1 to 255 visible ASCII characters; the same key answers with the same execution for --idempotency-retention-hours (24 by default), and the key with a different request is a 409",
      schema: { type: "string", pattern: "^[\\x21-\\x7e]{1,255}$" },
    });
  }
  const responses: JsonSchema = {};
  for (const [status, answer] of Object.entries(op.answers)) {
    const type = answer.contentType ?? "application/json";
    responses[status] = { description: answer.description, content: { [type]: answer.schema ? { schema: schemaOf(answer.schema) } : {} } };
  }
  const errors = new Set([...op.errors, 500]);
  if (route.method === "POST") errors.add(413);
  if (op.writes) errors.add(503);
  if (!op.open) for (const s of [401, 403, 429]) errors.add(s);
  for (const status of [...errors].sort()) responses[status] = ref("responses", PROBLEMS[status]![0]);
  return {
    operationId: operationId(route.method, route.path),
    tags: [op.tag],
    summary: route.summary,
    ...(op.description ? { description: op.description } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(op.body
      ? {
          requestBody: {
            required: op.body.required,
            content: {
              "application/json": { schema: schemaOf(op.body.schema), ...(op.body.example ? { example: op.body.example } : {}) },
            },
          },
        }
      : {}),
    responses,
    security: op.open ? [] : [{ bearer: [] }],
  };
}
