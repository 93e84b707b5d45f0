/**
 * The API reference page (`GET /reference`): HTML rendered on the server from the OpenAPI
 * document, one self-contained page with its own CSS. Nothing is loaded from elsewhere (no CDN,
 * no fonts, no script), so it works on a closed network. Routes are grouped by tag; each shows
 * its parameters, body (fields and an example), answers and the problems it can answer.
 */
import type { JsonSchema } from "./json-schema.ts";

/** The parts of the OpenAPI document the page shows. */
interface Param {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: JsonSchema;
}
interface Media {
  schema?: JsonSchema;
  example?: unknown;
}
interface Op {
  operationId: string;
  tags: string[];
  summary: string;
  description?: string;
  parameters?: Param[];
  requestBody?: { required: boolean; content: Record<string, Media> };
  responses: Record<string, JsonSchema>;
  security: unknown[];
}
interface Doc {
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, JsonSchema>; responses: Record<string, JsonSchema> };
}

const esc = (s: unknown) =>
  String(s).replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch]!);

/** Escaped, with `code` spans as in the document's CommonMark descriptions. */
const md = (s: unknown) => esc(s).replace(/`([^`]+)`/g, "<code>$1</code>");

const refName = (s: JsonSchema) => (typeof s.$ref === "string" ? s.$ref.split("/").at(-1)! : null);

function resolve(doc: Doc, s: JsonSchema): JsonSchema {
  const name = refName(s);
  return name ? (doc.components.schemas[name] ?? doc.components.responses[name] ?? s) : s;
}

/** A short type: `string`, `integer 1…100`, `array of Task`, `"skip" | "allow"`, `string | null`. */
function typeOf(doc: Doc, s: JsonSchema): string {
  const name = refName(s);
  if (name) return `<a href="#schema-${esc(name)}">${esc(name)}</a>`;
  if (Array.isArray(s.anyOf)) return (s.anyOf as JsonSchema[]).map((x) => typeOf(doc, x)).join(" | ");
  if (Array.isArray(s.enum)) return s.enum.map((x) => esc(JSON.stringify(x))).join(" | ");
  if (s.const !== undefined) return esc(JSON.stringify(s.const));
  if (s.type === "array") return `array of ${typeOf(doc, (s.items as JsonSchema) ?? {})}`;
  const bounds = [
    s.minimum !== undefined && `≥ ${s.minimum}`,
    s.exclusiveMinimum !== undefined && `> ${s.exclusiveMinimum}`,
    s.maximum !== undefined && `≤ ${s.maximum}`,
    s.minLength !== undefined && `length ≥ ${s.minLength}`,
    s.maxLength !== undefined && `length ≤ ${s.maxLength}`,
    s.pattern !== undefined && `<code>${esc(s.pattern)}</code>`,
  ].filter(Boolean);
  return `${esc(s.type ?? "any")}${bounds.length ? ` <span class="dim">${bounds.join(", ")}</span>` : ""}`;
}

/** An object's fields as table rows, nested objects indented under their field. */
function fieldRows(doc: Doc, s: JsonSchema, prefix = "", depth = 0): string {
  const props = (s.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((s.required as string[]) ?? []);
  return Object.entries(props)
    .map(([name, sub]) => {
      const row = `<tr><td><code>${esc(prefix + name)}</code>${required.has(name) ? ' <span class="req">required</span>' : ""}</td><td>${typeOf(doc, sub)}</td><td>${md(sub.description ?? "")}${sub.default !== undefined ? ` <span class="dim">default ${esc(JSON.stringify(sub.default))}</span>` : ""}</td></tr>`;
      const inner = sub.type === "array" ? (sub.items as JsonSchema) : sub;
      const nested =
        depth < 3 && inner?.type === "object" && inner.properties
          ? fieldRows(doc, inner, `${prefix}${name}${sub.type === "array" ? "[]" : ""}.`, depth + 1)
          : "";
      return row + nested;
    })
    .join("");
}

function schemaBlock(doc: Doc, s: JsonSchema): string {
  const name = refName(s);
  if (name) return `<p>${typeOf(doc, s)}</p>`;
  if (s.type === "object" && s.properties) return `<table><tr><th>field</th><th>type</th><th></th></tr>${fieldRows(doc, s)}</table>`;
  return `<p>${typeOf(doc, s)}</p>`;
}

function operationHtml(doc: Doc, path: string, method: string, op: Op): string {
  const params = op.parameters ?? [];
  const paramRows = params
    .map(
      (p) =>
        `<tr><td><code>${esc(p.name)}</code> <span class="dim">${esc(p.in)}</span>${p.required ? ' <span class="req">required</span>' : ""}</td><td>${typeOf(doc, p.schema)}</td><td>${md(p.description ?? p.schema?.description ?? "")}</td></tr>`,
    )
    .join("");
  const body = op.requestBody?.content?.["application/json"];
  const answers = Object.entries(op.responses as Record<string, JsonSchema>)
    .map(([status, r]) => {
      const name = refName(r);
      const res = resolve(doc, r);
      const [type, media] = Object.entries((res.content ?? {}) as Record<string, Media>)[0] ?? [];
      const shape = name ? `<a href="#schema-Problem">Problem</a>` : media?.schema ? typeOf(doc, media.schema) : "";
      return `<tr><td class="s${status[0]}">${esc(status)}</td><td>${md(res.description)}</td><td><span class="dim">${esc(type ?? "")}</span> ${shape}</td></tr>`;
    })
    .join("");
  const secured = op.security.length > 0;
  return `<section class="op" id="${esc(op.operationId)}">
<h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code>${secured ? ' <span class="dim">bearer token</span>' : ' <span class="dim">open</span>'}</h3>
<p>${esc(op.summary)}${op.description ? `. ${md(op.description)}` : ""}</p>
${paramRows ? `<h4>Parameters</h4><table><tr><th>name</th><th>type</th><th></th></tr>${paramRows}</table>` : ""}
${body?.schema ? `<h4>Body${op.requestBody!.required ? "" : " (optional)"}</h4>${schemaBlock(doc, body.schema)}${body.example ? `<h4>Example</h4><pre>${esc(JSON.stringify(body.example, null, 2))}</pre>` : ""}` : ""}
<h4>Answers</h4><table><tr><th>status</th><th>when</th><th>body</th></tr>${answers}</table>
</section>`;
}

const CSS = `body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:0 auto;padding:1rem 2rem;color:#1d1d1f}
code,pre{font-family:ui-monospace,monospace;font-size:13px}pre{background:#f5f5f7;padding:.6rem;overflow:auto}
table{border-collapse:collapse;width:100%;margin:.3rem 0}td,th{border-bottom:1px solid #e3e3e8;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{font-weight:600;color:#555}.op{border-top:2px solid #e3e3e8;margin-top:1.2rem}.m{display:inline-block;min-width:3.5rem;padding:0 .4rem;border-radius:3px;color:#fff;font-size:13px;text-align:center}
.get{background:#1f6feb}.post{background:#2da44e}.dim{color:#6e6e73;font-size:13px}.req{color:#b35900;font-size:12px}
.s2{color:#2da44e;font-weight:600}.s4,.s5{color:#cf222e;font-weight:600}nav a{margin-right:1rem}h4{margin:.6rem 0 .2rem}`;

/** The whole page for `doc`. */
export function renderReference(document: Record<string, unknown>): string {
  const doc = document as unknown as Doc;
  const tags = doc.tags;
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, op]) => ({ path, method, op })));
  const sections = tags
    .map((tag) => {
      const mine = ops.filter((o) => o.op.tags[0] === tag.name);
      return `<h2 id="tag-${esc(tag.name)}">${esc(tag.name)}</h2><p>${md(tag.description)}</p>${mine.map((o) => operationHtml(doc, o.path, o.method, o.op)).join("\n")}`;
    })
    .join("\n");
  const schemas = Object.entries(doc.components.schemas)
    .map(
      ([name, s]) =>
        `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3><p>${md(s.description ?? "")}</p>${schemaBlock(doc, s)}</section>`,
    )
    .join("\n");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(doc.info.title)} ${esc(doc.info.version)}: API reference</title><style>${CSS}</style></head><body>
<h1>${esc(doc.info.title)} ${esc(doc.info.version)}: API reference</h1>
<p>${md(doc.info.description)}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1) and <a href="/schemas/job-definition.json">/schemas/job-definition.json</a> (JSON Schema of a definition).</p>
<nav>${tags.map((t) => `<a href="#tag-${esc(t.name)}">${esc(t.name)}</a>`).join("")}<a href="#schemas">schemas</a></nav>
${sections}
<h2 id="schemas">Schemas</h2>
${schemas}
</body></html>
`;
}
