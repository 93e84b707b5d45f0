#!/bin/sh
# `npm run test:deno`: the end-to-end files below against Baton started by `npm run start:deno`'s
# command line (BATON_E2E_RUNTIME=deno makes test/e2e/harness.ts start `deno run … src/cli/main.ts`
# instead of dist/baton). Extra arguments go to `bun test` (.ci/run adds a JUnit report).
#
# Left out, and why:
#   systemd-unit.test.ts      checks scripts/baton.service, whose ExecStart is the compiled binary
#   cross-runtime.test.ts     runs in npm test already: it starts dist/baton and deno run itself,
#                             taking turns on one database file
# function-modules.test.ts runs `deno run` in the folder where it would put the binary alone.
# Inside cli.test.ts, the two checks of the binary itself (its embedded version, its autoload
# switches) are skipped under Deno; the rest of that file runs.
set -u
cd "$(dirname "$0")/.."
BATON_E2E_RUNTIME=deno exec node_modules/.bin/bun test --timeout 30000 "$@" \
  test/e2e/lifecycle.test.ts \
  test/e2e/bad-input.test.ts \
  test/e2e/crash.test.ts \
  test/e2e/crash-load.test.ts \
  test/e2e/soak.test.ts \
  test/e2e/workflows.test.ts \
  test/e2e/http.test.ts \
  test/e2e/shell.test.ts \
  test/e2e/flow-control.test.ts \
  test/e2e/schedules.test.ts \
  test/e2e/auth.test.ts \
  test/e2e/metrics.test.ts \
  test/e2e/notify.test.ts \
  test/e2e/body-limits.test.ts \
  test/e2e/fuzz.test.ts \
  test/e2e/logs.test.ts \
  test/e2e/cli.test.ts \
  test/e2e/cli-client.test.ts \
  test/e2e/config-file.test.ts \
  test/e2e/secrets.test.ts \
  test/e2e/start-refusals.test.ts \
  test/e2e/stored-state.test.ts \
  test/e2e/backup.test.ts \
  test/e2e/disk-full.test.ts \
  test/e2e/retention.test.ts \
  test/e2e/remote-workers.test.ts \
  test/e2e/example-job.test.ts \
  test/e2e/function-modules.test.ts \
  test/e2e/openapi.test.ts \
  test/e2e/ui.test.ts \
  test/e2e/ui-access.test.ts \
  test/e2e/ui-bulk.test.ts \
  test/e2e/ui-live.test.ts \
  test/e2e/browser/
