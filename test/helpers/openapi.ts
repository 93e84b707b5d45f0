/**
 * Checks answers against the OpenAPI document: the operation must list the status, and the
 * body must match the schema of that status (problem+json for errors), with ajv (JSON Schema
 * 2020-12, the dialect of OpenAPI 3.1). Used by the API suite and the end-to-end suite.
 */
import Ajv2020 from "ajv/dist/2020";

type Doc = Record<string, any>;

export interface Checker {
  /** Problems with this answer to `METHOD path` (`path` as the document writes it, e.g. `/jobs/{executionId}/state`); [] when it conforms. */
  check(method: string, path: string, status: number, contentType: string | null, body: unknown): string[];
  /** `METHOD path status` of every answer checked so far. */
  seen: Set<string>;
}

export function checker(doc: Doc): Checker {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema({ $id: "openapi", components: doc.components });
  const seen = new Set<string>();
  const cache = new Map<string, ReturnType<typeof ajv.compile>>();
  const compiled = (ref: string) => {
    if (!cache.has(ref)) cache.set(ref, ajv.compile({ $ref: `openapi${ref}` }));
    return cache.get(ref)!;
  };
  const deref = (x: Doc): Doc => (typeof x?.$ref === "string" ? deref(doc.components.responses[x.$ref.split("/").at(-1)!]) : x);
  return {
    seen,
    check(method, path, status, contentType, body) {
      const op = doc.paths[path]?.[method.toLowerCase()];
      if (!op) return [`the document has no ${method} ${path}`];
      const response = op.responses[String(status)];
      if (!response)
        return [`${method} ${path} answered ${status}, which the document does not list (${Object.keys(op.responses).join(", ")})`];
      seen.add(`${method} ${path} ${status}`);
      const content = deref(response).content as Record<string, Doc>;
      const type = (contentType ?? "").split(";")[0]!.trim();
      if (!(type in content)) return [`${method} ${path} ${status} came as ${type}; the document says ${Object.keys(content).join(", ")}`];
      const schema = content[type]!.schema;
      if (!schema) return [];
      const validate = schema.$ref ? compiled(schema.$ref) : ajv.compile(schema);
      return validate(body)
        ? []
        : validate.errors!.map((e) => `${method} ${path} ${status}: ${e.instancePath || "$"} ${e.message} ${JSON.stringify(e.params)}`);
    },
  };
}
