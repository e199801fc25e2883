#!/usr/bin/env bash
# Runs every case under tests/integration/cases/: a folder holding
#   args    the mloop arguments, one line; $CASE is the case folder, $WORK a
#           fresh scratch folder (the working directory)
#   exit    the expected exit code
#   stderr  (optional) lines that must each appear in stderr
#   stdout  (optional) lines that must each appear in stdout
#   absent  (optional) paths (relative to $WORK) that must not exist afterwards
# plus whatever input files the case reads.  Adding a case is adding a folder.
set -u
bin=${MLOOP_BIN:?MLOOP_BIN is not set}
root=$(cd "$(dirname "$0")" && pwd)/cases
failed=0 passed=0
for case_dir in "$root"/*/; do
  case_dir=${case_dir%/}
  name=$(basename "$case_dir")
  work=$(mktemp -d)
  args=$(sed -e "s|\$CASE|$case_dir|g" -e "s|\$WORK|$work|g" "$case_dir/args")
  want_exit=$(cat "$case_dir/exit")
  (cd "$work" && eval "\"$bin\" $args" >"$work/.stdout" 2>"$work/.stderr")
  got_exit=$?
  ok=1
  if [ "$got_exit" != "$want_exit" ]; then
    echo "FAIL $name: exit $got_exit, expected $want_exit"; ok=0
  fi
  for stream in stdout stderr; do
    [ -f "$case_dir/$stream" ] || continue
    while IFS= read -r line || [ -n "$line" ]; do
      [ -z "$line" ] && continue
      line=${line//\$CASE/$case_dir}
      if ! grep -qF -- "$line" "$work/.$stream"; then
        echo "FAIL $name: $stream lacks: $line"; ok=0
      fi
    done <"$case_dir/$stream"
  done
  if [ -f "$case_dir/absent" ]; then
    while IFS= read -r p || [ -n "$p" ]; do
      [ -z "$p" ] && continue
      if compgen -G "$work/$p" >/dev/null; then echo "FAIL $name: $p exists"; ok=0; fi
    done <"$case_dir/absent"
  fi
  if [ $ok = 1 ]; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "--- stdout"; head -c 2000 "$work/.stdout"; echo "--- stderr"; head -c 2000 "$work/.stderr"
  fi
  rm -rf "$work"
done
echo "cli cases: $passed passed, $failed failed"
[ $failed = 0 ]
