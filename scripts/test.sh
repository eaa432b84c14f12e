#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs what is needed, then builds and runs
# every test twice, once in the optimised gcc build and once under ASan + UBSan (with
# the fuzz targets running ~15 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
jobs=$(nproc)
status=0
for kind in release asan; do
  echo "== build: $kind"
  bash scripts/build.sh "$kind"
  echo "== tests: $kind"
  ctest --test-dir "build/$kind" --output-on-failure -j"$jobs" || status=1
done
exit $status
