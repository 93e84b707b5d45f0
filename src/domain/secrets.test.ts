import { describe, expect, test } from "bun:test";
import { ErrorNames } from "./errors.ts";
import { MIN_SECRET_LENGTH, noSecrets, Secrets } from "./secrets.ts";
import { checkTemplates, resolveParams, TemplateError, type TemplateScope } from "./template.ts";

const secrets = new Secrets(
  new Map([
    ["API_TOKEN", "tok-123456"],
    ["LONGER", "tok-123456-extra"],
    ["QUOTED", 'pa"ss\\word'],
  ]),
);
const scope: TemplateScope = { input: { user: "ada" }, outputs: {}, executionId: "e1", attempt: 1, secrets };

describe("{{secrets.NAME}} templates", () => {
  test("resolve to the secret's value, alone or inside a longer string", () => {
    expect(
      resolveParams({ token: "{{secrets.API_TOKEN}}", header: "Bearer {{ secrets.API_TOKEN }} for {{input.user}}", n: 3 }, scope),
    ).toEqual({ token: "tok-123456", header: "Bearer tok-123456 for ada", n: 3 });
  });

  test("an unknown secret fails naming it and where to set it, never an empty string", () => {
    let thrown: unknown;
    try {
      resolveParams({ h: "Bearer {{secrets.MISSING}}" }, scope);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TemplateError);
    expect((thrown as Error).name).toBe(ErrorNames.Runtime);
    expect((thrown as Error).message).toBe(
      "{{secrets.MISSING}}: no secret named MISSING is configured in this Baton (set BATON_SECRET_MISSING, or add a line MISSING=… to the --secrets-file)",
    );
    expect(() => resolveParams({ h: "{{secrets.API_TOKEN}}" }, { ...scope, secrets: undefined })).toThrow("no secret named API_TOKEN");
    expect(() => resolveParams({ h: "{{secrets.API_TOKEN}}" }, { ...scope, secrets: noSecrets })).toThrow("no secret named API_TOKEN");
  });

  test("registration accepts any well-formed name (a secret may be configured later) and rejects a malformed one", () => {
    expect(checkTemplates({ a: "{{secrets.NOT_YET}}" }, "t", new Set(), new Set(["t"]))).toEqual([]);
    expect(checkTemplates({ a: "{{secrets.a.b}}" }, "t", new Set(), new Set(["t"]))).toEqual([
      { path: ".a", message: "{{secrets.a.b}}: a secret is read as secrets.NAME (letters, digits and _)" },
    ]);
  });
});

describe("redaction", () => {
  test("replaces every configured value in strings at any depth, keys included, longest first", () => {
    const value = {
      out: "got tok-123456 and tok-123456-extra",
      list: [1, null, true, { "k-tok-123456": 'x pa"ss\\word y' }],
    };
    expect(secrets.redact<unknown>(value)).toEqual({ out: "got *** and ***", list: [1, null, true, { "k-***": "x *** y" }] });
    // The original is not touched.
    expect(value.out).toBe("got tok-123456 and tok-123456-extra");
  });

  test("works on the value, so a secret with quotes or backslashes is found before JSON escapes it", () => {
    const stored = JSON.stringify(secrets.redact({ body: 'say pa"ss\\word' }));
    expect(stored).toBe('{"body":"say ***"}');
  });

  test("redactText, and nothing to do without secrets", () => {
    expect(secrets.redactText("Bearer tok-123456")).toBe("Bearer ***");
    const value = { a: "tok-123456" };
    expect(noSecrets.redact(value)).toBe(value);
  });

  test("a value shorter than the minimum or a bad name is refused, naming it", () => {
    expect(() => new Secrets(new Map([["PIN", "12345"]]))).toThrow(
      `secret PIN is 5 characters long; at least ${MIN_SECRET_LENGTH} are needed, because its value is replaced by *** everywhere Baton records it`,
    );
    expect(() => new Secrets(new Map([["my-key", "long enough"]]))).toThrow('secret name "my-key"');
    expect(new Secrets(new Map([["OK", "x".repeat(MIN_SECRET_LENGTH)]])).names()).toEqual(["OK"]);
  });
});
