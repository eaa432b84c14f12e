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
  # Integration tests mostly wait on simulated line time, so they share the cores
  # well; the fuzz targets burn a core each and run apart from them.
  ctest --test-dir "build/$kind" --output-on-failure -j"$((jobs * 4))" -LE fuzz || status=1
  if [ "$kind" = asan ]; then
    ctest --test-dir "build/$kind" --output-on-failure -j"$jobs" -L fuzz || status=1
  fi
done
exit $status
