/**
 * The handlers of the API's own reference, served without credentials: the OpenAPI document
 * (`/openapi.json`), the JSON Schema of a definition (`/schemas/job-definition.json`) and the
 * reference page rendered from the document (`/reference`).
 */
import { definitionJsonSchema } from "./definition-json-schema.ts";
import type { RouteHandler } from "./ports.ts";
import { renderReference } from "./reference-page.ts";

/** `GET /openapi.json` */
export const openapiDocument: RouteHandler = async (c, { openapi }) => c.json(openapi());

/** `GET /schemas/job-definition.json` */
export const definitionSchema: RouteHandler = async (c) => c.json(definitionJsonSchema());

/** `GET /reference` */
export const referencePage: RouteHandler = async (c, { openapi }) => c.html(renderReference(openapi()));
