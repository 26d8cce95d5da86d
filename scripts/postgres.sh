#!/usr/bin/env bash
# scripts/postgres.sh — a throwaway PostgreSQL cluster for the tests of
# internal/postgres.
#
#   scripts/postgres.sh start DIR   initdb a new cluster in DIR (or reuse the one
#                                   there), start it, and print
#                                   export H2HPAY_TEST_POSTGRES=postgres://…
#   scripts/postgres.sh stop DIR    stop it (DIR stays; rm -rf it after)
#
# In a `set -e` script, assign first, so that a failed start stops it
# (eval "$(…)" alone succeeds on the empty output):
#
#   DIR=$(mktemp -d /tmp/h2hpay-pg.XXXXXX)
#   trap 'scripts/postgres.sh stop "$DIR"; rm -rf "$DIR"' EXIT
#   out=$(scripts/postgres.sh start "$DIR")
#   eval "$out"
#
# The cluster trusts every local connection, listens only on 127.0.0.1 on a
# free port (and on a unix socket in DIR), and runs with fsync off: it is for
# tests, never for data. Everything but the export line goes to stderr; the
# server's log is DIR/postgres.log.
#
# initdb refuses to run as root, so as root the cluster belongs to the
# `postgres` OS user (DIR is chowned to it, and must be reachable by it: a
# directory under /tmp is). Needs the PostgreSQL server binaries (Debian:
# apt-get install postgresql); PG_BINDIR overrides where they are looked for.
set -euo pipefail

die() { echo "postgres.sh: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 start|stop DIR"
CMD=$1
DIR=$2

# bindir finds the directory holding initdb and pg_ctl: PG_BINDIR, then
# pg_config's, then the newest /usr/lib/postgresql/*/bin.
bindir() {
  local d
  if [ -n "${PG_BINDIR:-}" ]; then
    [ -x "$PG_BINDIR/initdb" ] || die "PG_BINDIR=$PG_BINDIR holds no initdb"
    echo "$PG_BINDIR"
    return
  fi
  if command -v pg_config >/dev/null && d=$(pg_config --bindir 2>/dev/null) && [ -x "$d/initdb" ]; then
    echo "$d"
    return
  fi
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$d" ] && [ -x "$d/initdb" ] || die "no PostgreSQL server binaries (initdb) found; on Debian: apt-get install postgresql"
  echo "$d"
}

BIN=$(bindir)

# As root everything runs as the postgres OS user.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || die "running as root, but there is no postgres OS user to own the cluster"
  DBUSER=postgres
  if command -v runuser >/dev/null; then
    as_owner() { runuser -u postgres -- "$@"; }
  else
    as_owner() { su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; }
  fi
else
  DBUSER=$(id -un)
  as_owner() { "$@"; }
fi

DATA=$DIR/data
LOG=$DIR/postgres.log

# dsn_line prints the line a caller evals.
dsn_line() {
  echo "export H2HPAY_TEST_POSTGRES=postgres://$DBUSER@127.0.0.1:$1/postgres?sslmode=disable"
}

running() { [ -f "$DATA/PG_VERSION" ] && as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

# port_in_use reports whether something accepts connections on 127.0.0.1:$1.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  if running; then
    echo "postgres.sh: the cluster in $DIR is running already" >&2
    dsn_line "$(cat "$DIR/port")"
    return
  fi
  mkdir -p "$DIR"
  DIR=$(cd "$DIR" && pwd)
  DATA=$DIR/data
  LOG=$DIR/postgres.log
  # The unix socket's path must fit in sun_path (107 bytes).
  [ ${#DIR} -le 80 ] || die "DIR $DIR is too long for a unix socket path; pick a shorter one"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$DIR"
    as_owner test -w "$DIR" -a -x "$DIR" ||
      die "the postgres OS user cannot reach $DIR (a parent directory is closed to it); pick a directory under /tmp"
  fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    as_owner "$BIN/initdb" -D "$DATA" -U "$DBUSER" --auth=trust --encoding=UTF8 --locale=C --no-sync >"$DIR/initdb.log" 2>&1 ||
      { cat "$DIR/initdb.log" >&2; die "initdb failed"; }
  fi
  local port try
  for try in $(seq 20); do
    port=$((20000 + RANDOM % 40000))
    port_in_use "$port" && continue
    # -c settings override postgresql.conf; the port is chosen anew on
    # each try, in case another process took it in between.
    if as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 start -o "$(printf '%s ' \
      -c listen_addresses=127.0.0.1 -c "port=$port" -c "unix_socket_directories=$DIR" \
      -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
      -c max_connections=200 -c shared_buffers=128MB)" >/dev/null 2>&1; then
      echo "$port" > "$DIR/port"
      local i
      for i in $(seq 100); do
        "$BIN/pg_isready" -q -h 127.0.0.1 -p "$port" && break
        sleep 0.1
      done
      "$BIN/pg_isready" -q -h 127.0.0.1 -p "$port" || { tail -n 20 "$LOG" >&2; die "the server is not accepting connections"; }
      echo "postgres.sh: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, data in $DATA, log $LOG" >&2
      dsn_line "$port"
      return
    fi
    # A port taken between the check and the start fails with this.
    grep -q 'could not bind\|could not create listen socket\|Address already in use' "$LOG" 2>/dev/null || break
  done
  [ -f "$LOG" ] && tail -n 20 "$LOG" >&2
  die "could not start PostgreSQL in $DATA"
}

stop() {
  if ! [ -f "$DATA/PG_VERSION" ]; then
    echo "postgres.sh: no cluster in $DIR" >&2
    return
  fi
  if running; then
    as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null
    echo "postgres.sh: stopped the cluster in $DIR" >&2
  else
    echo "postgres.sh: the cluster in $DIR is not running" >&2
  fi
}

case $CMD in
  start) start ;;
  stop) stop ;;
  *) die "usage: $0 start|stop DIR" ;;
esac
