#!/bin/sh
# A Baton worker in POSIX sh + curl: runs COMMAND for every attempt of FUNCTION, with the task
# as JSON on its stdin. What it prints on stdout (JSON) is the output; a non-zero exit fails
# the attempt with the error name CommandFailed (the task's retry policy applies).
#   BATON_URL=http://127.0.0.1:8080 WORKER_ID=sh1 [BATON_TOKEN=a worker token] ./worker.sh resize ./resize.sh
# HEARTBEAT_SECONDS (default 10) must be well under Baton's --lease-seconds (default 30).
# A cancel or a lost lease (409) stops COMMAND; the worker then polls again.
set -u
BATON_URL=${BATON_URL:-http://127.0.0.1:8080}
WORKER_ID=${WORKER_ID:-sh-$$}
HEARTBEAT_SECONDS=${HEARTBEAT_SECONDS:-10}
# Sent with every request; a harmless header when no token is set.
auth="x-baton-worker: $WORKER_ID"
[ -n "${BATON_TOKEN:-}" ] && auth="authorization: Bearer $BATON_TOKEN"
[ $# -ge 2 ] || { echo "usage: $0 FUNCTION COMMAND [ARG...]" >&2; exit 2; }
fn=$1
shift
tmp=$(mktemp -d)
cmd= beat=
trap 'kill $cmd $beat 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM INT

# post PATH BODY FILE: prints the HTTP status, the answer goes to FILE. Retries while Baton
# is unreachable or answers 503 (restarting, or the database is busy), while the worker lives.
post() {
  while kill -0 $$ 2>/dev/null; do
    code=$(curl -s -o "$3" -w '%{http_code}' -X POST -H 'content-type: application/json' -H "$auth" --data "$2" "$BATON_URL$1")
    case $code in
      000 | 503) sleep 1 ;;
      *) echo "$code" && return ;;
    esac
  done
}

while :; do
  code=$(post /workers/poll "{\"workerId\":\"$WORKER_ID\",\"functions\":[\"$fn\"],\"max\":1,\"waitSeconds\":20}" "$tmp/poll")
  [ "$code" = 200 ] || { echo "poll answered $code: $(cat "$tmp/poll")" >&2 && exit 1; }
  lease=$(sed -n 's/.*"leaseId":"\([^"]*\)".*/\1/p' "$tmp/poll")
  [ -n "$lease" ] || continue
  sed 's/^{"tasks":\[\(.*\)\]}$/\1/' "$tmp/poll" >"$tmp/task"
  echo "$WORKER_ID took lease $lease"
  rm -f "$tmp/stopped"
  "$@" <"$tmp/task" >"$tmp/output" 2>"$tmp/stderr" &
  cmd=$!
  (
    while sleep "$HEARTBEAT_SECONDS"; do
      kill -0 $$ 2>/dev/null || exit 0 # the worker is gone
      code=$(post "/workers/leases/$lease/heartbeat" '{}' "$tmp/beat")
      if [ "$code" != 200 ] || grep -q '"cancelRequested":true' "$tmp/beat"; then
        : >"$tmp/stopped" && kill "$cmd" 2>/dev/null
        exit 0
      fi
    done
  ) &
  beat=$!
  if wait "$cmd"; then status=0; else status=$?; fi
  kill "$beat" 2>/dev/null
  if [ -f "$tmp/stopped" ]; then
    echo "$WORKER_ID stopped $lease" && continue
  fi
  if [ "$status" = 0 ]; then
    output=$(cat "$tmp/output")
    code=$(post "/workers/leases/$lease/complete" "{\"output\":${output:-null}}" "$tmp/answer")
  else
    message=$(tr -d '"\\' <"$tmp/stderr" | tr '\n' ' ' | cut -c1-300)
    code=$(post "/workers/leases/$lease/fail" "{\"error\":{\"name\":\"CommandFailed\",\"message\":\"exit $status: $message\"}}" "$tmp/answer")
  fi
  echo "$WORKER_ID $lease answered $code"
done
