#!/usr/bin/env bash
# Installs the Debian 12 packages Piazza needs to build and test, if any are missing.
# Runs apt-get as root, or through sudo.
set -euo pipefail
# GUI end-to-end tests: Xvfb displays with the Openbox window manager, real input with
# xdotool, screenshots with ImageMagick; procps (pgrep), iproute2 (ss) and util-linux
# (flock) for scripts/up.sh and its test, and (unshare, ip) for the network namespace of
# the rooms-nearby test (common/engine/tests/nearby.rs); xclip to read what the app
# copied; nats-server (2.9 on Debian 12) for the relay's
# --cluster tests (relay/tests/cluster.rs start a 3-node cluster of it).
packages=(build-essential pkg-config libwebkit2gtk-4.1-dev libgtk-3-dev libxdo-dev
  libsoup-3.0-dev xvfb xauth xdotool openbox fonts-dejavu-core clang llvm imagemagick
  systemd procps iproute2 util-linux nats-server xclip)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if command -v rustup >/dev/null 2>&1; then
  rustup target list --installed | grep -q aarch64-linux-android ||
    rustup target add aarch64-linux-android
fi
