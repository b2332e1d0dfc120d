#!/usr/bin/env bash
# Measures the hosted checkout's size and timing budget (docs/BENCHMARKS.md, "Checkout page").
#
# Usage: scripts/measure-checkout.sh [BASE_URL] [RUNS]
#   With BASE_URL: measure the server running there (it must serve /demo/shop).
#   Without: build the site (release WASM + wasm-opt, as shipped) and `ducatpay`, start it on a
#   free port with a fresh SQLite database, measure, stop it.
# Prints a Markdown section; exits non-zero when the page is over budget
# (HTML + CSS > 30 KB gzipped, or the whole hydrated page > 150 KB gzipped).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

base_url="${1:-}"
runs="${2:-7}"
scripts/install-tools.sh --npm-only >&2
server_pid=""
tmp=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [[ -n "$tmp" ]] && rm -rf "$tmp"
  return 0
}
trap cleanup EXIT

if [[ -z "$base_url" ]]; then
  # The same per-machine build cache as scripts/test.sh and scripts/run.sh.
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ducatpay/target}"
  export DUCATPAY_SITE_ROOT="${DUCATPAY_SITE_ROOT:-$CARGO_TARGET_DIR/site}"
  scripts/build-site.sh --release >&2
  bin=$(cargo build -p ducatpay --bin ducatpay --message-format=json-render-diagnostics |
    grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d'"' -f4)
  tmp=$(mktemp -d)
  port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
  base_url="http://127.0.0.1:$port"
  "$bin" serve --listen "127.0.0.1:$port" --database-url "sqlite://$tmp/m.db" --data-dir "$tmp" >"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "$base_url/health" 2>/dev/null && break
    sleep 0.1
  done
fi

echo "## Checkout page"
echo
echo "Measured $(date -u +%Y-%m-%d) by \`scripts/measure-checkout.sh\` (release WASM, wasm-opt -Oz) on $(nproc) cores."
echo
cd end2end && node measure/checkout-budget.mjs "$base_url" "$runs"
