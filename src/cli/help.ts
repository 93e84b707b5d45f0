import { CLIENT_SUMMARY } from "./client/help.ts";
import { SETTINGS } from "./config.ts";
import { VERSION } from "./version.ts";

export const MAIN_HELP = `baton ${VERSION}: a durable job orchestrator in one executable

Usage:
  baton serve [flags]        run the server (REST API, engine, recovery of unfinished work)
  baton validate [--functions DIR] FILE...
                             check job definition files without a server
  baton schema               print the JSON Schema of a definition file, for editors
  baton token create --name NAME --role ROLE
                             make an API token (read, operate, admin or worker)
  baton backup --db PATH OUT copy the database to the new file OUT, also while a server runs on it
  baton restore BACKUP --db PATH [--force]
                             check a backup and put it in place as PATH (no Baton may run on PATH)
  baton version              print the version
${CLIENT_SUMMARY}  baton --help               this text; 'baton serve --help' lists the server's flags

Exit codes: 0 ok, 1 failure (invalid definitions, database or port unavailable), 2 bad usage;
the client commands add 1 for a FAILED and 3 for a CANCELLED execution (--wait), and 4 when the
server could not be reached or refused the request.
Failures are said on stderr without a stack trace; BATON_DEBUG=1 adds the stack trace.
`;

export const SCHEMA_HELP = `Usage: baton schema

Prints the JSON Schema (2020-12) of a job definition file. Save it and point a definition at it
so an editor completes and checks the file:
  baton schema > job-definition.schema.json
  { "$schema": "./job-definition.schema.json", "id": "my-job", "tasks": [...] }
A running server serves the same schema at /schemas/job-definition.json. The schema checks
types, ranges and field names; only the server (or 'baton validate') checks the rest, such as
known functions, dependencies, templates and cron expressions.
`;

export function serveHelp(): string {
  const width = Math.max(...Object.values(SETTINGS).map((s) => s.flag.length)) + 4;
  const rows = Object.values(SETTINGS).map((s) => {
    const flag = `--${s.flag}`.padEnd(width);
    return `  ${flag}${s.help}\n  ${"".padEnd(width)}${s.fallback === null ? "no default" : `default ${JSON.stringify(s.fallback)}`}, env ${s.env}`;
  });
  return `Usage: baton serve [flags]

Runs the REST API and the engine. At start it loads every *.json in the jobs folder (any
invalid file stops the start), then resumes executions a previous process left unfinished.
SIGTERM or SIGINT stops admitting work, lets running attempts finish for the grace period,
and exits 0; what did not finish resumes at the next start.

Flags (each also read from its environment variable; a flag wins):
${rows.join("\n")}

Config file:
  ${"--config FILE".padEnd(width)}read settings from a TOML file, one key per flag above (port = 8080,
  ${"".padEnd(width)}allow-shell-api = true); env BATON_CONFIG. Flags win, then variables, then the file
  ${"--print-config".padEnd(width)}print the effective settings as a config file, each with where it came
  ${"".padEnd(width)}from, secrets masked, and exit without serving
`;
}
