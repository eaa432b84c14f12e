#!/usr/bin/env bash
# postgres.sh start|stop|url DIR: a throwaway PostgreSQL cluster for the store tests.
#
#   start  installs the server if it is missing (as root: apt-get install postgresql),
#          creates a new cluster in DIR/data (any old one there is removed), starts it
#          listening only on a unix socket in DIR/sock (no TCP port, so nothing can
#          clash with another server), and creates the database openpmu_test
#   stop   stops it (immediate shutdown: the data is thrown away next start anyway)
#   url    prints the connection string the tests use
#
# PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres`
# user the Debian package creates; otherwise to the user running this. fsync is off:
# a crash of this machine loses nothing anyone wants. Used by the CTest fixture in
# tests/integration/CMakeLists.txt; a failure here is printed and fails the PostgreSQL
# tests that depend on it.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: postgres.sh start|stop|url DIR" >&2
  exit 2
fi
dir=$(realpath -s -m "$dir")
url="postgresql:///openpmu_test?host=$dir/sock&user=postgres"
# Where the cluster really is: DIR, or (see start) a directory in /tmp that DIR links to.
real=$(readlink -f "$dir" 2>/dev/null || echo "$dir")
data=$real/data

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
url)
  echo "$url"
  ;;
start)
  bin=$(find_bin)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    if [ "$(id -u)" = 0 ]; then
      echo "postgres.sh: PostgreSQL server missing; installing the postgresql package" >&2
      export DEBIAN_FRONTEND=noninteractive
      apt-get install -y -q --no-install-recommends postgresql >&2 ||
        { apt-get update -q >&2 && apt-get install -y -q --no-install-recommends postgresql >&2; }
      bin=$(find_bin)
    fi
    if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
      echo "postgres.sh: no PostgreSQL server (initdb) found; install the Debian package postgresql" >&2
      exit 1
    fi
  fi
  if [ -f "$data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [ -L "$dir" ]; then rm -rf "$real"; fi
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  real=$dir
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "postgres.sh: no 'postgres' user to run the server as" >&2; exit 1; }
    # The server runs as postgres, which may not be allowed into the build directory
    # (a checkout under /root, say): then the cluster lives in /tmp and DIR links to it.
    if ! runuser -u postgres -- test -x "$(dirname "$dir")"; then
      real=$(mktemp -d /tmp/openpmu-pg.XXXXXX)
      ln -s "$real" "$dir"
    fi
  fi
  data=$real/data
  sock=$real/sock
  mkdir -p "$data" "$sock"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres "$real"
  fi
  as_owner "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C --no-sync >"$real/initdb.log" 2>&1 ||
    { cat "$real/initdb.log" >&2; exit 1; }
  if ! as_owner "$bin/pg_ctl" -D "$data" -l "$real/server.log" -w -t 60 \
      -o "-c listen_addresses='' -k $sock -c fsync=off -c full_page_writes=off" start >/dev/null; then
    echo "postgres.sh: the server did not start; its log:" >&2
    cat "$real/server.log" >&2
    exit 1
  fi
  as_owner "$bin/createdb" -h "$sock" -U postgres openpmu_test
  echo "postgres.sh: PostgreSQL running at $url"
  ;;
stop)
  bin=$(find_bin)
  if [ -n "$bin" ] && [ -f "$data/postmaster.pid" ]; then
    as_owner "$bin/pg_ctl" -D "$data" -m immediate stop >/dev/null
    echo "postgres.sh: stopped"
  fi
  ;;
*)
  echo "usage: postgres.sh start|stop|url DIR" >&2
  exit 2
  ;;
esac
