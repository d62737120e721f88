#!/bin/sh
# Proves a restructuring changed nothing: builds three registers with PAICHA_BINARY and prints a
# SHA-256 per table over every non-timestamp column (tools/register_checksum.py). Run it with
# the binaries before and after a change and compare the outputs; they must be equal.
#
# Usage (from the repository root): tools/register_checksum.sh PAICHA_BINARY OUT_DIR
#   whole.db        synth --seed 1 (20 000 persons), three imports, each resolved whole
#   incremental.db  the same files with resolve_whole_below = 5000: the second and third
#                   imports are matched against the register through the match index
#   febrl.db        FEBRL4 a + b with the febrl profile (../shared/data/febrl)
set -e
bin=$1; out=$2
here=$(cd "$(dirname "$0")" && pwd)
febrl=${FEBRL_DIR:-$here/../../shared/data/febrl}
mkdir -p "$out"; rm -f "$out"/*.db*
[ -f "$out/synth/bigdata.csv" ] || "$bin" synth --seed 1 --out "$out/synth" > /dev/null
for scenario in whole incremental; do
  profile=cn-identity
  [ $scenario = incremental ] && profile=$here/fixtures/incremental-profile.toml
  url="sqlite://$out/$scenario.db?mode=rwc"
  for source in bigdata township; do
    "$bin" import --database-url "$url" --profile "$profile" $source "$out/synth/$source.csv" > /dev/null 2>&1
  done
  "$bin" import --database-url "$url" --profile "$profile" external "$out/synth/external.json" > /dev/null 2>&1
done
"$bin" import --database-url "sqlite://$out/febrl.db?mode=rwc" --profile febrl bigdata \
  "$febrl/febrl4_a.csv" "$febrl/febrl4_b.csv" --map fixtures/febrl/febrl.map.toml > /dev/null 2>&1
python3 "$here/register_checksum.py" "$out/whole.db" "$out/incremental.db" "$out/febrl.db"
