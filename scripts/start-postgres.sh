#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the tests and prints its URI.
#
#   scripts/start-postgres.sh DIR
#
# DIR receives the cluster (DIR/data), its log (DIR/log), its unix socket,
# DIR/uri (postgresql://postgres@127.0.0.1:PORT/mloop_test) and DIR/pid (the
# server's PID).  The server listens on 127.0.0.1 only, on a free port, with
# trust authentication and fsync off: it is for tests, never for data.
# Run as root, the server runs as the `postgres` system user (or `nobody`).
# Idempotent: a server already recorded in DIR is stopped first.
# scripts/stop-postgres.sh DIR stops it and removes DIR.
set -euo pipefail

die() {
  echo "start-postgres: $*" >&2
  exit 1
}

[ $# -eq 1 ] && [ -n "$1" ] || die "usage: start-postgres.sh DIR"
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
dir=$(cd "$1" && pwd)

# ---- binaries ---------------------------------------------------------------
bin=${MLOOP_PG_BIN:-}
if [ -z "$bin" ]; then
  for cand in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
    if [ -x "$cand/initdb" ] && [ -x "$cand/postgres" ]; then
      bin=$cand
      break
    fi
  done
fi
[ -n "$bin" ] && [ -x "$bin/initdb" ] ||
  die "no PostgreSQL server binaries (install postgresql-15: scripts/install-deps.sh)"

# ---- a server left over in DIR is stopped, DIR starts empty ------------------
"$here/stop-postgres.sh" "$dir"
mkdir -p "$dir"

# ---- who runs the server -------------------------------------------------------
as_user() { "$@"; }
run_user=$(id -un)
if [ "$(id -u)" -eq 0 ]; then
  if id postgres >/dev/null 2>&1; then
    run_user=postgres
  else
    run_user=nobody
  fi
  as_user() { runuser -u "$run_user" -- "$@"; }
fi

# Everything lives in DIR when the server's user can write there (every
# parent traversable); otherwise in a private temp folder recorded in
# DIR/fallback.
base="$dir"
if [ "$run_user" != "$(id -un)" ]; then
  chown "$run_user" "$dir"
  chmod 700 "$dir"
  if ! as_user test -w "$dir"; then
    base=$(mktemp -d "${TMPDIR:-/tmp}/mloop-pg.XXXXXX")
    chown "$run_user" "$base"
    echo "$base" >"$dir/fallback"
  fi
fi
data="$base/data"
log="$base/log"
# A unix socket path is limited to 107 bytes: a deep DIR gets one in /tmp.
sock="$base"
if [ ${#sock} -gt 80 ]; then
  sock=$(mktemp -d /tmp/mloop-pg-sock.XXXXXX)
  [ "$run_user" = "$(id -un)" ] || chown "$run_user" "$sock"
  echo "$sock" >"$dir/sockdir"
fi

log_tail() {
  if [ -f "$log" ]; then
    echo "---- last lines of $log" >&2
    tail -n 30 "$log" >&2
  fi
}

# ---- initdb -----------------------------------------------------------------------
superuser=postgres
if ! as_user "$bin/initdb" -D "$data" -U "$superuser" --auth=trust --encoding=UTF8 \
  --locale=C --no-sync >"$dir/initdb.log" 2>&1; then
  tail -n 30 "$dir/initdb.log" >&2
  die "initdb failed in $data"
fi

free_port() {
  local py
  for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1; then
      "$py" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])' && return 0
    fi
  done
  # No python: probe random high ports until one refuses connections.
  local p i
  for i in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# ---- start, retrying when another process takes the port first --------------------
started=0
for attempt in 1 2 3 4 5; do
  port=$(free_port) || die "no free TCP port on 127.0.0.1"
  as_user "$bin/pg_ctl" -D "$data" -l "$log" -W -s start -o \
    "-c listen_addresses=127.0.0.1 -p $port -k '$sock' -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=40 -c shared_buffers=32MB" ||
    { log_tail; die "pg_ctl start failed"; }
  for _ in $(seq 1 150); do
    if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U "$superuser"; then
      started=1
      break
    fi
    # Stop waiting as soon as the server is gone (a taken port, a bad setting).
    if [ -f "$data/postmaster.pid" ]; then
      pid=$(head -n 1 "$data/postmaster.pid")
      kill -0 "$pid" 2>/dev/null || break
    elif [ -f "$log" ] && grep -q "database system is shut down\|FATAL" "$log"; then
      break
    fi
    sleep 0.2
  done
  [ $started = 1 ] && break
  if grep -q "Address already in use" "$log" 2>/dev/null; then
    echo "start-postgres: port $port was taken, retrying" >&2
    as_user "$bin/pg_ctl" -D "$data" -m immediate -s stop >/dev/null 2>&1 || true
    continue
  fi
  break
done
if [ $started != 1 ]; then
  log_tail
  as_user "$bin/pg_ctl" -D "$data" -m immediate -s stop >/dev/null 2>&1 || true
  die "the server in $data did not accept connections on 127.0.0.1"
fi
pid=$(head -n 1 "$data/postmaster.pid")
echo "$pid" >"$dir/pid"

if ! "$bin/psql" -X -q -h 127.0.0.1 -p "$port" -U "$superuser" -d postgres \
  -v ON_ERROR_STOP=1 -c "CREATE DATABASE mloop_test" >"$dir/createdb.log" 2>&1; then
  cat "$dir/createdb.log" >&2
  log_tail
  "$here/stop-postgres.sh" "$dir"
  die "could not create database mloop_test"
fi

uri="postgresql://$superuser@127.0.0.1:$port/mloop_test"
echo "$uri" >"$dir/uri"
echo "$uri"
