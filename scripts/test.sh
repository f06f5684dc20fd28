#!/usr/bin/env bash
# Every check CI runs: formatting, lints, all tests (the GUI tests start their own
# virtual displays and drive real app windows with X input), and the Android
# type-check of the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test"
cargo test --workspace
echo "== cargo check for aarch64-linux-android (app, mobile feature)"
CC_aarch64_linux_android="clang --target=aarch64-linux-android24" \
CFLAGS_aarch64_linux_android="-nostdlibinc -DRING_CORE_NOSTDLIBINC=1" \
AR_aarch64_linux_android=llvm-ar \
  cargo check --target aarch64-linux-android -p app --no-default-features --features mobile
echo "== all checks passed"
