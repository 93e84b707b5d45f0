#!/bin/sh
# Installs Baton as a systemd service: the binary, the unit (scripts/baton.service), the
# sysusers.d entry of the `baton` user, and /etc/baton with a jobs folder and an example
# baton.toml. An operator's baton.toml or jobs are never overwritten.
#
#   sudo sh scripts/install.sh [BINARY]        # BINARY: default dist/baton (npm run build)
#   DESTDIR=/tmp/stage sh scripts/install.sh   # stage under a root: no user, no systemctl
#   PREFIX=/opt/baton                          # the binary goes to $PREFIX/bin (default /usr/local)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
binary=${1:-$here/../dist/baton}
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}

if [ ! -x "$binary" ]; then
  echo "install.sh: $binary is missing or not executable; build it with: npm run build" >&2
  exit 1
fi
if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
  echo "install.sh: run it as root, or set DESTDIR to stage the files under a folder" >&2
  exit 1
fi

bin="$DESTDIR$PREFIX/bin/baton"
unit="$DESTDIR/etc/systemd/system/baton.service"
sysusers="$DESTDIR/usr/lib/sysusers.d/baton.conf"
etc="$DESTDIR/etc/baton"

install -d -m 0755 "$DESTDIR$PREFIX/bin" "$DESTDIR/etc/systemd/system" "$DESTDIR/usr/lib/sysusers.d"
install -m 0755 "$binary" "$bin"
# The shipped unit as it is; only a PREFIX other than /usr/local changes its ExecStart.
sed "s|/usr/local/bin/baton|$PREFIX/bin/baton|" "$here/baton.service" >"$unit.new"
chmod 0644 "$unit.new"
mv "$unit.new" "$unit"
printf 'u baton - "Baton job orchestrator" /var/lib/baton\n' >"$sysusers"
chmod 0644 "$sysusers"

if [ -z "$DESTDIR" ] && ! id baton >/dev/null 2>&1; then
  if command -v systemd-sysusers >/dev/null 2>&1; then
    systemd-sysusers "$sysusers"
  else
    useradd --system --user-group --home-dir /var/lib/baton --no-create-home --shell /usr/sbin/nologin baton
  fi
fi

# /etc/baton: root's, readable by the baton group; the server only reads it.
install -d -m 0750 "$etc" "$etc/jobs"
if [ -e "$etc/baton.toml" ]; then
  config_note="kept as it was"
else
  cat >"$etc/baton.toml" <<'TOML'
# /etc/baton/baton.toml: Baton's settings. The keys are the flags' names without "--"
# (baton --help). Check what the server will use before a restart:
#   baton serve --config /etc/baton/baton.toml --print-config
host = "127.0.0.1"
port = 8080
db = "/var/lib/baton/baton.db"
jobs = "/etc/baton/jobs"
# The unit's stop timeout follows it: Baton asks systemd for the grace plus 15 s.
shutdown-grace-seconds = 30
# To listen beyond this machine, give API tokens (docs/security.md), owned by baton, mode 600:
# tokens = "/etc/baton/tokens"
TOML
  chmod 0640 "$etc/baton.toml"
  config_note="example written"
fi
if [ -z "$DESTDIR" ]; then
  chown root:baton "$etc" "$etc/jobs" "$etc/baton.toml"
fi

echo "installed:"
echo "  $bin"
echo "  $unit"
echo "  $sysusers"
echo "  $etc/baton.toml ($config_note)"
echo "  $etc/jobs/"
if [ -n "$DESTDIR" ]; then
  echo "staged under $DESTDIR; on the target machine, after copying the files, run:"
  echo "  systemd-sysusers /usr/lib/sysusers.d/baton.conf && chown root:baton /etc/baton /etc/baton/jobs /etc/baton/baton.toml"
else
  [ -d /run/systemd/system ] && systemctl daemon-reload
fi
echo "next:"
echo "  systemctl daemon-reload"
echo "  systemctl enable --now baton"
echo "  systemctl status baton"
