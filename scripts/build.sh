#!/usr/bin/env bash
# build.sh [release|asan]: configures and builds one of the two builds under build/.
#   release  gcc, warnings as errors, optimised: the programs people run
#   asan     clang, AddressSanitizer + UndefinedBehaviorSanitizer, libFuzzer targets
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
jobs=$(nproc)
case "$kind" in
  release) CC=gcc cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null ;;
  asan)    CC=clang cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=Debug -DPMU_SANITIZE=ON -DPMU_FUZZ=ON \
             -DPMU_BENCH=OFF >/dev/null ;;
  *) echo "usage: build.sh [release|asan]" >&2; exit 2 ;;
esac
cmake --build "build/$kind" -j"$jobs"
