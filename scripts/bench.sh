#!/usr/bin/env bash
# Load benchmark: full payment flows (invoice -> card token -> instant payment, captured)
# against a real `ducatpay serve`, on SQLite and, when reachable, PostgreSQL.
#
# Usage: scripts/bench.sh [sqlite] [postgres]      (default: both; PostgreSQL only if reachable)
#   For each database: build the release binaries, start `ducatpay serve` on a free port with a
#   fresh database and data directory, take credentials from `ducatpay admin demo --json`,
#   wait for GET /health, run a warm-up and then the measured flows with `ducatpay-bench`,
#   stop the server. Results go to stdout and to $DUCATPAY_BENCH_OUT/<db>.{json,txt}.
# Environment:
#   DUCATPAY_BENCH_FLOWS        measured flows per database (default 2000)
#   DUCATPAY_BENCH_CONCURRENCY  flows in flight (default 32)
#   DUCATPAY_BENCH_WARMUP       warm-up flows, not measured (default 100)
#   DUCATPAY_BENCH_NO_BUILD     1 to use the release binaries as they are
#   DUCATPAY_BENCH_OUT          results directory (default $CARGO_TARGET_DIR/bench)
#   CARGO_TARGET_DIR            build cache (default ~/.cache/ducatpay/target, as scripts/run.sh)
#   DUCATPAY_BENCH_PG           PostgreSQL server URL without a database
#                               (default postgres://postgres@127.0.0.1:5432); a database
#                               ducatpay_bench_<pid> is created and dropped afterwards
#   DUCATPAY_BENCH_PG_ANALYZE   1 to run ANALYZE between the warm-up and the measured run.
#                               A fresh database has no planner statistics until autovacuum
#                               gets to it (about a minute); see docs/BENCHMARKS.md
# Exit status: 0 when every flow of every run ended captured, 1 otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

flows="${DUCATPAY_BENCH_FLOWS:-2000}"
concurrency="${DUCATPAY_BENCH_CONCURRENCY:-32}"
warmup="${DUCATPAY_BENCH_WARMUP:-100}"
out="${DUCATPAY_BENCH_OUT:-${CARGO_TARGET_DIR:-$HOME/.cache/ducatpay/target}/bench}"
pg_server="${DUCATPAY_BENCH_PG:-postgres://postgres@127.0.0.1:5432}"
pg_analyze="${DUCATPAY_BENCH_PG_ANALYZE:-0}"

dbs=()
for arg in "$@"; do
  case "$arg" in
    sqlite | postgres) dbs+=("$arg") ;;
    -h | --help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "bench: unknown argument: $arg" >&2; exit 2 ;;
  esac
done
explicit_pg=0
if [[ ${#dbs[@]} -eq 0 ]]; then
  dbs=(sqlite postgres)
else
  for d in "${dbs[@]}"; do [[ "$d" == postgres ]] && explicit_pg=1; done
fi

# One build cache per machine, outside the clone (as scripts/run.sh and scripts/test.sh).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/ducatpay/target}"
target_dir="$CARGO_TARGET_DIR"
bin="$target_dir/release/ducatpay"
bench="$target_dir/release/ducatpay-bench"
if [[ "${DUCATPAY_BENCH_NO_BUILD:-0}" != 1 ]]; then
  echo "bench: cargo build --release -p ducatpay --bins"
  cargo build --release -p ducatpay --bins
fi
for b in "$bin" "$bench"; do
  if [[ ! -x "$b" ]]; then
    echo "bench: $b not found (build with: cargo build --release -p ducatpay --bins)" >&2
    exit 1
  fi
done
mkdir -p "$out"

server_pid=""
tmp=""
pg_db=""
stop_server() {
  if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}
drop_pg_db() {
  if [[ -n "$pg_db" ]]; then
    psql "$pg_server/postgres" -qAtc "drop database if exists $pg_db with (force)" >/dev/null 2>&1 || true
    pg_db=""
  fi
}
cleanup() {
  stop_server
  drop_pg_db
  [[ -n "$tmp" ]] && rm -rf "$tmp"
  return 0
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# CPU time (clock ticks) of one process, and of all of PostgreSQL's processes (the server
# is usually local and idle otherwise; backends that exit mid-run are not counted).
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# CPU ticks of the whole machine spent in processes (user and system; interrupts left out).
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4; exit }' /proc/stat; }
pg_ticks() {
  local p t=0
  for p in $(pgrep -u postgres -x postgres 2>/dev/null); do
    t=$((t + $(proc_ticks "$p")))
  done
  echo "$t"
}

# run_one NAME DATABASE_URL DATA_DIR [ANALYZE_COMMAND]: one server, a warm-up, the
# optional command between warm-up and measured run, the measured run.
run_one() {
  local name="$1" url="$2" data="$3" analyze="${4:-}"
  local port listen base log
  port=$(free_port)
  listen="127.0.0.1:$port"
  base="http://$listen"
  log="$out/$name-server.log"

  echo
  echo "== $name: ducatpay serve --listen $listen (log: $log)"
  DUCATPAY_LOG=warn "$bin" serve --listen "$listen" --database-url "$url" --data-dir "$data" \
    --no-demo >"$log" 2>&1 &
  server_pid=$!

  local ready=0
  for _ in $(seq 1 300); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "bench: the server exited early:" >&2
      cat "$log" >&2
      server_pid=""
      return 1
    fi
    if curl -fsS -o /dev/null "$base/health" 2>/dev/null; then
      ready=1
      break
    fi
    sleep 0.1
  done
  if [[ "$ready" != 1 ]]; then
    echo "bench: $base/health did not answer 200 within 30 s" >&2
    tail -n 50 "$log" >&2
    stop_server
    return 1
  fi

  # After the server is up: it has applied the migrations and made DATA_DIR/master.key,
  # which the admin command must share to issue a key the server accepts.
  if ! "$bin" admin demo --json --database-url "$url" --data-dir "$data" >"$data/demo.json"; then
    echo "bench: ducatpay admin demo failed" >&2
    stop_server
    return 1
  fi

  if [[ "$warmup" -gt 0 ]]; then
    echo "bench: $warmup warm-up flows"
    if ! "$bench" --base-url "$base" --demo-json "$data/demo.json" --concurrency "$concurrency" \
      --flows "$warmup" --json >"$out/$name-warmup.json"; then
      echo "bench: the warm-up failed:" >&2
      render "$out/$name-warmup.json" >&2 || true
      stop_server
      return 1
    fi
  fi
  if [[ -n "$analyze" ]]; then
    echo "bench: $analyze"
    $analyze
  fi

  local status=0 tick s0 s1 p0 p1 m0 m1
  tick=$(getconf CLK_TCK)
  s0=$(proc_ticks "$server_pid")
  p0=$(pg_ticks)
  m0=$(machine_ticks)
  echo "bench: $flows flows at concurrency $concurrency"
  TIMEFORMAT='%R %U %S'
  { time "$bench" --base-url "$base" --demo-json "$data/demo.json" --concurrency "$concurrency" \
    --flows "$flows" --json >"$out/$name.json" 2>"$out/$name-bench.err" || status=$?; } 2>"$data/bench.time"
  s1=$(proc_ticks "$server_pid")
  p1=$(pg_ticks)
  m1=$(machine_ticks)
  stop_server
  if [[ ! -s "$out/$name.json" ]]; then
    echo "bench: ducatpay-bench produced no result (exit $status):" >&2
    cat "$out/$name-bench.err" >&2
    return 1
  fi
  # CPU seconds spent during the measured run, to see who used the shared cores. "other" is
  # the rest of the machine: well above zero means something else competed for the CPUs
  # and the figures are not clean.
  local cpu
  cpu=$(awk -v s=$((s1 - s0)) -v p=$((p1 - p0)) -v m=$((m1 - m0)) -v t="$tick" -v db="$name" \
    -v n="$(nproc)" '
    { pg = (db == "postgres" ? p / t : 0)
      printf "{\"available\": %.2f, \"server\": %.2f, \"bench\": %.2f, \"postgres\": %s, \"other\": %.2f}",
        $1 * n, s / t, $2 + $3, (db == "postgres" ? sprintf("%.2f", pg) : "null"),
        m / t - s / t - ($2 + $3) - pg }' "$data/bench.time")
  jq --argjson cpu "$cpu" --arg analyzed "${analyze:+yes}" \
    '. + {cpuSeconds: $cpu, analyzedAfterWarmup: ($analyzed == "yes")}' \
    "$out/$name.json" >"$out/$name.json.tmp" && mv "$out/$name.json.tmp" "$out/$name.json"
  render "$out/$name.json" | tee "$out/$name.txt"
  # DUCATPAY_LOG=warn: every log line is a warning or an error worth a look.
  local noisy
  noisy=$(grep -cE 'WARN|ERROR' "$log" || true)
  if [[ "$noisy" -gt 0 ]]; then
    echo "bench: the server logged $noisy warnings/errors; the first 10 (all in $log):"
    grep -E 'WARN|ERROR' "$log" | head -n 10
  fi
  return "$status"
}

# Human-readable view of a ducatpay-bench --json result.
render() {
  jq -r '
    def f: if . == null then "-" else (. * 100 | round / 100 | tostring) end;
    "\(.flows) flows (\(.ok) ok, \(.errors) errors) in \(.wallSeconds) s, concurrency \(.concurrency)",
    "throughput: \(.flowsPerSecond) ok flows/s" +
      (if .polledFlows > 0 then "; \(.polledFlows) flows needed \(.polls) status polls" else "" end),
    (if .cpuSeconds then
      "cpu seconds of \(.cpuSeconds.available) available: server \(.cpuSeconds.server), bench \(.cpuSeconds.bench)" +
      (if .cpuSeconds.postgres != null then ", postgres \(.cpuSeconds.postgres)" else "" end) +
      ", rest of the machine \(.cpuSeconds.other)" +
      (if .analyzedAfterWarmup then " (tables analyzed after the warm-up)" else "" end)
     else empty end),
    "",
    "latency ms               count      p50      p90      p99      max",
    (.latencyMs as $l | ["createInvoice", "createPaymentResource", "createPayment", "flow"][] |
      . as $k | $l[$k] |
      "\($k | . + " " * (22 - length)) \(.count | tostring | " " * (7 - length) + .)" +
      ([.p50, .p90, .p99, .max] | map(f | " " * (9 - length) + .) | join(""))),
    (if .errors > 0 then
      "", "errors by kind:", (.errorKinds | to_entries[] | "  \(.value)  \(.key)"),
      "first errors:", (.firstErrors[] | "  " + .)
     else empty end)
  ' "$1"
}

overall=0
ran=()
for db in "${dbs[@]}"; do
  tmp=$(mktemp -d)
  case "$db" in
    sqlite)
      run_one sqlite "sqlite://$tmp/bench.db" "$tmp" || overall=1
      ran+=(sqlite)
      ;;
    postgres)
      if ! psql "$pg_server/postgres" -qAtc 'select 1' >/dev/null 2>&1; then
        echo
        echo "== postgres: not reachable at $pg_server, skipped"
        [[ "$explicit_pg" == 1 ]] && overall=1
      else
        pg_db="ducatpay_bench_$$"
        psql "$pg_server/postgres" -qAtc "create database $pg_db" >/dev/null
        analyze=""
        if [[ "$pg_analyze" == 1 ]]; then
          analyze="psql $pg_server/$pg_db -qAtc analyze"
        fi
        run_one postgres "$pg_server/$pg_db" "$tmp" "$analyze" || overall=1
        ran+=(postgres)
        drop_pg_db
      fi
      ;;
  esac
  rm -rf "$tmp"
  tmp=""
done

echo
echo "== summary ($(nproc) cores, bench and server on the same machine)"
printf '%-10s %8s %7s %9s %9s %9s %9s %9s %9s %9s %9s\n' database 'flows/s' errors \
  'inv p50' 'inv p99' 'res p50' 'res p99' 'pay p50' 'pay p99' 'flow p99' 'other cpu'
for db in "${ran[@]}"; do
  [[ -s "$out/$db.json" ]] || continue
  jq -r --arg db "$db" '
    [$db, .flowsPerSecond, .errors,
     .latencyMs.createInvoice.p50, .latencyMs.createInvoice.p99,
     .latencyMs.createPaymentResource.p50, .latencyMs.createPaymentResource.p99,
     .latencyMs.createPayment.p50, .latencyMs.createPayment.p99, .latencyMs.flow.p99,
     "\(.cpuSeconds.other // "-") s"]
    | map(tostring) | @tsv' "$out/$db.json" |
    awk -F'\t' '{ printf "%-10s %8s %7s %9s %9s %9s %9s %9s %9s %9s %9s\n", $1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11 }'
done
echo "(latencies in ms; other cpu: CPU seconds used by the rest of the machine during the"
echo " measured run, which should be near 0 for clean figures; full results in $out)"
exit "$overall"
