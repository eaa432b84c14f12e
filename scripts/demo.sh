#!/usr/bin/env bash
# The demo: installs what is needed, builds, then shows openpmu end to end against the
# simulator, on the embedded SQLite store (a fresh openpmu.db under build/demo):
#   1. decode a capture from a real meter           pmu parse
#   2. start simulated meters on a pty and TCP      pmu-sim
#   3. the first administrator, then the meter list pmu user add, pmu meter add, pmu group
#      (meter passwords go into the vault, sealed)
#   4. read the group: registers + load profile     pmu read --group
#   5. look at what was stored and export it        pmu history, pmu profile, pmu export
#   6. an Elster A1700: read it, program a scheme   pmu read, pmu scheme import, pmu program
#   7. who changed what: the audit trail            pmu audit list, pmu audit verify
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh release
bin=$PWD/build/release/apps
demo=$PWD/build/demo
rm -rf "$demo"; mkdir -p "$demo"; cd "$demo"
export PMU_DB=$demo/openpmu.db
# Who acts (docs/security.md). A script gives the password in the environment or a
# file; at a terminal, leave PMU_USER_PASSWORD unset and pmu asks for it.
export PMU_USER=admin PMU_USER_PASSWORD=demo-admin-password
say() { printf '\n$ %s\n' "$*"; }
run() { say "pmu $*"; "$bin/pmu" "$@"; }

run parse "$OLDPWD/tests/data/captures/emh_p01_profile.txt"

say "pmu-sim --pty 1 --tcp 2 --password demo1234 --time 2024-01-15T10:05:00 &"
"$bin/pmu-sim" --pty 1 --tcp 2 --password demo1234 --time 2024-01-15T10:05:00 > meters.txt &
sim=$!
trap 'kill $sim 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q '^ready' meters.txt && break; sleep 0.1; done
cat meters.txt

say "pmu user add admin --level administrator --password-stdin   # the first user: no login yet"
printf '%s\n' "$PMU_USER_PASSWORD" | "$bin/pmu" user add admin --level administrator --password-stdin

"$bin/pmu" group add demo --description "simulated meters" >/dev/null
run site add Depot --nmi 4103000001 --address "1 Station Road"
site=--site=Depot   # the first meter stands at the depot (NEM12 needs its NMI)
while read -r word serial path; do
  [ "$word" = meter ] || continue
  say "pmu meter add $serial --make openpmu --model simulator --path '$path' ${site:+--site Depot }--password-stdin"
  printf 'demo1234\n' | "$bin/pmu" meter add "$serial" --make openpmu --model simulator --path "$path" \
    ${site:+--site Depot} --password-stdin
  site=
  "$bin/pmu" group add-member demo "$serial" >/dev/null
done < meters.txt
run meter list
run meter show "$(awk '/^meter/ {print $2; exit}' meters.txt)"

run read --group demo --readout --profile 2024-01-15T00:30..2024-01-15T10:00
first=$(awk '/^meter/ {print $2; exit}' meters.txt)
run history "$first"
run profile "$first" --from 2024-01-15T08:00 --to 2024-01-15T10:00
say "pmu export --format csv --group demo --from 2024-01-15T09:00 --to 2024-01-15T10:00 | head"
"$bin/pmu" export --format csv --group demo --from 2024-01-15T09:00 --to 2024-01-15T10:00 | head
run export --format nem12 --meter "$first" --from 2024-01-15 --to 2024-01-16

# An Elster A1700 (16 TOU) on TCP: registers, maximum demand, billing set and profile,
# then a scheme from schemes/ programmed into it, every item read back.
say "pmu-sim --model a1700-16tou --tcp 1 --password FEDC0003 --time 2024-01-15T10:05:00 &"
"$bin/pmu-sim" --model a1700-16tou --tcp 1 --password FEDC0003 --time 2024-01-15T10:05:00 > elster.txt &
sim2=$!
trap 'kill $sim $sim2 2>/dev/null' EXIT
for _ in $(seq 50); do grep -q '^ready' elster.txt && break; sleep 0.1; done
read -r _ eserial epath < <(grep '^meter' elster.txt)
eserial=A1700-$eserial
say "pmu meter add $eserial --make Elster --model A1700-16TOU --path '$epath&protocol=elster' --password-stdin"
printf 'FEDC0003\n' | "$bin/pmu" meter add "$eserial" --make Elster --model A1700-16TOU \
  --path "$epath&protocol=elster" --password-stdin
run read --meter "$eserial" --lp-days 1 --billing-sets 1
run history "$eserial"
run scheme import "$OLDPWD/schemes/a1700-commercial.yaml"
run program "$eserial" --scheme a1700-commercial
run program --status "$eserial"
run audit list
run audit verify
echo
echo "The store is $PMU_DB, its key $PMU_DB.key; docs/ tells the rest (comms paths, formats,"
echo "the simulator, users and the audit trail in docs/security.md)."
