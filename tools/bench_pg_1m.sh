#!/bin/bash
# PostgreSQL beside SQLite at the issue's own scale (issue 25): 1 000 000 township rows in one
# file, then a 10 000-record batch into a copy of that register, on each backend, one binary.
#   tools/bench_pg_1m.sh BINARY [PG_URL_BASE] [WORKDIR]
# Prints wall time and peak RSS of each command. Needs the files of tools/bench_pg.sh's batch
# case (WORKDIR/inc10k.csv is made here if missing). Scratch databases pgm_bench_* are dropped
# at the end.
set -euo pipefail
bin=$(realpath "$1")
pg=${2:-postgres://postgres@127.0.0.1:5432}
work=${3:-/tmp/bench_pg}
here=$(dirname "$(realpath "$0")")
mkdir -p "$work"
tag="pgm_bench_$$"
[ -f "$work/t1m.csv" ] || python3 "$here/gen_township_rows.py" 1000000 "$work/t1m.csv" >/dev/null
if [ ! -f "$work/inc10k.csv" ]; then
    python3 "$here/gen_township_rows.py" 5000 "$work/inc_a.csv" 20200123 AGAIN >/dev/null
    python3 "$here/gen_township_rows.py" 5000 "$work/inc_b.csv" 7 NEW >/dev/null
    (cat "$work/inc_a.csv"; tail -n +2 "$work/inc_b.csv") >"$work/inc10k.csv"
fi
psql_admin() { psql -q -X -v ON_ERROR_STOP=1 "$pg/postgres" -c "$1" >/dev/null 2>&1; }
trap 'psql_admin "DROP DATABASE IF EXISTS ${tag} WITH (FORCE)"; psql_admin "DROP DATABASE IF EXISTS ${tag}_b WITH (FORCE)"' EXIT
timed() {
    local url=$1
    shift
    sync
    DATABASE_URL="$url" /usr/bin/time -f 'WALL %e s, peak %M KB' "$bin" "$@" 2>&1 >/dev/null |
        grep -o 'WALL.*'
}
rm -f "$work"/m1.db* "$work"/m1b.db*
echo "sqlite 1M:        $(timed "sqlite://$work/m1.db?mode=rwc" import township "$work/t1m.csv")"
cp "$work/m1.db" "$work/m1b.db"
echo "sqlite batch:     $(timed "sqlite://$work/m1b.db?mode=rwc" import township "$work/inc10k.csv")"
rm -f "$work"/m1.db* "$work"/m1b.db*
psql_admin "DROP DATABASE IF EXISTS ${tag} WITH (FORCE)"
psql_admin "CREATE DATABASE ${tag}"
echo "postgresql 1M:    $(timed "$pg/${tag}" import township "$work/t1m.csv")"
psql_admin "CREATE DATABASE ${tag}_b TEMPLATE ${tag}"
echo "postgresql batch: $(timed "$pg/${tag}_b" import township "$work/inc10k.csv")"
