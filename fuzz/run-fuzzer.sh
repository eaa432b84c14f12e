#!/bin/sh
# run-fuzzer.sh FUZZER SEED_DIR WORK_DIR SECONDS
# Runs one libFuzzer target for SECONDS on a scratch copy of its seed corpus, so the
# checked-in seeds stay as they are. Any crash, leak or sanitizer report fails.
set -eu
fuzzer=$1 seeds=$2 work=$3 secs=$4
rm -rf "$work"; mkdir -p "$work"
cp "$seeds"/* "$work"/
exec "$fuzzer" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
     -artifact_prefix="$work/" "$work"
