#!/usr/bin/env bash
# The full test suite: formatting, lints, unit and API tests on SQLite and on PostgreSQL,
# and the browser tests. Installs what is missing first; starts PostgreSQL if it is down.
#
# Environment:
#   DUCATPAY_TEST_PG_URL   PostgreSQL server for the second run
#                          (default postgres://postgres@127.0.0.1:5432/postgres)
#   DUCATPAY_SKIP_PG=1     skip the PostgreSQL run (not for CI)
#   DUCATPAY_SKIP_E2E=1    skip the browser tests (not for CI)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
# One build cache per machine, outside the clone: a fresh clone (CI) reuses earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ducatpay/target}"
export DUCATPAY_SITE_ROOT="${DUCATPAY_SITE_ROOT:-$CARGO_TARGET_DIR/site}"

now() { date +%s; }
t0=$(now)
stage_start=$t0
stage() {
  local t
  t=$(now)
  printf '== %-34s %4ss (total %ss)\n' "$1" "$((t - stage_start))" "$((t - t0))"
  stage_start=$t
}

scripts/install-tools.sh --browser
stage "tools"

cargo fmt --all -- --check
stage "cargo fmt --check"

# The app crate is built for the server (ssr) and for the browser (hydrate), never both at once.
cargo clippy -p ducatpay-engine -p ducatpay -p ducatpay-checkout --all-targets -- -D warnings
cargo clippy -p ducatpay-frontend --target wasm32-unknown-unknown -- -D warnings
# The hosted checkout's island as the browser gets it (feature `hydrate`, its own bundle).
cargo clippy -p ducatpay-checkout -p ducatpay-checkout-frontend --target wasm32-unknown-unknown -- -D warnings
stage "clippy"

# Compile once; the same test binaries then run against both databases.
cargo test -p ducatpay-engine -p ducatpay -p ducatpay-checkout --no-run
stage "build tests"

cargo test -p ducatpay-engine -p ducatpay -p ducatpay-checkout
cargo test -p ducatpay-app --features ssr --lib
stage "tests on SQLite"

if [[ "${DUCATPAY_SKIP_PG:-0}" != 1 ]]; then
  pg_url="${DUCATPAY_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "PostgreSQL is down; starting it"
    if command -v pg_ctlcluster >/dev/null; then
      pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    fi
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  fi
  # Drop what earlier runs left behind (one database per test).
  psql "$pg_url" -Atc "select datname from pg_database where datname like 'dp_test_%' or datname like 'dp_crash_%'" 2>/dev/null |
    while read -r db; do psql "$pg_url" -qc "drop database if exists $db" >/dev/null 2>&1 || true; done
  DUCATPAY_TEST_DATABASE_URL="$pg_url" cargo test -p ducatpay-engine -p ducatpay
  stage "tests on PostgreSQL"
fi

# kill -9 in the middle of a load run, then `ducatpay admin verify` and recovery.
scripts/crash-check.sh sqlite
[[ "${DUCATPAY_SKIP_PG:-0}" != 1 ]] && DUCATPAY_TEST_PG_URL="${pg_url:-}" scripts/crash-check.sh postgres
stage "crash checks"

if [[ "${DUCATPAY_SKIP_E2E:-0}" != 1 ]]; then
  scripts/e2e.sh
  stage "browser tests"
fi

echo "All tests passed in $(( $(now) - t0 ))s"
