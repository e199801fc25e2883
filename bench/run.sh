#!/usr/bin/env bash
# run.sh BUILD_DIR — runs every bench/bench_*.py against the binaries in
# BUILD_DIR (exported as MLOOP_BUILD), concatenates their Markdown into
# bench/out/RESULTS.latest.md and prints it.  A benchmark that cannot run
# (missing binary, failed load) is reported and the others still run; the
# exit status is then 1.  Whether targets are met does not change it.
#
# Python: $PYTHON, else /usr/bin/python3 (where Debian's python3-pandas and
# friends live), else python3 on PATH.
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1
case $build in
/*) ;;
*) build=$root/$build ;;
esac
if [ ! -d "$build" ]; then
    echo "$0: build directory $build does not exist (make build)" >&2
    exit 2
fi
export MLOOP_BUILD=$build

if [ -n "${PYTHON:-}" ]; then
    py=$PYTHON
elif [ -x /usr/bin/python3 ]; then
    py=/usr/bin/python3
else
    py=python3
fi

mkdir -p "$here/out"
results=$here/out/RESULTS.latest.md
tmp=$(mktemp "$here/out/.results.XXXXXX")
trap 'rm -f "$tmp"' EXIT
{
    echo "# mloop benchmarks"
    echo
    echo "build: \`$build\`, commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo
} >"$tmp"

status=0
found=0
for script in "$here"/bench_*.py; do
    [ -e "$script" ] || continue
    found=1
    name=$(basename "$script")
    echo "== $name" >&2
    if ! "$py" "$script" >>"$tmp"; then
        echo "$0: $name failed" >&2
        status=1
    fi
    echo >>"$tmp"
done
if [ $found -eq 0 ]; then
    echo "$0: no bench/bench_*.py found" >&2
    exit 2
fi
mv "$tmp" "$results"
trap - EXIT
cat "$results"
exit $status
