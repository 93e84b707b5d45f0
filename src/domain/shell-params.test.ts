import { describe, expect, test } from "bun:test";
import { ErrorNames } from "./errors.ts";
import { checkShellParams, parseShellParams } from "./shell-params.ts";

const parseError = (params: Record<string, unknown>) => {
  try {
    parseShellParams(params);
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error("parsed");
};

describe("parseShellParams", () => {
  test("an array runs as it is; a string with shell: true runs through /bin/sh -c", () => {
    expect(parseShellParams({ command: ["echo", "a b", "$HOME"] })).toEqual({
      argv: ["echo", "a b", "$HOME"],
      env: {},
      killGraceSeconds: 5,
    });
    expect(parseShellParams({ command: "echo $HOME | wc -c", shell: true }).argv).toEqual(["/bin/sh", "-c", "echo $HOME | wc -c"]);
  });

  test("env, cwd, stdin (a string as it is, other JSON serialized), maxOutputBytes and killGraceSeconds", () => {
    expect(
      parseShellParams({
        command: ["cat"],
        env: { A: "1", B_2: 7, C: true },
        cwd: "/tmp",
        stdin: { rows: [1, 2] },
        maxOutputBytes: 4096,
        killGraceSeconds: 0.5,
      }),
    ).toEqual({
      argv: ["cat"],
      env: { A: "1", B_2: "7", C: "true" },
      cwd: "/tmp",
      stdin: '{"rows":[1,2]}',
      maxOutputBytes: 4096,
      killGraceSeconds: 0.5,
    });
    expect(parseShellParams({ command: ["cat"], stdin: "raw\n" }).stdin).toBe("raw\n");
    expect(parseShellParams({ command: ["cat"], stdin: null }).stdin).toBe("null");
  });

  test("numbers and booleans in the command become text (a whole template such as {{input.n}} gives them)", () => {
    expect(parseShellParams({ command: ["sleep", 2, false] }).argv).toEqual(["sleep", "2", "false"]);
  });

  test("a bad param is non-retryable and its message names the field", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{}, "params.command is required"],
      [{ command: "echo hi" }, 'params.command is a string, which runs only with "shell": true; or give an array like ["prog", "arg"]'],
      [{ command: ["echo"], shell: true }, 'params.command must be one string with "shell": true (it runs as /bin/sh -c "…")'],
      [{ command: [] }, "params.command must name at least the program"],
      [{ command: ["echo", { a: 1 }] }, 'params.command must be an array like ["prog", "arg"], or a string with "shell": true'],
      [
        { command: ["echo"], env: { "1X": "a" } },
        `params.env["1X"] is not a variable name (letters, digits and _, not starting with a digit)`,
      ],
      [{ command: ["echo"], env: ["A=1"] }, "params.env must be an object of variable names to strings"],
      [{ command: ["echo"], cwd: "" }, "params.cwd must not be empty"],
      [{ command: ["echo"], maxOutputBytes: 1.5 }, "params.maxOutputBytes must be a whole number of bytes"],
      [{ command: ["echo"], killGraceSeconds: -1 }, "params.killGraceSeconds must not be negative"],
      [
        { command: ["echo"], shel: true },
        "params.shel is not a shell param (command, shell, env, cwd, stdin, maxOutputBytes, killGraceSeconds)",
      ],
    ];
    for (const [params, message] of cases) expect(parseError(params)).toEqual({ name: ErrorNames.NonRetryable, message });
  });
});

describe("checkShellParams (registration, before templates)", () => {
  test("valid params give no issue; templates inside strings are strings", () => {
    expect(checkShellParams({ command: ["echo", "{{input.x}}"], env: { X: "{{tasks.a.output.json.n}}" } })).toEqual([]);
    expect(checkShellParams({ command: "echo {{input.x}}", shell: true, cwd: "/srv/{{execution.id}}" })).toEqual([]);
  });

  test("wrong types and the command/shell pairing are reported with paths relative to the params", () => {
    expect(checkShellParams({})).toEqual([{ path: ".command", message: "is required" }]);
    expect(checkShellParams({ command: 42, cwd: 3 })).toEqual([
      { path: ".command", message: 'must be an array like ["prog", "arg"], or a string with "shell": true' },
      { path: ".cwd", message: "must be a string" },
    ]);
    expect(checkShellParams({ command: "echo {{input.x}}" })).toEqual([
      { path: ".command", message: 'is a string, which runs only with "shell": true; or give an array like ["prog", "arg"]' },
    ]);
  });

  test("a field that is one whole template is checked only when it has resolved", () => {
    expect(checkShellParams({ command: "{{input.argv}}" })).toEqual([]);
    expect(checkShellParams({ command: "{{ input.script }}", shell: true })).toEqual([]);
    expect(checkShellParams({ command: "echo hi", shell: "{{input.useShell}}" })).toEqual([]);
    expect(checkShellParams({ command: ["echo"], env: "{{input.env}}", killGraceSeconds: "{{input.grace}}" })).toEqual([]);
    // The other fields are still checked.
    expect(checkShellParams({ command: "{{input.argv}}", cwd: 3 })).toEqual([{ path: ".cwd", message: "must be a string" }]);
  });
});
