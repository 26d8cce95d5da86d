#!/usr/bin/env bash
# scripts/test.sh — installs what the tests need on a fresh Debian machine,
# then runs every test. CI (.ci/run) runs exactly this.
#
#   scripts/test.sh            install (only what is missing), vet, Go tests,
#                              then the docs' client code in five languages
#   SKIP_INSTALL=1 scripts/test.sh   skip the apt/npm step (a machine already set up)
#
# Needs Go (the version in go.mod) on PATH or in /usr/local/go, root or sudo
# for apt-get, and the conformance harness at ../shared/conformance (or
# CONFORMANCE_DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export PATH="$PATH:/usr/local/go/bin"
T0=$SECONDS
step() { printf '\n=== %s (%ss)\n' "$*" "$((SECONDS - T0))"; }

command -v go >/dev/null || { echo "test.sh: Go is not installed (see go.mod for the version)" >&2; exit 1; }
CONF=${CONFORMANCE_DIR:-$ROOT/../shared/conformance}
[ -x "$CONF/run.sh" ] || { echo "test.sh: no conformance harness at $CONF (set CONFORMANCE_DIR)" >&2; exit 1; }
export CONFORMANCE_DIR=$CONF

if [ "${SKIP_INSTALL:-}" != 1 ]; then
  step "installing test dependencies"
  SUDO=
  [ "$(id -u)" = 0 ] || SUDO=sudo
  APT=($SUDO env DEBIAN_FRONTEND=noninteractive apt-get -y -q -o DPkg::Lock::Timeout=600)
  # openssl: key-format tests; php-cli: the docs' PHP verifier in the signature
  # tests; postgresql: the throwaway server the PostgreSQL store and the second
  # end-to-end pass run on; chromium: the browser tests.
  want=(openssl php-cli ca-certificates postgresql chromium fonts-dejavu-core)
  missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    "${APT[@]}" update
    "${APT[@]}" install --no-install-recommends "${missing[@]}"
  fi
  # PHP (curl), Node.js + Express, Python (cryptography, requests, flask),
  # Java (BouncyCastle, Jackson, Jetty): what the docs' clients need.
  "$CONF/install-deps.sh"
fi

step "starting a throwaway PostgreSQL on 127.0.0.1"
PGDIR=$(mktemp -d /tmp/h2hpay-pg.XXXXXX)
trap 'scripts/postgres.sh stop "$PGDIR" >/dev/null 2>&1 || true; rm -rf "$PGDIR"' EXIT
pgenv=$(scripts/postgres.sh start "$PGDIR")
eval "$pgenv"
export H2HPAY_TEST_POSTGRES

step "go vet"
go vet ./...

step "go test -race (SQLite and PostgreSQL stores, end-to-end on SQLite)"
go test -race -count=1 ./...

step "end-to-end tests again, on PostgreSQL (with two gateway instances on one database)"
H2HPAY_E2E_POSTGRES=$H2HPAY_TEST_POSTGRES go test -race -count=1 ./cmd/h2hpay/

step "conformance: the docs' client code against h2hpay serve"
scripts/conformance.sh

step "done in $((SECONDS - T0))s"
