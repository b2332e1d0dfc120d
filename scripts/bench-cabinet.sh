#!/usr/bin/env bash
# The cabinet's operations list on a shop with many payments (default 1 000 000): fills a fresh
# SQLite database (and a PostgreSQL one when the server answers) and times the engine searches
# behind the cabinet's Payments / Invoices / Refunds tabs and GET /v2/analytics/shops/… .
# Prints Markdown tables (docs/BENCHMARKS.md, "Cabinet operations list").
#
# Usage: scripts/bench-cabinet.sh [N]
# Environment:
#   DUCATPAY_BENCH_PG_URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres;
#                          a database dp_bench_cabinet is dropped and made there)
#   DUCATPAY_SKIP_PG=1     SQLite only
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
n="${1:-1000000}"
bin=$(cargo build --release -p ducatpay --bin ducatpay-bench-cabinet --message-format=json-render-diagnostics |
  grep -o '"executable":"[^"]*"' | tail -n 1 | cut -d'"' -f4)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "## SQLite"
"$bin" "sqlite://$tmp/bench.db" "$n"
if [[ "${DUCATPAY_SKIP_PG:-0}" != 1 ]]; then
  pg="${DUCATPAY_BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if psql "$pg" -qc 'select 1' >/dev/null 2>&1; then
    psql "$pg" -qc 'drop database if exists dp_bench_cabinet' -c 'create database dp_bench_cabinet' >/dev/null
    echo
    echo "## PostgreSQL"
    "$bin" "${pg%/*}/dp_bench_cabinet" "$n"
    psql "$pg" -qc 'drop database if exists dp_bench_cabinet' >/dev/null
  else
    echo "PostgreSQL at $pg does not answer; skipped" >&2
  fi
fi
