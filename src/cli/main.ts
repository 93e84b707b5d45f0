#!/usr/bin/env bun
/** Entry point of `baton`: dispatches on the subcommand, keeps nothing else. */
import { parseArgs } from "node:util";
import { definitionJsonSchema } from "../api/definition-json-schema.ts";
import { DEFAULT_CAPTURE_BYTES } from "../domain/capture.ts";
import { parseDefinition } from "../domain/definition.ts";
import { jsonLine, type LogFormat } from "../platform/log.ts";
import { backupCommand, restoreCommand } from "./backup.ts";
import { ClientError } from "./client/http.ts";
import { CLIENT_COMMANDS, runClient } from "./client/index.ts";
import { parseServeConfig, UsageError } from "./config.ts";
import { checkDefinitionFiles, readSourceFiles } from "./definition-files.ts";
import { loadFunctionModules } from "./function-modules.ts";
import { MAIN_HELP, SCHEMA_HELP, serveHelp } from "./help.ts";
import { StartError, serve, taskFunctions } from "./serve.ts";
import { oneLine } from "./start-errors.ts";
import { tokenCommand } from "./tokens.ts";
import { VERSION } from "./version.ts";

/** The log format of a `serve` whose configuration was read: its refusal to start is written in it. */
let serveLogFormat: LogFormat = "text";

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(MAIN_HELP);
      return 0;
    case "version":
    case "--version":
      process.stdout.write(`${VERSION}\n`);
      return 0;
    case "serve": {
      const config = parseServeConfig(rest, process.env);
      if (config === "help") {
        process.stdout.write(serveHelp());
        return 0;
      }
      if ("printConfig" in config) {
        process.stdout.write(config.printConfig);
        return 0;
      }
      serveLogFormat = config.logFormat;
      await serve(config);
      return -1; // keeps running until a signal
    }
    case "validate":
      return validate(rest);
    case "schema":
      return schema(rest);
    case "backup":
      return backupCommand(rest, process.env, (t) => process.stdout.write(t));
    case "restore":
      return restoreCommand(rest, process.env, (t) => process.stdout.write(t));
    case "token":
      process.stdout.write(tokenCommand(rest));
      return 0;
    default:
      if (CLIENT_COMMANDS.has(command))
        return runClient(command, rest, { env: process.env, isTTY: process.stdout.isTTY === true, out: (t) => process.stdout.write(t) });
      throw new UsageError(`unknown command "${command}"`);
  }
}

async function validate(args: string[]): Promise<number> {
  const { positionals, values } = (() => {
    try {
      return parseArgs({
        args,
        options: { help: { type: "boolean", short: "h" }, functions: { type: "string" } },
        allowPositionals: true,
        strict: true,
      });
    } catch (err) {
      throw new UsageError((err as Error).message.split("\n")[0]!);
    }
  })();
  if (values.help) {
    process.stdout.write(
      "Usage: baton validate [--functions DIR] FILE...\n\nChecks job definition files; prints one line per problem naming the file and field.\n--functions DIR also accepts the functions of the modules in DIR, as 'baton serve --functions DIR' loads them.\nExit 0 when all are valid, 1 otherwise.\n",
    );
    return 0;
  }
  if (positionals.length === 0) throw new UsageError("validate needs at least one file, e.g. baton validate jobs/*.json");
  if (values.functions === "") throw new UsageError("--functions needs a folder, e.g. --functions ./functions");
  const builtins = taskFunctions(DEFAULT_CAPTURE_BYTES);
  const functions =
    values.functions === undefined
      ? builtins
      : taskFunctions(DEFAULT_CAPTURE_BYTES, (await loadFunctionModules(values.functions, builtins)).functions);
  const { read, unreadable } = readSourceFiles(positionals);
  const { valid, problems } = checkDefinitionFiles(read, (raw) =>
    parseDefinition(
      raw,
      (name) => functions.has(name),
      (name, params) => functions.get(name)?.checkParams?.(params) ?? [],
    ),
  );
  for (const { file, def } of valid)
    process.stdout.write(`ok   ${file} (${def.id}, ${def.tasks.length} task${def.tasks.length === 1 ? "" : "s"})\n`);
  for (const problem of [...unreadable.map((u) => u.problem), ...problems]) process.stderr.write(`FAIL ${problem}\n`);
  return unreadable.length + problems.length === 0 ? 0 : 1;
}

/** `baton schema`: the JSON Schema of a definition file, for editors (`baton schema > job-definition.schema.json`). */
function schema(args: string[]): number {
  if (args.length === 1 && (args[0] === "--help" || args[0] === "-h")) {
    process.stdout.write(SCHEMA_HELP);
    return 0;
  }
  if (args.length > 0)
    throw new UsageError(`schema takes no arguments, got "${args[0]}"; redirect its output: baton schema > job-definition.schema.json`);
  process.stdout.write(`${JSON.stringify(definitionJsonSchema(), null, 2)}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(`baton: ${err.message} (see 'baton --help')\n`);
      process.exit(2);
    }
    if (err instanceof ClientError) {
      process.stderr.write(`baton: ${err.message}\n`);
      process.exit(4);
    }
    // One line, never a stack trace: an operator reads this. BATON_DEBUG=1 adds the stack.
    const line = err instanceof StartError ? err.lines.join("\n") : oneLine(err);
    const origin = err instanceof StartError && err.cause !== undefined ? err.cause : err;
    const stack = process.env.BATON_DEBUG === "1" ? (origin instanceof Error ? origin.stack : String(origin)) : undefined;
    if (serveLogFormat === "json") {
      // A log collector reads every line as JSON: the refusal is one object, its stack a field.
      process.stderr.write(`${jsonLine(new Date(), "error", `cannot start: ${line}`, { stack })}\n`);
      process.exit(1);
    }
    process.stderr.write(`baton: ${process.argv[2] === "serve" ? "cannot start: " : ""}${line}\n`);
    if (stack !== undefined) process.stderr.write(`${stack}\n`);
    process.exit(1);
  },
);
