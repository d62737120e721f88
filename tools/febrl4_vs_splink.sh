#!/bin/bash
# FEBRL4 end to end, paicha against Splink 5's FEBRL4 tutorial model, alternately in one run
# (issue 25). Each side does what a user does: paicha imports both files into a fresh SQLite
# register (which resolves it) and exports the records; Splink reads both files, trains its
# tutorial model, predicts, clusters and writes the clusters (tools/splink/febrl4.py). Each run's
# wall time is printed, then P/R/F1 of each side (paicha's with `paicha eval`, Splink's with
# tools/pairwise_f1.py on the same truth), the ratio of the two sides' medians, and the ratio of
# Splink's best to paicha's worst.
#   tools/febrl4_vs_splink.sh BINARY [RUNS] [DATA_DIR] [WORKDIR]
# Needs `pip install 'splink[duckdb]==5.0.0'`. PAICHA_FEBRL_STEPS=two imports file A and file B
# as two commands instead of one.
set -euo pipefail
bin=$(realpath "$1")
runs=${2:-5}
data=$(realpath "${3:-../shared/data/febrl}")
work=${4:-/tmp/febrl4_vs_splink}
here=$(dirname "$(realpath "$0")")
map="$here/../fixtures/febrl/febrl.map.toml"
mkdir -p "$work"
db="$work/db/febrl.db"
url="sqlite://$db?mode=rwc"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# Truth as `source,record_id,person_id` for the pairwise scorer.
awk -F, 'NR == 1 { print "source,record_id,person_id"; next } { print "bigdata," $1 "," $2 }' \
    "$data/febrl4_truth_clusters.csv" >"$work/truth.csv"

paicha_run() {
    rm -rf "$work/db" && mkdir -p "$work/db"
    sync
    local t0 t1
    t0=$(now)
    if [ "${PAICHA_FEBRL_STEPS:-one}" = two ]; then
        "$bin" --database-url "$url" --profile febrl import bigdata "$data/febrl4_a.csv" \
            --map "$map" >/dev/null 2>&1
        "$bin" --database-url "$url" --profile febrl import bigdata "$data/febrl4_b.csv" \
            --map "$map" >/dev/null 2>&1
    else
        "$bin" --database-url "$url" --profile febrl import bigdata \
            "$data/febrl4_a.csv" "$data/febrl4_b.csv" --map "$map" >/dev/null 2>&1
    fi
    "$bin" --database-url "$url" --profile febrl export records >"$work/paicha.csv" 2>/dev/null
    t1=$(now)
    secs "$t0" "$t1"
}

splink_run() {
    sync
    local t0 t1
    t0=$(now)
    python3 "$here/splink/febrl4.py" "$data" "$work/splink.csv" >/dev/null 2>&1
    t1=$(now)
    secs "$t0" "$t1"
}

paicha_times=() splink_times=()
for ((i = 1; i <= runs; i++)); do
    p=$(paicha_run)
    s=$(splink_run)
    paicha_times+=("$p") splink_times+=("$s")
    echo "run $i: paicha ${p}s  splink ${s}s"
done

echo "paicha: $("$bin" --database-url "$url" --profile febrl eval \
    --truth "$data/febrl4_truth_clusters.csv" 2>/dev/null | tr '\n' ' ')"
echo "paicha (pairwise_f1.py): $(python3 "$here/pairwise_f1.py" "$work/paicha.csv" "$work/truth.csv")"
echo "splink (pairwise_f1.py): $(python3 "$here/pairwise_f1.py" "$work/splink.csv" "$work/truth.csv")"
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
pm=$(printf '%s\n' "${paicha_times[@]}" | median)
sm=$(printf '%s\n' "${splink_times[@]}" | median)
echo "medians: paicha ${pm}s, splink ${sm}s: ratio $(awk -v a="$sm" -v b="$pm" \
    'BEGIN { printf "%.1f", a / b }')x"
worst=$(printf '%s\n' "${paicha_times[@]}" | sort -g | tail -1)
best=$(printf '%s\n' "${splink_times[@]}" | sort -g | head -1)
echo "paicha worst ${worst}s, splink best ${best}s: ratio $(awk -v a="$best" -v b="$worst" \
    'BEGIN { printf "%.1f", a / b }')x"
