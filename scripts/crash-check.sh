#!/usr/bin/env bash
# Crash safety: kill -9 the server in the middle of a payment load, then show that the database
# is consistent (`ducatpay admin verify`) and that the workers finish what the crash interrupted.
#
# Usage: scripts/crash-check.sh [sqlite|postgres]   (default sqlite)
# PostgreSQL: DUCATPAY_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres); a fresh
# database is made for the run.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
backend="${1:-sqlite}"

cargo build -q -p ducatpay --bins
bin="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
tmp=$(mktemp -d)
server_pid=""
load_pids=()
cleanup() {
  [[ -n "$server_pid" ]] && kill -9 "$server_pid" 2>/dev/null || true
  for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

case "$backend" in
  sqlite) db="sqlite://$tmp/crash.db" ;;
  postgres)
    pg="${DUCATPAY_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
    name="dp_crash_$(date +%s)"
    psql "$pg" -qc "create database $name"
    db="${pg%/*}/$name"
    ;;
  *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
common=(--database-url "$db" --data-dir "$tmp")

start_server() {
  DUCATPAY_LOG=warn "$bin/ducatpay" serve --listen "127.0.0.1:$port" "${common[@]}" --no-demo \
    --worker-interval-ms 200 >>"$tmp/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -fs "$base/health" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "server did not start"; cat "$tmp/server.log"; exit 1
}

start_server
demo=$("$bin/ducatpay" admin demo --json "${common[@]}")
key=$(echo "$demo" | jq -r .apiKey)
shop=$(echo "$demo" | jq -r .shopID)

# Load: instant payments from the bench, plus holds that are captured and refunded.
echo "$demo" >"$tmp/demo.json"
"$bin/ducatpay-bench" --base-url "$base" --demo-json "$tmp/demo.json" --flows 100000 --concurrency 12 \
  >"$tmp/bench.log" 2>&1 &
load_pids+=($!)
(
  h=(-H "Authorization: Bearer $key" -H "Content-Type: application/json")
  while true; do
    inv=$(curl -s "$base/v2/processing/invoices" "${h[@]}" -H "X-Request-ID: c$RANDOM" \
      -d "{\"shopID\":\"$shop\",\"dueDate\":\"2099-01-01T00:00:00Z\",\"amount\":5000,\"currency\":\"RUB\",\"product\":\"crash\",\"metadata\":{}}" |
      jq -r .invoice.id) || continue
    res=$(curl -s "$base/v2/processing/payment-resources" "${h[@]}" -H "X-Request-ID: c$RANDOM" \
      -d '{"paymentTool":{"paymentToolType":"CardData","cardNumber":"5555555555554444","expDate":"12/30"},"clientInfo":{"fingerprint":"crash"}}') || continue
    curl -s "$base/v2/processing/invoices/$inv/payments" "${h[@]}" -H "X-Request-ID: c$RANDOM" \
      -d "{\"flow\":{\"type\":\"PaymentFlowHold\"},\"payer\":{\"payerType\":\"PaymentResourcePayer\",\"paymentToolToken\":$(echo "$res" | jq .paymentToolToken),\"paymentSession\":$(echo "$res" | jq .paymentSession),\"contactInfo\":{}}}" >/dev/null || continue
    curl -s "$base/v2/processing/invoices/$inv/payments/1/capture" "${h[@]}" -H "X-Request-ID: c$RANDOM" -d '{"reason":"x","amount":4000}' >/dev/null || continue
    curl -s "$base/v2/processing/invoices/$inv/payments/1/refunds" "${h[@]}" -H "X-Request-ID: c$RANDOM" -d '{"amount":1500}' >/dev/null || continue
  done
) >/dev/null 2>&1 &
load_pids+=($!)

sleep "${DUCATPAY_CRASH_AFTER:-5}"
kill -9 "$server_pid"
server_pid=""
for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
q() { "$bin/ducatpay" admin verify --json "${common[@]}"; }
counts() {
  case "$backend" in
    sqlite) sqlite3 "$tmp/crash.db" "$1" 2>/dev/null || python3 -c "import sqlite3,sys; print(sqlite3.connect('$tmp/crash.db').execute(sys.argv[1]).fetchone()[0])" "$1" ;;
    postgres) psql "$db" -Atc "$1" ;;
  esac
}
echo "== after kill -9: $(counts "select count(*) from payments") payments, $(counts "select count(*) from refunds") refunds"
echo "   in flight: $(counts "select count(*) from payments where status = 'pending' or pending_op is not null or (status = 'processed' and flow_type = 'PaymentFlowInstant')") payments, $(counts "select count(*) from refunds where status = 'pending'") refunds"
q | tee "$tmp/verify1.json"
jq -e .ok "$tmp/verify1.json" >/dev/null || { echo "FAIL: inconsistent right after the crash"; exit 1; }

# Restart; the recovery worker takes over work untouched for 60 s (moved forward here).
start_server
"$bin/ducatpay" admin run-workers --json --advance-seconds 120 "${common[@]}"
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
left=$(counts "select count(*) from payments where (status = 'pending' and user_interaction_json is null) or pending_op is not null or (status = 'processed' and flow_type = 'PaymentFlowInstant')")
left_refunds=$(counts "select count(*) from refunds where status = 'pending'")
q | tee "$tmp/verify2.json"
jq -e .ok "$tmp/verify2.json" >/dev/null || { echo "FAIL: inconsistent after recovery"; exit 1; }
if [[ "$left" != 0 || "$left_refunds" != 0 ]]; then
  echo "FAIL: $left payments and $left_refunds refunds still unfinished after recovery"
  exit 1
fi
echo "crash-check ($backend): consistent after kill -9 and after recovery"
