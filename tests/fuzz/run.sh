#!/usr/bin/env bash
# Runs every libFuzzer target of a build for a while.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS
#
# Each BUILD_DIR/fuzz_NAME starts from tests/fuzz/corpus/NAME/ (read only:
# new inputs go to a temporary folder, never into the repository) and runs
# for SECONDS.  A crash, leak or failed check stops with a non-zero status and
# names the input that caused it (kept in the temporary folder).
set -u
if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
seconds=$2
# Idle OpenMP workers must not spin between inputs: they would steal the
# cores from the fuzzer itself.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
root=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/mloop-fuzz.XXXXXX")
status=0 ran=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] && [ -f "$bin" ] || continue
  name=$(basename "$bin")
  name=${name#fuzz_}
  corpus=$root/corpus/$name
  if [ ! -d "$corpus" ]; then
    echo "fuzz_$name: no corpus folder $corpus" >&2
    status=1
    continue
  fi
  mkdir -p "$work/$name/new" "$work/$name/artifacts"
  echo "==> fuzz_$name for ${seconds}s (new inputs in $work/$name/new)"
  ran=$((ran + 1))
  if ! "$bin" "$work/$name/new" "$corpus" -max_total_time="$seconds" -print_final_stats=1 \
      -artifact_prefix="$work/$name/artifacts/" >"$work/$name/log" 2>&1; then
    echo "FAIL fuzz_$name:" >&2
    tail -n 40 "$work/$name/log" >&2
    ls "$work/$name/artifacts/" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb" "$work/$name/log"
    echo "ok fuzz_$name"
  fi
done
if [ $ran = 0 ]; then
  echo "no fuzz_* programs in $build (configure with -DMLOOP_FUZZ=ON and CC=clang)" >&2
  exit 2
fi
[ $status = 0 ] && rm -rf "$work"
exit $status
