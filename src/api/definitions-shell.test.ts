/** `POST /job-definitions` with the `shell` function: refused unless the server allows it, and its params checked. */
import { afterEach, describe, expect, test } from "bun:test";
import { definition, type Setup, setup } from "../../test/helpers/api.ts";
import type { ProcessRunner } from "../domain/process.ts";
import { builtinFunctions } from "../tasks/registry.ts";
import { shellTask } from "../tasks/shell.ts";

const neverRun: ProcessRunner = () => Promise.reject(new Error("no process is started by these tests"));
const functions = builtinFunctions({ shell: shellTask({ run: neverRun, baseEnv: {}, maxOutputBytes: 1024 }) });

let t: Setup | undefined;
afterEach(() => t?.close());

const FLAG_HINT =
  'is "shell", which this server accepts only from its jobs folder: put the definition there, or start the server with --allow-shell-api (BATON_ALLOW_SHELL_API=1)';

const withShell = definition("build", [
  { id: "a", functionName: "noop" },
  { id: "b", functionName: "shell", params: { command: ["make"] } },
]);

describe("POST /job-definitions with shell", () => {
  test("400 without --allow-shell-api, naming every task and handler that uses it; nothing is stored", async () => {
    t = await setup({ functions });
    const res = await t.call("POST", "/job-definitions", {
      ...withShell,
      handlers: { onFailure: { functionName: "shell", params: { command: ["alert"] } } },
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toBe(`$.tasks[1].functionName ${FLAG_HINT}`);
    expect(res.body.errors).toEqual([
      { path: "$.tasks[1].functionName", message: FLAG_HINT },
      { path: "$.handlers.onFailure.functionName", message: FLAG_HINT },
    ]);
    expect((await t.call("GET", "/job-definitions")).body).toEqual([]);
  });

  test("201 with --allow-shell-api; a definition without shell never needs it", async () => {
    t = await setup({ functions, allowShellApi: true });
    expect((await t.call("POST", "/job-definitions", withShell)).status).toBe(201);
    await t.close();
    t = await setup({ functions });
    expect((await t.call("POST", "/job-definitions", definition("plain", [{ id: "a", functionName: "noop" }]))).status).toBe(201);
  });

  test("params that cannot work are refused at registration, with their path", async () => {
    t = await setup({ functions, allowShellApi: true });
    const res = await t.call(
      "POST",
      "/job-definitions",
      definition("bad", [
        { id: "a", functionName: "shell", params: { command: "make all" } },
        { id: "b", functionName: "shell", params: { command: ["make"], env: { "BAD-NAME": "1" } } },
      ]),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([
      {
        path: "$.tasks[0].params.command",
        message: 'is a string, which runs only with "shell": true; or give an array like ["prog", "arg"]',
      },
      { path: '$.tasks[1].params.env["BAD-NAME"]', message: "is not a variable name (letters, digits and _, not starting with a digit)" },
    ]);
  });
});
