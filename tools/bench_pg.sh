#!/bin/bash
# PostgreSQL beside SQLite (issue 25): the same binary and the same files on both backends, one
# case after the other, and the ratio PostgreSQL / SQLite of each case's wall time.
#   tools/bench_pg.sh BINARY [PG_URL_BASE] [WORKDIR]
# PG_URL_BASE defaults to postgres://postgres@127.0.0.1:5432; scratch databases pgc_bench_*
# are created there and dropped at the end. Cases:
#   t200k   200 000 township rows, one file, into an empty register
#   batch   a 10 000-record batch (5 000 re-reports, 5 000 new persons) into that register
#   synth   `paicha synth --persons 110000 --seed 20260206`, three files as three commands (bte)
#   febrl   FEBRL4 end to end: both files in one import, then `export records`
set -euo pipefail
bin=$(realpath "$1")
pg=${2:-postgres://postgres@127.0.0.1:5432}
work=${3:-/tmp/bench_pg}
here=$(dirname "$(realpath "$0")")
repo=$(dirname "$here")
febrl="$repo/../shared/data/febrl"
mkdir -p "$work"
tag="pgc_bench_$$"

[ -f "$work/t200k.csv" ] || python3 "$here/gen_township_rows.py" 200000 "$work/t200k.csv"
if [ ! -f "$work/inc10k.csv" ]; then
    python3 "$here/gen_township_rows.py" 5000 "$work/inc_a.csv" 20200123 AGAIN
    python3 "$here/gen_township_rows.py" 5000 "$work/inc_b.csv" 7 NEW
    (cat "$work/inc_a.csv"; tail -n +2 "$work/inc_b.csv") >"$work/inc10k.csv"
fi
synth="$work/synth-110000-20260206"
[ -f "$synth/truth.csv" ] || "$bin" synth --persons 110000 --seed 20260206 --out "$synth" >/dev/null

psql_admin() { psql -q -X -v ON_ERROR_STOP=1 "$pg/postgres" -c "$1" >/dev/null; }
sqlite_url() { echo "sqlite://$work/$1.db?mode=rwc"; }
fresh_sqlite() { rm -f "$work/$1.db" "$work/$1.db-wal" "$work/$1.db-shm" "$work/$1.db-writer"; }
fresh_pg() { psql_admin "DROP DATABASE IF EXISTS ${tag}_$1 WITH (FORCE)"; psql_admin "CREATE DATABASE ${tag}_$1"; }
trap 'for d in t200k batch synth febrl; do psql_admin "DROP DATABASE IF EXISTS ${tag}_$d WITH (FORCE)" || true; done' EXIT

# Seconds of wall time of one command, with DATABASE_URL=$1.
timed() {
    local url=$1
    shift
    sync
    local out
    out=$(DATABASE_URL="$url" /usr/bin/time -f 'WALL %e' "$bin" "$@" 2>&1 >/dev/null) || {
        echo "$out" >&2
        return 1
    }
    grep -o 'WALL [0-9.]*' <<<"$out" | awk '{print $2}'
}

ratio() { awk -v p="$1" -v s="$2" 'BEGIN { printf "%.2f", p / s }'; }
report() { echo "$1: sqlite ${2}s postgres ${3}s ratio $(ratio "$3" "$2")"; }

# 200 000 township rows.
fresh_sqlite t200k
s=$(timed "$(sqlite_url t200k)" import township "$work/t200k.csv")
fresh_pg t200k
p=$(timed "$pg/${tag}_t200k" import township "$work/t200k.csv")
report "t200k (200 000 township rows, one file)" "$s" "$p"

# 10 000 records into that register (a copy of it each).
fresh_sqlite batch
cp "$work/t200k.db" "$work/batch.db"
s=$(timed "$(sqlite_url batch)" import township "$work/inc10k.csv")
psql_admin "DROP DATABASE IF EXISTS ${tag}_batch WITH (FORCE)"
psql_admin "CREATE DATABASE ${tag}_batch TEMPLATE ${tag}_t200k"
p=$(timed "$pg/${tag}_batch" import township "$work/inc10k.csv")
report "batch (10 000 records into the 200 000)" "$s" "$p"

# The synthetic county, three commands: bigdata, township, external.
fresh_sqlite synth
fresh_pg synth
s_total=0 p_total=0 line_s="" line_p=""
for kf in "bigdata bigdata.csv" "township township.csv" "external external.json"; do
    read -r kind file <<<"$kf"
    s=$(timed "$(sqlite_url synth)" import "$kind" "$synth/$file")
    p=$(timed "$pg/${tag}_synth" import "$kind" "$synth/$file")
    s_total=$(awk -v a="$s_total" -v b="$s" 'BEGIN { print a + b }')
    p_total=$(awk -v a="$p_total" -v b="$p" 'BEGIN { print a + b }')
    line_s+=" $kind $s;" line_p+=" $kind $p;"
    report "  synth $kind" "$s" "$p"
done
report "synth (110 000 persons, bte, three commands)" "$s_total" "$p_total"
echo "  sqlite F1: $(DATABASE_URL="$(sqlite_url synth)" "$bin" eval --truth "$synth/truth.csv" 2>/dev/null | tr '\n' ' ')"
echo "  postgres F1: $(DATABASE_URL="$pg/${tag}_synth" "$bin" eval --truth "$synth/truth.csv" 2>/dev/null | tr '\n' ' ')"

# FEBRL4 end to end: import both files, resolve, export.
febrl_run() {
    local url=$1
    local start end
    start=$(date +%s.%N)
    DATABASE_URL="$url" "$bin" --profile febrl import bigdata "$febrl/febrl4_a.csv" "$febrl/febrl4_b.csv" \
        --map "$repo/fixtures/febrl/febrl.map.toml" >/dev/null 2>&1
    DATABASE_URL="$url" "$bin" export records >"$work/febrl.csv" 2>/dev/null
    end=$(date +%s.%N)
    awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f", b - a }'
}
fresh_sqlite febrl
sync
s=$(febrl_run "$(sqlite_url febrl)")
fresh_pg febrl
sync
p=$(febrl_run "$pg/${tag}_febrl")
report "febrl (FEBRL4 end to end)" "$s" "$p"
