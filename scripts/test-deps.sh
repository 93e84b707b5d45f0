#!/bin/sh
# Runs before `npm test` (npm's pretest hook): the suite needs a few programs from Debian that a
# fresh machine may lack. curl runs examples/workers/worker.sh; promtool (Debian's `prometheus`
# package) checks /metrics; systemd-analyze (Debian's `systemd`) checks the unit file; chromium
# runs the browser tests (test/e2e/browser/, through playwright-core). Installed
# with apt-get when missing and allowed; otherwise one line says which test will fail and why.
missing=""
command -v curl >/dev/null 2>&1 || missing="$missing curl"
command -v promtool >/dev/null 2>&1 || missing="$missing prometheus"
command -v systemd-analyze >/dev/null 2>&1 || missing="$missing systemd"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
[ -z "$missing" ] && exit 0

if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  echo "test-deps: installing from Debian:$missing"
  if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing) >/dev/null 2>&1; then
    exit 0
  fi
  echo "test-deps: apt-get could not install$missing; the tests that need them will fail"
else
  echo "test-deps: missing$missing (install them with apt-get as root); the tests that need them will fail"
fi
exit 0
