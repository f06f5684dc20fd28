#!/usr/bin/env bash
# Brings Piazza up on this machine: a local relay (data in .piazza/, UDP 127.0.0.1:4433
# unless PIAZZA_PORT says otherwise) and the desktop app with the relay's invite filled in.
#
# Run it again for a second person on this computer (their own data directory):
#   PIAZZA_APP_DATA=.piazza/app2 scripts/up.sh
# A relay this script started keeps running while any of its windows is open and stops
# with the last one. Running it twice with the same data directory says so and leaves
# the open window alone. Variables: PIAZZA_PORT, PIAZZA_LOCAL_DIR (default .piazza),
# PIAZZA_APP_DATA (default $PIAZZA_LOCAL_DIR/app), PIAZZA_APP_ONLY=1 (never start a
# relay), PIAZZA_SKIP_SETUP=1 / PIAZZA_SKIP_BUILD=1 (use what is installed and built).
# Arguments go to a relay this script starts, e.g. rooms for a class:
#   scripts/up.sh --room classe-3b --room prof:segreto
# and the invite of each room is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${PIAZZA_SKIP_SETUP:-}" ] || scripts/setup.sh
port="${PIAZZA_PORT:-4433}"
data="${PIAZZA_LOCAL_DIR:-$PWD/.piazza}"
app_data="${PIAZZA_APP_DATA:-$data/app}"
bin="${PIAZZA_BIN_DIR:-$PWD/target/debug}"
mkdir -p "$data" "$app_data"
relay_pid_file="$data/relay.pid"
invite_file="$data/relay.invite"

# One window per data directory: the app holds $app_data/app.lock while it runs.
if ! flock -n "$app_data/app.lock" true 2>/dev/null; then
  echo "Piazza is already open with its data in $app_data: use that window."
  echo "For a second person on this computer: PIAZZA_APP_DATA=$data/app2 scripts/up.sh"
  exit 0
fi

if [ -z "${PIAZZA_SKIP_BUILD:-}" ]; then
  echo "Building the relay and the app (the first build takes a few minutes)..."
  cargo build --quiet -p relay --bin piazza-relay -p app --bin piazza
fi

relay_running() {
  [ -f "$relay_pid_file" ] && kill -0 "$(cat "$relay_pid_file")" 2>/dev/null &&
    [ -s "$invite_file" ]
}

started_relay=""
if relay_running; then
  echo "Reusing the relay already running (pid $(cat "$relay_pid_file"), data in $data/relay)."
  [ $# -eq 0 ] || echo "(its options stay as they were: $* is not applied)" >&2
elif [ -n "${PIAZZA_APP_ONLY:-}" ]; then
  echo "No relay of this script is running in $data: run scripts/up.sh without PIAZZA_APP_ONLY first." >&2
  exit 1
else
  log="$data/relay.log"
  rm -f "$invite_file"
  RUST_LOG="${RUST_LOG:-info}" "$bin/piazza-relay" \
    --listen "127.0.0.1:$port" --data-dir "$data/relay" "$@" >"$log" 2>&1 &
  relay_pid=$!
  for _ in $(seq 1 100); do
    grep -q '^invite:' "$log" 2>/dev/null && break
    if ! kill -0 "$relay_pid" 2>/dev/null; then
      if grep -qi "address already in use" "$log"; then
        holder="$(ss -Hulpn "sport = :$port" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\),pid=\([0-9]*\).*/\1 (pid \2)/p' | head -1)"
        echo "UDP port $port is already used by ${holder:-another program}." >&2
        echo "Stop it, or choose another port: PIAZZA_PORT=4434 scripts/up.sh" >&2
      elif grep -qi "in use by another relay" "$log"; then
        echo "Another relay uses the data in $data/relay; stop it first." >&2
      else
        echo "The relay did not start:" >&2
        cat "$log" >&2
      fi
      exit 1
    fi
    sleep 0.1
  done
  grep -m1 '^invite:' "$log" | awk '{print $2}' >"$invite_file"
  echo "$relay_pid" >"$relay_pid_file"
  started_relay="$relay_pid"
fi

# The last window to close stops the relay this script started (or reused).
stop_relay_if_unused() {
  for lock in "$data"/*/app.lock; do
    [ -e "$lock" ] || continue
    flock -n "$lock" true 2>/dev/null || return 0 # another window still uses the relay
  done
  if [ -f "$relay_pid_file" ]; then
    pid="$(cat "$relay_pid_file")"
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
    rm -f "$relay_pid_file" "$invite_file"
  fi
}
trap stop_relay_if_unused EXIT

invite="$(cat "$invite_file")"
echo "Relay:  $invite"
# The other rooms' invites (the relay prints one per configured room after the first).
sed -n 's/^invite \([^:]*\): */Room \1: /p' "$data/relay.log" 2>/dev/null || true
echo "This relay listens on this machine only; README.md \"Run a relay on a host\" shows how to host one for others."
[ -z "$started_relay" ] || echo "Closing the last Piazza window stops it."
PIAZZA_INVITE="$invite" PIAZZA_DATA_DIR="$app_data" "$bin/piazza"
