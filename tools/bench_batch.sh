#!/bin/bash
# A batch imported into a copy of a register, its stages, wall time and peak memory.
#   tools/bench_batch.sh BINARY REGISTER.db BATCH.csv
# The register is copied first (the batch would otherwise be a no-op the second time) and the
# page cache written back (`sync`), so runs of two binaries compare.
set -euo pipefail
bin=$1 base=$2 batch=$3
copy="${base%.db}.batch.db"
cp "$base" "$copy"
rm -f "$copy-wal" "$copy-shm"
sync
RUST_LOG=paicha=debug DATABASE_URL="sqlite://$copy?mode=rwc" \
    /usr/bin/time -v "$bin" import township "$batch" 2>&1 |
    sed 's/\x1b\[[0-9;]*m//g' |
    grep -o 'stage="[^"]*" ms=[0-9]*\|Elapsed.*\|Maximum res.*\|User time.*\|System time.*' |
    tr '\n' ' '
echo
rm -f "$copy" "$copy-wal" "$copy-shm"
