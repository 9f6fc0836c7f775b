#!/usr/bin/env bash
# The README's second command: runs every default test (label `main`) of the dev build and ends
# with CTest's summary. GPU tests (label gpu) skip cleanly without a device; `slow` tests are run
# explicitly: scripts/test.sh -L slow.
#
#   scripts/test.sh [BUILD_DIR] [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
dir=build
if [ $# -gt 0 ] && [ -d "$1" ]; then dir=$1; shift; fi
[ -f "$dir/CTestTestfile.cmake" ] || { echo "test.sh: no build in $dir — run scripts/setup.sh first" >&2; exit 1; }
# Rebuild first so the tests never run against stale binaries.
export CCACHE_BASEDIR="$(pwd)" CCACHE_NOHASHDIR=true
cmake --build "$dir"
export QT_QPA_PLATFORM=offscreen
labels=(-L main)
for a in "$@"; do case "$a" in -L|--label-regex) labels=() ;; esac; done
exec ctest --test-dir "$dir" "${labels[@]}" --output-on-failure -j "$(nproc)" "$@"
