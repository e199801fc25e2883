#!/usr/bin/env bash
# CSV → SQLite → PostgreSQL → CSV through `mloop data copy`, on generated
# data with every column type and nulls: the profile must be identical at
# every hop.  Then the errors a user meets with a database: an existing
# table, a bad query, a connection refused.  Needs the suite's throwaway
# PostgreSQL (the `postgres` CTest fixture).
set -euo pipefail
bin=${MLOOP_BIN:?MLOOP_BIN is not set}
uri_file=${MLOOP_PG_URI_FILE:-}
if [ -z "$uri_file" ] || [ ! -s "$uri_file" ]; then
  echo "skipping: no PostgreSQL for tests (MLOOP_PG_URI_FILE unset or empty)"
  exit 77
fi
pg=$(cat "$uri_file")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bin" demo --rows 3000 --dir "$work/demo" >/dev/null
src="$work/demo/customers.csv"
table="roundtrip_$$"

"$bin" data copy "$src" "sqlite:$work/hop.db" --to-table customers
"$bin" data copy "sqlite:$work/hop.db" "$pg" --table customers --to-table "$table"
"$bin" data copy "$pg" "$work/back.csv" --table "$table"

profile() { "$bin" data profile "$@" --json | /usr/bin/python3 -c \
  'import json,sys; p=json.load(sys.stdin); p.pop("source"); print(json.dumps(p, sort_keys=True))'; }
a=$(profile "$src")
b=$(profile "sqlite:$work/hop.db" --table customers)
c=$(profile "$pg" --table "$table")
d=$(profile "$work/back.csv")
[ "$a" = "$b" ] || fail "CSV and SQLite profiles differ"
[ "$a" = "$c" ] || fail "CSV and PostgreSQL profiles differ"
[ "$a" = "$d" ] || fail "CSV and the copied-back CSV profiles differ"
cmp -s <(tail -n +2 "$src") <(tail -n +2 "$work/back.csv") || fail "the copied-back CSV is not byte-identical"

# An existing table is refused unless asked, and then replaced whole.
set +e
"$bin" data copy "$src" "$pg" --to-table "$table" 2>"$work/err"; rc=$?
set -e
[ $rc = 2 ] || fail "copy into an existing table exited $rc, expected 2"
grep -q "already exists" "$work/err" || fail "no 'already exists' message: $(cat "$work/err")"
"$bin" data copy "$src" "$pg" --to-table "$table" --if-exists replace
"$bin" data copy "$src" "$pg" --to-table "$table" --if-exists append
rows=$("$bin" data profile "$pg" --query "SELECT count(*) AS n FROM \"$table\"" --json |
       /usr/bin/python3 -c 'import json,sys; print(int(json.load(sys.stdin)["columns"][0]["max"]))')
[ "$rows" = 6000 ] || fail "append gave $rows rows, expected 6000"

# A bad query carries the server's message; a closed port is a connection failure.
set +e
"$bin" data profile "$pg" --query "SELEC 1" 2>"$work/err"; rc=$?
set -e
[ $rc = 2 ] || fail "bad SQL exited $rc, expected 2"
grep -q "syntax error" "$work/err" || fail "no server message: $(cat "$work/err")"
set +e
"$bin" data profile "postgresql://nobody:secret@127.0.0.1:1/x" --table t 2>"$work/err"; rc=$?
set -e
[ $rc = 1 ] || fail "refused connection exited $rc, expected 1"
grep -q "secret" "$work/err" && fail "the password was printed: $(cat "$work/err")"
echo "copy_pg: all checks passed"
