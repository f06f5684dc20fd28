#!/usr/bin/env bash
# Builds the app with the Dioxus CLI, as a release would: installs `dx` at the version of
# `dioxus` in Cargo.lock if it is missing (about 16 minutes on 2 cores, once), then
# `dx build` for the desktop, which reads and checks Dioxus.toml. `--android` also tries
# `dx bundle --platform android`, which needs the Android SDK and NDK
# (ANDROID_HOME / ANDROID_NDK_HOME); see README.md "Android" for what that needs.
# Not part of scripts/test.sh: CI does not need dx.
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(awk '/^name = "dioxus"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
if ! command -v dx >/dev/null 2>&1 || [ "$(dx --version | awk '{print $2}')" != "$version" ]; then
  echo "Installing dioxus-cli $version (takes a while, once)..."
  cargo install "dioxus-cli@$version" --locked
fi
echo "== dx $(dx --version | awk '{print $2}'): desktop build"
dx build -p app --platform desktop
if [ "${1:-}" = "--android" ]; then
  echo "== dx bundle for Android"
  dx bundle -p app --platform android --release
fi
