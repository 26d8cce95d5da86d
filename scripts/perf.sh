#!/usr/bin/env bash
# scripts/perf.sh — the measurements of docs/performance.md, one run each:
# `h2hpay bench` create and flow against h2hpay serve on SQLite and on
# PostgreSQL (one instance, then two on one database), with 10 k and then
# 1 M payments stored. Everything on loopback; takes about 25 minutes.
# Needs jq, psql and openssl besides what scripts/test.sh installs.
#
#   scripts/perf.sh [OUT]        OUT defaults to test-output/perf
#
# Env: CREATE_N (20000), FLOW_N (2000), C (16), BIG (1000000).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-test-output/perf}
CREATE_N=${CREATE_N:-20000} FLOW_N=${FLOW_N:-2000} C=${C:-16} BIG=${BIG:-1000000}
rm -rf "$OUT"; mkdir -p "$OUT"
go build -o "$OUT/h2hpay" ./cmd/h2hpay
H=$OUT/h2hpay
export H2HPAY_MASTER_KEY=$(openssl rand -hex 32)
PIDS=()
PGDIR=
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$PGDIR" ] && scripts/postgres.sh stop "$PGDIR" >/dev/null 2>&1 && rm -rf "$PGDIR"
}
trap cleanup EXIT

serve() { # serve NAME PORTBASE [--db URL]: starts an instance, waits for it
  local name=$1 base=$2; shift 2
  "$H" serve --data "$OUT/$name" "$@" --merchant-addr 127.0.0.1:$base --h2h-addr 127.0.0.1:$((base+1)) \
    --pay-addr 127.0.0.1:$((base+2)) --admin-addr "" --log-level warn > "$OUT/$name.out" 2> "$OUT/$name.log" &
  PIDS+=($!)
  for _ in $(seq 100); do grep -q "payer pages" "$OUT/$name.out" 2>/dev/null && return; sleep 0.1; done
  echo "instance $name did not start" >&2; cat "$OUT/$name.log" >&2; exit 1
}
bench() { # bench LABEL MODE N MERCHANTS H2HS
  echo "--- $1: $2" >&2
  "$H" bench --mode "$2" -n "$3" -c "$C" --merchant-url "$4" --h2h-url "$5" \
    --keys "$OUT/keys" --account "$ACCOUNT" --application "$APPLICATION" --json | tee -a "$OUT/$1.jsonl" >&2
}
account() { # account DATA [--db URL]
  "$H" account create --data "$@" --keys-out "$OUT/keys" --json > "$OUT/account.json"
  ACCOUNT=$(sed -E 's/.*"account":"([^"]+)".*/\1/' "$OUT/account.json")
  APPLICATION=$(sed -E 's/.*"application":"([^"]+)".*/\1/' "$OUT/account.json")
}
seed() { "$H" bench seed --account "$ACCOUNT" --payments "$1" "${@:2}" >&2; }

# SQLite, one instance.
account "$OUT/sqlite"
serve sqlite 21080
seed 10000 --data "$OUT/sqlite"
bench sqlite-10k create "$CREATE_N" http://127.0.0.1:21080 http://127.0.0.1:21081
bench sqlite-10k flow "$FLOW_N" http://127.0.0.1:21080 http://127.0.0.1:21081
seed $((BIG - 10000 - CREATE_N - FLOW_N)) --data "$OUT/sqlite"
bench sqlite-1m create "$CREATE_N" http://127.0.0.1:21080 http://127.0.0.1:21081
bench sqlite-1m flow "$FLOW_N" http://127.0.0.1:21080 http://127.0.0.1:21081
kill "${PIDS[@]}"; wait 2>/dev/null || true; PIDS=()
rm -rf "$OUT/keys"

# PostgreSQL: one instance, then two on the same database.
PGDIR=$(mktemp -d /tmp/h2hpay-perf-pg.XXXXXX)
pgenv=$(scripts/postgres.sh start "$PGDIR"); eval "$pgenv"
DB=${H2HPAY_TEST_POSTGRES/\/postgres\?/\/h2hpay_perf?}
psql "$H2HPAY_TEST_POSTGRES" -qc "CREATE DATABASE h2hpay_perf" >/dev/null
account "$OUT/pg-a" --db "$DB"
serve pg-a 22080 --db "$DB"
serve pg-b 23080 --db "$DB"
TWO_M=http://127.0.0.1:22080,http://127.0.0.1:23080 TWO_H=http://127.0.0.1:22081,http://127.0.0.1:23081
seed 10000 --data "$OUT/pg-a" --db "$DB"
bench pg-10k-1 create "$CREATE_N" http://127.0.0.1:22080 http://127.0.0.1:22081
bench pg-10k-1 flow "$FLOW_N" http://127.0.0.1:22080 http://127.0.0.1:22081
bench pg-10k-2 create "$CREATE_N" "$TWO_M" "$TWO_H"
bench pg-10k-2 flow "$FLOW_N" "$TWO_M" "$TWO_H"
seed $((BIG - 10000 - 2 * CREATE_N - 2 * FLOW_N)) --data "$OUT/pg-a" --db "$DB"
bench pg-1m-1 create "$CREATE_N" http://127.0.0.1:22080 http://127.0.0.1:22081
bench pg-1m-1 flow "$FLOW_N" http://127.0.0.1:22080 http://127.0.0.1:22081
bench pg-1m-2 create "$CREATE_N" "$TWO_M" "$TWO_H"
bench pg-1m-2 flow "$FLOW_N" "$TWO_M" "$TWO_H"

echo
printf '%-12s %-7s %9s %9s %9s %8s %9s\n' run mode ops/s p50_ms p99_ms errors notified
for f in "$OUT"/*.jsonl; do
  while read -r line; do
    label=$(basename "$f" .jsonl)
    printf '%-12s %-7s %9.0f %9.1f %9.1f %8s %9s\n' "$label" \
      "$(jq -r .mode <<<"$line")" "$(jq -r .ops_per_second <<<"$line")" \
      "$(jq -r 'if .mode=="create" then .latency.create.p50_ms else .latency.flow.p50_ms end' <<<"$line")" \
      "$(jq -r 'if .mode=="create" then .latency.create.p99_ms else .latency.flow.p99_ms end' <<<"$line")" \
      "$(jq -r '[.errors[]] | add // 0' <<<"$line")" "$(jq -r '.notified // "-"' <<<"$line")"
  done < "$f"
done
