/**
 * The one doorway to `@valibot/to-json-schema`: the valibot schemas that validate requests and
 * definitions, converted to JSON Schema (2020-12, the dialect of OpenAPI 3.1), so the published
 * schemas are the code's. What JSON Schema cannot say is left out, never guessed: `v.check`
 * rules, and the transforms of query parameters (a parameter is described as the string it is
 * sent as, up to its first transform).
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import type * as v from "valibot";
import { isPlainObject } from "../domain/json.ts";

/** A JSON Schema, or any object of the OpenAPI document, as plain JSON. */
export type JsonSchema = Record<string, unknown>;

type AnySchema = v.GenericSchema<unknown, unknown>;

/** `v.custom(isPlainObject)` is how Baton says "a JSON object that is not an array": that is JSON Schema's object. */
const overrideSchema = ({ valibotSchema }: { valibotSchema: unknown }) => {
  const s = valibotSchema as { type?: string; check?: unknown };
  return s.type === "custom" && s.check === isPlainObject ? { type: "object" as const } : undefined;
};

/** A body or a definition: the whole pipe, so `plainObject(X)` is the object X describes. */
export function bodySchema(schema: AnySchema): JsonSchema {
  const out = { ...toJsonSchema(schema, { target: "draft-2020-12", errorMode: "ignore", overrideSchema }) } as JsonSchema;
  delete out.$schema;
  return out;
}

/** A query parameter as sent: its string up to the first transform (`"limit": {"type": "string", "pattern": …}`). */
export function querySchema(schema: AnySchema): JsonSchema {
  const out = {
    ...toJsonSchema(schema, { target: "draft-2020-12", typeMode: "input", errorMode: "ignore", overrideSchema }),
  } as JsonSchema;
  delete out.$schema;
  return out;
}
