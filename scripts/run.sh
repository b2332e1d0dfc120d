#!/usr/bin/env bash
# Builds and runs DucatPay on the embedded SQLite database with demo data.
#
# Usage: scripts/run.sh [--release] [-- extra `ducatpay serve` flags]
# Installs what is missing first (WASM target, wasm-bindgen CLI, npm packages), builds the
# hydrated site and the `ducatpay` binary, then serves on DUCATPAY_LISTEN (127.0.0.1:8080).
# Data (database, master key) lives in DUCATPAY_DATA_DIR (./data).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# One build cache per machine, outside the clone: a fresh clone (CI) reuses earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ducatpay/target}"
export DUCATPAY_SITE_ROOT="${DUCATPAY_SITE_ROOT:-$CARGO_TARGET_DIR/site}"

profile=dev
serve_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --release) profile=release; shift ;;
    --) shift; serve_args=("$@"); break ;;
    -h | --help) sed -n '2,7p' "$0"; exit 0 ;;
    *) serve_args+=("$1"); shift ;;
  esac
done

target_dir="$CARGO_TARGET_DIR"

scripts/install-tools.sh
scripts/build-site.sh
if [[ "$profile" == release ]]; then
  cargo build --release -p ducatpay --bin ducatpay
  bin="$target_dir/release/ducatpay"
else
  cargo build -p ducatpay --bin ducatpay
  bin="$target_dir/debug/ducatpay"
fi
exec "$bin" serve "${serve_args[@]}"
