#!/bin/bash
# What SQLite alone needs to write what a register holds (issue 25's floors): the rows of a
# finished register are copied into an empty database of the same schema with `INSERT …
# SELECT`, one transaction per import batch (a batch's records, their match keys, links and
# events, and the persons first linked in it), with the settings `paicha import` writes with
# (rollback journal, `synchronous = FULL`, 128 MiB cache, the register's page size) and every
# index live. No parsing, binding, matching or driver cost is in it: the time it prints is what
# the writes cost however they are made. Rows are staged in memory before the clock starts.
#   tools/sqlite_floor.sh REGISTER.db [WORKDIR]
# Prints each transaction's time and the total. Uses the `sqlite3` command-line shell.
set -euo pipefail
src=$(realpath "$1")
work=${2:-/tmp/sqlite_floor}
mkdir -p "$work"
db="$work/floor.db"
rm -f "$db" "$db-journal"
page=$(sqlite3 "$src" 'PRAGMA page_size')
sqlite3 "$src" .schema | grep -v sqlite_sequence >"$work/schema.sql"
sqlite3 "$db" "PRAGMA page_size = $page;" ".read $work/schema.sql"
batches=$(sqlite3 "$src" 'SELECT id FROM import_batch ORDER BY id')

{
    echo "PRAGMA journal_mode = DELETE; PRAGMA synchronous = FULL; PRAGMA cache_size = -131072;"
    echo "PRAGMA temp_store = MEMORY; ATTACH '$src' AS o;"
    # A person belongs to the batch of its first linked record.
    echo "CREATE TEMP TABLE first_batch AS SELECT l.person_id AS person, min(r.batch_id) AS batch
          FROM o.record_link l JOIN o.source_record r ON r.id = l.source_record_id
          GROUP BY l.person_id;"
    for b in $batches; do
        echo "CREATE TEMP TABLE r$b AS SELECT * FROM o.source_record WHERE batch_id = $b;
              CREATE TEMP TABLE k$b AS SELECT * FROM o.match_key WHERE source_record_id IN
                (SELECT id FROM r$b);
              CREATE TEMP TABLE l$b AS SELECT * FROM o.record_link WHERE source_record_id IN
                (SELECT id FROM r$b);
              CREATE TEMP TABLE e$b AS SELECT * FROM o.resolution_event WHERE batch_id = $b;
              CREATE TEMP TABLE p$b AS SELECT * FROM o.person WHERE id IN
                (SELECT person FROM first_batch WHERE batch = $b);"
    done
    echo "CREATE TEMP TABLE p0 AS SELECT * FROM o.person WHERE id NOT IN
            (SELECT person FROM first_batch);"
    echo "CREATE TEMP TABLE e0 AS SELECT * FROM o.resolution_event WHERE batch_id IS NULL;"
    echo ".timer on"
    for b in $batches; do
        echo "SELECT 'batch $b';"
        echo "BEGIN;"
        echo "INSERT INTO main.import_batch SELECT * FROM o.import_batch WHERE id = $b;"
        echo "INSERT INTO main.source_record SELECT * FROM r$b;"
        echo "INSERT INTO main.match_key SELECT * FROM k$b;"
        echo "INSERT INTO main.person SELECT * FROM p$b;"
        echo "INSERT INTO main.record_link SELECT * FROM l$b;"
        echo "INSERT INTO main.resolution_event SELECT * FROM e$b;"
        echo "COMMIT;"
    done
    echo "SELECT 'rest';"
    echo "BEGIN;"
    echo "INSERT INTO main.person SELECT * FROM p0;"
    echo "INSERT INTO main.resolution_event SELECT * FROM e0;"
    echo "INSERT INTO main.review_candidate SELECT * FROM o.review_candidate;"
    echo "COMMIT;"
} >"$work/floor.sql"
sync
sqlite3 "$db" <"$work/floor.sql" | awk '
    /^batch|^rest/ { name = $0; names[++n] = name; next }
    /^Run Time/ { t[name] += $4; total += $4 }
    END { for (i = 1; i <= n; i++) printf "%s: %.3f s\n", names[i], t[names[i]]
          printf "in all: %.3f s\n", total }'
