#!/usr/bin/env bash
# Stops the throwaway PostgreSQL started by scripts/start-postgres.sh DIR and
# removes DIR (and the temp folders it recorded there).
#
#   scripts/stop-postgres.sh DIR
#
# SIGINT first (fast shutdown: sessions are cut, nothing is flushed that
# matters), SIGKILL after ~10 s.  Succeeds when nothing is running.
set -uo pipefail

[ $# -eq 1 ] && [ -n "$1" ] || {
  echo "usage: stop-postgres.sh DIR" >&2
  exit 2
}
dir=$1
[ -d "$dir" ] || exit 0

# True when pid is a live postgres process (not a PID reused by another program).
is_postgres() {
  local pid=$1
  kill -0 "$pid" 2>/dev/null || return 1
  [ -r "/proc/$pid/comm" ] || return 0 # no /proc: trust the pid file
  case "$(cat "/proc/$pid/comm" 2>/dev/null)" in
  postgres* | postmaster*) return 0 ;;
  *) return 1 ;;
  esac
}

if [ -f "$dir/pid" ]; then
  pid=$(head -n 1 "$dir/pid" | tr -dc '0-9')
  if [ -n "$pid" ] && is_postgres "$pid"; then
    kill -INT "$pid" 2>/dev/null
    for _ in $(seq 1 100); do
      is_postgres "$pid" || break
      sleep 0.1
    done
    if is_postgres "$pid"; then
      echo "stop-postgres: server $pid ignored SIGINT for 10 s, killing it" >&2
      kill -KILL "$pid" 2>/dev/null
      for _ in $(seq 1 50); do
        is_postgres "$pid" || break
        sleep 0.1
      done
    fi
  fi
fi

for rec in fallback sockdir; do
  if [ -f "$dir/$rec" ]; then
    extra=$(head -n 1 "$dir/$rec")
    # Only the temp folders start-postgres.sh makes are removed this way.
    case "$extra" in
    */mloop-pg.* | */mloop-pg-sock.*) rm -rf -- "$extra" ;;
    esac
  fi
done
rm -rf -- "$dir"
exit 0
