#!/usr/bin/env bash
# Installs what building and testing the site needs, and only what is missing or of the wrong
# version. Safe to run on every CI run: on a machine that has everything it takes a few seconds.
#
# Usage: scripts/install-tools.sh [--browser] [--npm-only]
#   (default)   rustup target wasm32-unknown-unknown; wasm-bindgen-cli at the version in
#               Cargo.lock; npm packages of end2end/ (Playwright, and binaryen's wasm-opt)
#   --browser   also Debian's chromium + chromium-driver (apt-get) when /usr/bin/chromium is missing
#   --npm-only  only the npm packages of end2end/
#
# Nothing here downloads a browser or a prebuilt binary from outside the package registries:
# Playwright's browser download is disabled, and Chromium comes from Debian.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

want_browser=0
npm_only=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    --npm-only) npm_only=1 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "install-tools: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

now() { date +%s.%N; }
t_start=$(now)
t_stage=$t_start
stage_done() {
  local t
  t=$(now)
  awk -v a="$t_stage" -v b="$t" -v s="$1" 'BEGIN { printf "install-tools: %-16s %6.1fs\n", s, b - a }'
  t_stage=$t
}

if [[ "$npm_only" == 0 ]]; then
  # 1. The WASM target.
  if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "install-tools: wasm32-unknown-unknown present"
  else
    rustup target add wasm32-unknown-unknown
  fi
  stage_done "wasm32 target"

  # 2. wasm-bindgen CLI: must equal the wasm-bindgen crate in Cargo.lock exactly.
  # (`--locked` fails to resolve for this crate; see shared BUILD.md.)
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
  if [[ "$have" == "$want" ]]; then
    echo "install-tools: wasm-bindgen $have present"
  else
    echo "install-tools: wasm-bindgen ${have:-missing}, want $want: cargo install (a few minutes)"
    cargo install wasm-bindgen-cli --version "$want"
  fi
  stage_done "wasm-bindgen-cli"
fi

# 3. npm packages of end2end/ (exact versions from package-lock.json).
# node_modules/.package-lock.json is npm's record of what is installed; it is newer than
# package-lock.json after a successful install.
if ! command -v npm >/dev/null; then
  echo "install-tools: npm not found (Node.js is needed for Playwright and wasm-opt)" >&2
  exit 1
fi
installed_lock=end2end/node_modules/.package-lock.json
if [[ -f "$installed_lock" && ! end2end/package-lock.json -nt "$installed_lock" && ! end2end/package.json -nt "$installed_lock" ]]; then
  echo "install-tools: end2end/node_modules up to date"
else
  (cd end2end && npm ci --no-audit --no-fund)
fi
stage_done "npm ci"

# 4. Chromium from Debian, only when asked.
if [[ "$want_browser" == 1 ]]; then
  if [[ -x /usr/bin/chromium ]]; then
    echo "install-tools: $(/usr/bin/chromium --version 2>/dev/null | head -n 1) present"
  else
    apt-get update
    apt-get install -y chromium chromium-driver
  fi
  stage_done "chromium"
fi

awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "install-tools: total %.1fs\n", b - a }'
