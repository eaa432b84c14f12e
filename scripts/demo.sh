#!/usr/bin/env bash
# The demo: installs what is needed, builds, and decodes sample captures from real
# meters with `pmu parse`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
pmu=build/release/apps/pmu
captures=tests/data/captures
run() { echo; echo "\$ pmu $*"; "$pmu" "$@"; }
run parse "$captures/zmd120ap_readout.txt"
run parse "$captures/emh_p01_profile.txt"
run parse "$captures/ce301_programming_session.txt" --checksum sum7
echo; echo "\$ pmu parse $captures/ace3000_noise_readout.bin   # noisy line, wrong BCC: exit 1"
"$pmu" parse "$captures/ace3000_noise_readout.bin" || echo "(exit status $?: the capture's check character is wrong)"
