#!/bin/bash
# The synthetic county, paicha against an expert's Splink 5 model, alternately in one run
# (issue 25). paicha imports the three files as three commands into a fresh SQLite register
# (bigdata, township, external) and is scored with `paicha eval`; Splink reads the same files,
# trains, predicts, clusters and writes its clusters (tools/splink/synth.py), scored with
# tools/pairwise_f1.py against the same truth. Prints each run's wall times, P/R/F1 of each side
# and the ratio of Splink's best to paicha's worst.
#   tools/synth_vs_splink.sh BINARY [PERSONS] [SEED] [RUNS] [WORKDIR]
# Needs `pip install 'splink[duckdb]==5.0.0' pypinyin==0.55.0 opencc==1.1.9`.
set -euo pipefail
bin=$(realpath "$1")
persons=${2:-20000}
seed=${3:-1}
runs=${4:-3}
work=${5:-/tmp/synth_vs_splink}
here=$(dirname "$(realpath "$0")")
data="$work/synth-$persons-$seed"
mkdir -p "$work"
[ -f "$data/truth.csv" ] || "$bin" synth --persons "$persons" --seed "$seed" --out "$data" >/dev/null
db="$work/db/synth.db"
url="sqlite://$db?mode=rwc"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

paicha_run() {
    rm -rf "$work/db" && mkdir -p "$work/db"
    sync
    local t0 t1
    t0=$(now)
    "$bin" --database-url "$url" import bigdata "$data/bigdata.csv" >/dev/null 2>&1
    "$bin" --database-url "$url" import township "$data/township.csv" >/dev/null 2>&1
    "$bin" --database-url "$url" import external "$data/external.json" >/dev/null 2>&1
    t1=$(now)
    secs "$t0" "$t1"
}

splink_run() {
    sync
    local t0 t1
    t0=$(now)
    python3 "$here/splink/synth.py" "$data" "$work/splink.csv" >/dev/null 2>&1
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

echo "paicha: $("$bin" --database-url "$url" eval --truth "$data/truth.csv" 2>/dev/null | tr '\n' ' ')"
echo "splink: $(python3 "$here/pairwise_f1.py" "$work/splink.csv" "$data/truth.csv")"
worst=$(printf '%s\n' "${paicha_times[@]}" | sort -g | tail -1)
best=$(printf '%s\n' "${splink_times[@]}" | sort -g | head -1)
echo "persons $persons seed $seed: paicha worst ${worst}s, splink best ${best}s: ratio $(awk \
    -v a="$best" -v b="$worst" 'BEGIN { printf "%.1f", a / b }')x"
