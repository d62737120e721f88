#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60) and prints runs, speed
# and outcome per target. Crashes are kept in fuzz/artifacts/TARGET/, the corpus grows in
# fuzz/corpus/TARGET/ (the readers' corpora start from fixtures/samples/).
#
#   cargo install cargo-fuzz      # once
#   tools/fuzz.sh 600             # ten minutes a target
#
# cargo-fuzz passes nightly-only flags to rustc; RUSTC_BOOTSTRAP=1 lets the stable toolchain
# accept them. No sanitizer: paicha forbids unsafe code, so what fuzzing looks for is panics
# (debug assertions on: overflow too), hangs and runaway memory.
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1
flags=(--sanitizer none --debug-assertions)

cargo fuzz build "${flags[@]}"

seed() {
    local target="$1" ext="$2"
    mkdir -p "corpus/$target"
    for f in "$root"/fixtures/samples/*."$ext" "$root"/fixtures/demo/*."$ext"; do
        [ -e "$f" ] && cp -n "$f" "corpus/$target/" || true
    done
}
seed read_csv csv
seed read_xlsx xlsx
seed read_json json
seed read_ndjson ndjson

status=0
printf '%-12s %12s %10s %8s  %s\n' target runs 'runs/s' 'rss MB' outcome
for target in $(cargo fuzz list); do
    mkdir -p "corpus/$target" logs
    log="logs/$target.log"
    max_len=4096
    case "$target" in read_*) max_len=262144 ;; esac
    if cargo fuzz run "${flags[@]}" "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=20 -rss_limit_mb=2048 \
        -print_final_stats=1 >"$log" 2>&1; then
        outcome=ok
    else
        outcome="FAILED (see fuzz/$log and fuzz/artifacts/$target/)"
        status=1
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log" | tail -1)
    rate=$(( ${runs:-0} / ( ${secs:-1} > 0 ? ${secs:-1} : 1 ) ))
    printf '%-12s %12s %10s %8s  %s\n' "$target" "${runs:-?}" "$rate" "${rss:-?}" "$outcome"
done
exit $status
