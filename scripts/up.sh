#!/usr/bin/env bash
# Brings Piazza up on this machine: a local relay (data in .piazza/, UDP 127.0.0.1:4433
# unless PIAZZA_PORT says otherwise) and the desktop app with the relay's invite filled in.
# Closing the app stops the relay. Run it again to add a second app window:
#   PIAZZA_APP_ONLY=1 PIAZZA_APP_DATA=.piazza/app2 scripts/up.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
port="${PIAZZA_PORT:-4433}"
data="${PIAZZA_LOCAL_DIR:-$PWD/.piazza}"
mkdir -p "$data"
echo "Building the relay and the app (the first build takes a few minutes)..."
cargo build --quiet -p relay -p app

relay_pid=""
if [ -z "${PIAZZA_APP_ONLY:-}" ]; then
  log="$data/relay.log"
  RUST_LOG="${RUST_LOG:-info}" target/debug/piazza-relay \
    --listen "127.0.0.1:$port" --data-dir "$data/relay" >"$log" 2>&1 &
  relay_pid=$!
  trap 'kill "$relay_pid" 2>/dev/null; wait "$relay_pid" 2>/dev/null || true' EXIT
  for _ in $(seq 1 100); do
    grep -q '^invite:' "$log" 2>/dev/null && break
    if ! kill -0 "$relay_pid" 2>/dev/null; then
      echo "The relay did not start:" >&2
      cat "$log" >&2
      exit 1
    fi
    sleep 0.1
  done
fi
invite="$(grep -m1 '^invite:' "$data/relay.log" | awk '{print $2}')"
if [ -z "$invite" ]; then
  echo "No invite found in $data/relay.log" >&2
  exit 1
fi
echo "Relay:  $invite"
echo "This relay listens on this machine only; README.md \"Run a relay on a host\" shows how to host one for others."
PIAZZA_INVITE="$invite" PIAZZA_DATA_DIR="${PIAZZA_APP_DATA:-$data/app}" target/debug/piazza
