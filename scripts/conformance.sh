#!/usr/bin/env bash
# scripts/conformance.sh — runs the docs' own client code (PHP, Node.js,
# Python, Java, Go: ../shared/conformance/run.sh) against a freshly started
# `h2hpay serve` with an account made by `h2hpay account create`. Exit status
# 0 only if every step of every language passed.
#
# Env: CONFORMANCE_DIR (default ../shared/conformance), OUT (default
# test-output/conformance: the run's output, the gateway's log, and the
# harness's wire log; the harness's rendered client code, Go files among
# them, stays in a temporary folder so that `go test ./...` never sees it).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CONF=${CONFORMANCE_DIR:-$ROOT/../shared/conformance}
[ -x "$CONF/run.sh" ] || { echo "conformance.sh: no harness at $CONF (set CONFORMANCE_DIR)" >&2; exit 1; }
OUT=${OUT:-$ROOT/test-output/conformance}
rm -rf "$OUT"
mkdir -p "$OUT"

go build -o "$OUT/h2hpay" ./cmd/h2hpay
H=$OUT/h2hpay
DATA=$OUT/data
"$H" account create --data "$DATA" --keys-out "$OUT/keys" --name "Conformance shop" --json > "$OUT/account.json"
ACCOUNT=$(sed -E 's/.*"account":"([^"]+)".*/\1/' "$OUT/account.json")
APPLICATION=$(sed -E 's/.*"application":"([^"]+)".*/\1/' "$OUT/account.json")
# The cabinet ids the spec's create code sends: redirect 1 (success and
# fail), notification 5. Nothing listens there: the harness does not check
# notifications, and the gateway just retries.
"$H" endpoint add --data "$DATA" --account "$ACCOUNT" --kind success --url http://127.0.0.1:9/return --id 1 >/dev/null
"$H" endpoint add --data "$DATA" --account "$ACCOUNT" --kind notification --url http://127.0.0.1:9/notify --id 5 >/dev/null

"$H" serve --data "$DATA" --merchant-addr 127.0.0.1:0 --h2h-addr 127.0.0.1:0 --pay-addr 127.0.0.1:0 \
  > "$OUT/serve.out" 2> "$OUT/gateway.log" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  [ "$(grep -c ' on http://' "$OUT/serve.out" 2>/dev/null)" = 3 ] && break
  kill -0 $PID 2>/dev/null || { cat "$OUT/gateway.log" >&2; exit 1; }
  sleep 0.1
done
MERCHANT=$(sed -nE 's/.*merchant API +on (http:\S+).*/\1/p' "$OUT/serve.out")
H2H=$(sed -nE 's/.*H2H API +on (http:\S+).*/\1/p' "$OUT/serve.out")
[ -n "$MERCHANT" ] && [ -n "$H2H" ] || { echo "conformance.sh: the gateway did not start" >&2; cat "$OUT/gateway.log" >&2; exit 1; }
echo "gateway: merchant $MERCHANT, h2h $H2H, account $ACCOUNT"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/h2hpay-conformance.XXXXXX")
set +e
QUIET=${QUIET:-1} WORK="$WORK" "$CONF/run.sh" "$MERCHANT" "$H2H" "$OUT/keys" "$ACCOUNT" "$APPLICATION" > "$OUT/run.log" 2>&1
rc=$?
set -e
mkdir -p "$OUT/work"
cp -r "$WORK/wire.jsonl" "$WORK/calls.tsv" "$WORK/logs" "$OUT/work/" 2>/dev/null || true
rm -rf "$WORK"
sed -n '/^=== summary/,$p' "$OUT/run.log"
echo "conformance stage: ${SECONDS}s (exit $rc; full output in $OUT/run.log, gateway log in $OUT/gateway.log)"
exit $rc
