#!/usr/bin/env bash
# Installs the Debian 12 packages openpmu needs to build and test. Run as root.
# Skips apt entirely when everything is already there.
set -euo pipefail
packages=(
  build-essential cmake pkg-config      # C toolchain and build
  clang libclang-rt-14-dev              # sanitizer build and libFuzzer targets
  libcmocka-dev                         # unit tests
  libjansson-dev                        # JSON output
  libuv1-dev                            # event loop (engine, simulator)
  libsqlite3-dev                        # store: SQLite backend (the default)
  libpq-dev                             # store: PostgreSQL backend (client library)
  postgresql                            # store tests: a throwaway local server
  libsodium-dev                         # users (Argon2id), meter-password vault
  libyaml-dev                           # scheme files
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
