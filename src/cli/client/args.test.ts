import { describe, expect, test } from "bun:test";
import { UsageError } from "../config.ts";
import { DEFAULT_URL, expectPositionals, parseClientArgs } from "./args.ts";

const flags = { status: { type: "string" as const }, wait: { type: "boolean" as const } };
const parse = (args: string[], env: Record<string, string> = {}, isTTY = false) => parseClientArgs("jobs list", args, flags, env, isTTY);

describe("parseClientArgs", () => {
  test("defaults: the local server, no token, JSON when stdout is not a terminal, tables when it is", () => {
    expect(parse([]).connection).toEqual({ url: DEFAULT_URL, token: undefined });
    expect(parse([]).output).toBe("json");
    expect(parse([], {}, true).output).toBe("table");
  });

  test("--json and --table force the output mode; both at once is bad usage", () => {
    expect(parse(["--json"], {}, true).output).toBe("json");
    expect(parse(["--table"]).output).toBe("table");
    expect(() => parse(["--json", "--table"])).toThrow("exclude each other");
  });

  test("a flag wins over its environment variable; the URL loses its trailing slash", () => {
    const env = { BATON_URL: "http://10.0.0.5:9000/", BATON_TOKEN: "from-env" };
    expect(parse([], env).connection).toEqual({ url: "http://10.0.0.5:9000", token: "from-env" });
    expect(parse(["--url", "https://baton.example/base/", "--token", "t1"], env).connection).toEqual({
      url: "https://baton.example/base",
      token: "t1",
    });
    expect(parse([], { BATON_TOKEN: "" }).connection.token).toBeUndefined();
  });

  test("the command's own flags and positionals come through", () => {
    const p = parse(["--status", "FAILED", "--wait", "extra"]);
    expect(p.values).toMatchObject({ status: "FAILED", wait: true });
    expect(p.positionals).toEqual(["extra"]);
  });

  const bad: [string, string[], Record<string, string>, string][] = [
    ["an unknown flag", ["--bogus"], {}, "jobs list: Unknown option '--bogus'"],
    ["a string flag without its value", ["--status"], {}, "jobs list: Option '--status"],
    ["a URL that is not one", ["--url", "localhost:8080"], {}, '--url="localhost:8080" must start with http://'],
    ["a bad BATON_URL", [], { BATON_URL: "not a url" }, 'BATON_URL="not a url" is not a URL'],
    ["an empty --token", ["--token", ""], {}, "--token needs a value"],
  ];
  for (const [what, args, env, message] of bad) {
    test(`${what} is a one-line UsageError`, () => {
      let caught: unknown;
      try {
        parse(args, env);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as Error).message).toContain(message);
      expect((caught as Error).message).not.toContain("\n");
      expect((caught as Error).message).not.toContain("To specify a positional");
    });
  }
});

describe("expectPositionals", () => {
  test("exactly the named arguments", () => {
    expect(expectPositionals("jobs show", ["a"], ["an execution id"], "baton jobs show ID")).toEqual(["a"]);
    expect(() => expectPositionals("jobs show", [], ["an execution id"], "baton jobs show ID")).toThrow(
      "jobs show needs an execution id, e.g. baton jobs show ID",
    );
    expect(() => expectPositionals("jobs show", ["a", "b"], ["an execution id"], "x")).toThrow('got an extra "b"');
  });
});
