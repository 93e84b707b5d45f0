/** Usage texts of the client commands: `baton defs --help`, `baton jobs --help`… */

const CONNECTION = `Connection and output (every client command):
  --url URL        the server, default http://127.0.0.1:8080 (env BATON_URL)
  --token TOKEN    sent as "Authorization: Bearer TOKEN" (env BATON_TOKEN)
  --json           print the server's JSON answer (the default when stdout is not a terminal)
  --table          print tables (the default on a terminal)

Exit codes: 0 done, 1 the execution FAILED (--wait), 2 bad usage, 3 the execution was
CANCELLED (--wait), 4 the server could not be reached or refused the request (any error answer).
`;

export const CLIENT_HELP: Record<string, string> = {
  defs: `Usage:
  baton defs apply FILE|DIR...   register definitions; a folder means its *.json files, in name order.
                                 Prints per file: created ID v1, unchanged ID vN, or new version ID vN.
                                 Every file must be JSON before any is sent; stops at the first refusal.
  baton defs list                the latest version of every definition
  baton defs show ID [--version N]
                                 one definition and its tasks

${CONNECTION}`,
  run: `Usage: baton run DEF [--input JSON|@FILE|-] [--idempotency-key KEY] [--priority N] [--delay-seconds S] [--wait]

Starts an execution of definition DEF with the input (a JSON object; @FILE reads a file, - reads
stdin; default {}). --idempotency-key makes a resend return the first execution. --priority
(-1000 to 1000, default 0; write a negative one as --priority=-5) starts it before waiting
executions of lower priority; --delay-seconds starts it no earlier than S seconds from now.
--wait follows the execution until it ends and exits 0 COMPLETED, 1 FAILED, 3 CANCELLED.

${CONNECTION}`,
  jobs: `Usage:
  baton jobs list [--status S] [--definition DEF] [--limit N] [--cursor C]
                                 executions, newest first (S: QUEUED, RUNNING, COMPLETED, FAILED, CANCELLED)
  baton jobs show ID             an execution and its tasks
  baton jobs events ID [--follow]
                                 its history; --follow prints new events until it ends
                                 (with --json: one event per line)
  baton jobs cancel ID           cancel a QUEUED or RUNNING execution
  baton jobs redrive ID [--wait] run a FAILED or CANCELLED execution again, keeping completed tasks
  baton jobs rerun ID --from TASK [--input JSON|@FILE|-] [--wait]
                                 a new execution from TASK on, carrying the tasks before it

${CONNECTION}`,
  workers: `Usage: baton workers

Remote workers that polled in the last 10 minutes, the functions they take and the leases they hold.

${CONNECTION}`,
  schedules: `Usage:
  baton schedules [list]                 every schedule, its state and next fire
  baton schedules show DEF SCHEDULE      one schedule with its next five fires
  baton schedules pause DEF SCHEDULE     pause it (stored, survives restarts)
  baton schedules resume DEF SCHEDULE    resume it; its next fire counts from now
  baton schedules trigger DEF SCHEDULE   run it once now, whatever its pause and overlap

${CONNECTION}`,
};

/** The lines of \`baton --help\` for the client commands. */
export const CLIENT_SUMMARY = `  baton defs apply|list|show definitions on a server
  baton run DEF [--wait]     start an execution (and wait for its end)
  baton jobs list|show|events|cancel|redrive|rerun
                             executions on a server
  baton workers              remote workers seen lately
  baton schedules [list|show|pause|resume|trigger]
                             cron schedules
                             These client commands take --url (BATON_URL), --token
                             (BATON_TOKEN) and --json; 'baton jobs --help' and so on say more.
`;
