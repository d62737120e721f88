#!/bin/bash
# Where a paicha command's memory peaks: runs it with its stage log (`RUST_LOG=paicha=debug`),
# samples its resident set twice a second from /proc, and prints each stage's end beside the
# samples, then the peak sample and `time`'s peak (issue 25; how session 15 found the 1 M
# import's peak).
#   tools/rss_timeline.sh OUTDIR BINARY ARGS...
# e.g. tools/rss_timeline.sh /tmp/rss target/release/paicha --database-url \
#        'sqlite:///tmp/m1.db?mode=rwc' import township t1m.csv
# OUTDIR keeps the stage log (stages.log) and the samples (rss.txt: time, MB).
set -euo pipefail
out=$1
bin=$(realpath "$2")
shift 2
mkdir -p "$out"
RUST_LOG=paicha=debug /usr/bin/time -f 'WALL %e s, peak %M KB' "$bin" "$@" \
    2>"$out/stages.log" >/dev/null &
runner=$!
pid=""
for _ in $(seq 1 100); do
    pid=$(pgrep -n -P "$runner" || true)
    [ -n "$pid" ] && break
    sleep 0.01
done
: >"$out/rss.txt"
while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
    rss=$(awk '/^VmRSS/ { print int($2 / 1024) }' "/proc/$pid/status" 2>/dev/null || true)
    [ -n "$rss" ] && echo "$(date +%T.%N | cut -c1-11) $rss" >>"$out/rss.txt"
    sleep 0.5
done
wait "$runner"
{
    sed 's/\x1b\[[0-9;]*m//g' "$out/stages.log" | grep -E 'stage done' |
        sed -E 's/^[0-9-]+T([0-9:.]{11}).*stage="([^"]*)" ms=([0-9]+) rss_mb=([0-9]+).*/\1 stage "\2" \3 ms, rss \4 MB/'
    sed 's/$/ MB sampled/' "$out/rss.txt"
} | sort -s -k1,1
echo "peak sample: $(sort -k2 -n "$out/rss.txt" | tail -1)"
grep -o 'WALL.*' "$out/stages.log"
