#!/bin/bash
# The three synthetic files imported as three commands into a fresh SQLite register, in
# several orders: each command's wall time and peak memory, P/R/F1 of each order, and the
# pairwise F1 between the orders' partitions (issue 25).
#   tools/bench_orders.sh BINARY [PERSONS] [SEED] [WORKDIR] [ORDERS...]
# ORDERS are words of three letters: b = bigdata, t = township, e = external (default: bte
# etb tbe). The files are written once per PERSONS/SEED into WORKDIR/synth (kept between runs).
set -euo pipefail
bin=$(realpath "$1")
persons=${2:-110000}
seed=${3:-20260206}
work=${4:-/tmp/bench_orders}
shift $(($# < 4 ? $# : 4))
orders=("$@")
[ ${#orders[@]} -gt 0 ] || orders=(bte etb tbe)
here=$(dirname "$(realpath "$0")")
data="$work/synth-$persons-$seed"
mkdir -p "$work"
[ -f "$data/truth.csv" ] || "$bin" synth --persons "$persons" --seed "$seed" --out "$data" >/dev/null

file_of() {
    case $1 in
    b) echo "bigdata $data/bigdata.csv" ;;
    t) echo "township $data/township.csv" ;;
    e) echo "external $data/external.json" ;;
    esac
}

for order in "${orders[@]}"; do
    db="$work/$order.db"
    rm -f "$db" "$db-wal" "$db-shm" "$db-journal"
    sync
    total=0
    line="$order:"
    for ((i = 0; i < ${#order}; i++)); do
        read -r kind file < <(file_of "${order:$i:1}")
        out=$(DATABASE_URL="sqlite://$db?mode=rwc" /usr/bin/time -v "$bin" import "$kind" "$file" 2>&1 >/dev/null)
        wall=$(grep -o 'Elapsed (wall clock) time.*' <<<"$out" | awk '{print $NF}')
        rss=$(grep -o 'Maximum resident set size.*' <<<"$out" | awk '{print $NF}')
        secs=$(awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }' <<<"$wall")
        total=$(awk -v a="$total" -v b="$secs" 'BEGIN { print a + b }')
        line+=" $kind ${secs}s $((rss / 1024))MB;"
    done
    scores=$(DATABASE_URL="sqlite://$db?mode=rwc" "$bin" eval --truth "$data/truth.csv" 2>/dev/null | tr '\n' ' ')
    echo "$line total ${total}s | $scores"
    DATABASE_URL="sqlite://$db?mode=rwc" "$bin" export records 2>/dev/null >"$work/$order.csv"
done

# Pairwise F1 between each pair of orders' partitions (the first as the "truth").
for ((i = 0; i < ${#orders[@]}; i++)); do
    for ((j = i + 1; j < ${#orders[@]}; j++)); do
        a=${orders[$i]} b=${orders[$j]}
        echo "$a vs $b: $(python3 "$here/pairwise_f1.py" "$work/$b.csv" "$work/$a.csv")"
    done
done
