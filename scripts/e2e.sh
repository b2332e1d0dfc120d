#!/usr/bin/env bash
# Browser tests (end2end/, Playwright on Debian's Chromium).
#
# Usage: scripts/e2e.sh [BASE_URL] [-- PLAYWRIGHT_ARGS...]
#   With BASE_URL (or DUCATPAY_BASE_URL): test the server already running there.
#   Without: build the site (scripts/build-site.sh) and `ducatpay`, start
#   `ducatpay serve` on a free port with a fresh SQLite database, wait for GET /health,
#   run the tests, stop the server.
# Environment:
#   DUCATPAY_BASE_URL      as BASE_URL
#   DUCATPAY_SITE_ROOT     site directory (default: target/site)
#   DUCATPAY_E2E_NO_BUILD  1 to use the binary and site as they are
#   DUCATPAY_CHROMIUM      browser binary (default: /usr/bin/chromium)
#   DUCATPAY_E2E_BIN, DUCATPAY_E2E_DATABASE_URL, DUCATPAY_E2E_OUTBOX
#                          the cabinet tests' admin CLI, database and e-mail outbox
#   DUCATPAY_E2E_API_KEY, DUCATPAY_E2E_SHOP_ID, DUCATPAY_E2E_BRANDED_SHOP_ID
#                          set here for a server this script starts; give them for BASE_URL
# The WASM profile follows build-site.sh (DUCATPAY_WASM_PROFILE).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

base_url="${DUCATPAY_BASE_URL:-}"
pw_args=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --) shift; pw_args=("$@"); break ;;
    -h | --help) sed -n '2,15p' "$0"; exit 0 ;;
    http://* | https://*) base_url="$1"; shift ;;
    *) echo "e2e: unknown argument: $1" >&2; exit 2 ;;
  esac
done

export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
chromium="${DUCATPAY_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$chromium" ]]; then
  echo "e2e: $chromium not found; run scripts/install-tools.sh --browser" >&2
  exit 1
fi

now() { date +%s.%N; }
t_start=$(now)
t_stage=$t_start
stage_done() {
  local t
  t=$(now)
  awk -v a="$t_stage" -v b="$t" -v s="$1" 'BEGIN { printf "e2e: %-14s %6.1fs\n", s, b - a }'
  t_stage=$t
}

scripts/install-tools.sh --npm-only
stage_done "npm"

server_pid=""
tmp=""
cleanup() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  [[ -n "$tmp" ]] && rm -rf "$tmp"
  return 0
}
trap cleanup EXIT

if [[ -z "$base_url" ]]; then
  site_root="${DUCATPAY_SITE_ROOT:-target/site}"
  [[ "$site_root" == /* ]] || site_root="$ROOT/$site_root"
  export DUCATPAY_SITE_ROOT="$site_root"

  if [[ "${DUCATPAY_E2E_NO_BUILD:-0}" != 1 ]]; then
    scripts/build-site.sh
    stage_done "site"
  fi
  if [[ "${DUCATPAY_E2E_NO_BUILD:-0}" == 1 ]]; then
    bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug/ducatpay"
  else
    # The binary's path comes from cargo, so CARGO_TARGET_DIR is respected.
    bin=$(cargo build -p ducatpay --bin ducatpay --message-format=json-render-diagnostics |
      grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d'"' -f4)
  fi
  if [[ -z "$bin" || ! -x "$bin" ]]; then
    echo "e2e: no ducatpay binary (${bin:-cargo reported none})" >&2
    exit 1
  fi
  stage_done "server build"

  tmp=$(mktemp -d)
  port=$(node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
  listen="127.0.0.1:$port"
  base_url="http://$listen"
  echo "e2e: starting $bin serve --listen $listen (log: $tmp/server.log)"
  "$bin" serve --listen "$listen" --database-url "sqlite://$tmp/e2e.db" >"$tmp/server.log" 2>&1 &
  server_pid=$!

  ready=0
  for _ in $(seq 1 300); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "e2e: the server exited early:" >&2
      cat "$tmp/server.log" >&2
      exit 1
    fi
    if curl -fsS -o /dev/null "$base_url/health" 2>/dev/null; then
      ready=1
      break
    fi
    sleep 0.1
  done
  if [[ "$ready" != 1 ]]; then
    echo "e2e: $base_url/health did not answer 200 within 30 s:" >&2
    cat "$tmp/server.log" >&2
    exit 1
  fi
  stage_done "server start"

  # The cabinet's tests make their own organisations with the admin CLI (so lockouts and
  # freezes stay theirs) and read password-reset e-mails from the outbox (no SMTP here).
  export DUCATPAY_E2E_BIN="$bin"
  export DUCATPAY_E2E_DATABASE_URL="sqlite://$tmp/e2e.db"
  export DUCATPAY_E2E_OUTBOX="${DUCATPAY_DATA_DIR:-$ROOT/data}/outbox"

  # Credentials for the tests that check payments through the Payments API (the hosted
  # checkout's), and a second shop with checkout branding (logo, colour, cardholder field).
  db_args=(--database-url "sqlite://$tmp/e2e.db")
  demo=$("$bin" admin demo --json "${db_args[@]}")
  party=$(node -e 'const d = JSON.parse(process.argv[1]); process.stdout.write(d.partyID)' "$demo")
  export DUCATPAY_E2E_API_KEY=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).apiKey)' "$demo")
  export DUCATPAY_E2E_SHOP_ID=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).shopID)' "$demo")
  branded=$("$bin" admin create-shop --json "${db_args[@]}" --party-id "$party" --name "Branded Tea" \
    --url "https://branded.example.com" --bank-name "Sandbox Bank" --account 40702810000000000002 \
    --bik 044525225 --corr-account 30101810400000000225)
  export DUCATPAY_E2E_BRANDED_SHOP_ID=$(node -e 'process.stdout.write(JSON.parse(process.argv[1]).shopID)' "$branded")
  logo="data:image/svg+xml;base64,$(printf '%s' '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill="#8a2be2"/></svg>' | base64 -w0)"
  "$bin" admin set-branding --json "${db_args[@]}" --party-id "$party" --shop-id "$DUCATPAY_E2E_BRANDED_SHOP_ID" \
    --logo-url "$logo" --button-colour "#8a2be2" --ask-cardholder true >/dev/null
  stage_done "test data"
fi

echo "e2e: testing $base_url"
status=0
(cd end2end && DUCATPAY_BASE_URL="$base_url" DUCATPAY_CHROMIUM="$chromium" npx playwright test "${pw_args[@]}") || status=$?
stage_done "playwright"

if [[ "$status" != 0 && -n "$tmp" ]]; then
  echo "e2e: server log (last 50 lines):" >&2
  tail -n 50 "$tmp/server.log" >&2
fi
awk -v a="$t_start" -v b="$(now)" 'BEGIN { printf "e2e: total %.1fs\n", b - a }'
exit "$status"
