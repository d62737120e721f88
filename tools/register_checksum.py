#!/usr/bin/env python3
"""SHA-256 over every non-timestamp column of a paicha SQLite register, per table.

Usage: python3 tools/register_checksum.py DB [DB ...]  (tools/register_checksum.sh builds the registers)

The four tables of a resolution run (person, record_link, review_candidate, resolution_event)
are always printed; every other table of the register is printed too (source_record, the match
index, the match model, batches), so that a restructuring can be shown to change nothing.
Rows are ordered by `id` where the table has one, else by every column; JSON texts are
compared with their keys sorted. Timestamp columns
(when a row was written) differ from run to run and are left out.
"""

import hashlib
import json
import sqlite3
import sys

# Columns holding the time a row was written: they differ between any two runs.
TIMESTAMPS = {
    "created_at",
    "updated_at",
    "linked_at",
    "at",
    "decided_at",
    "imported_at",
    "trained_at",
}
FIRST = ["person", "record_link", "review_candidate", "resolution_event"]
SKIP = {"seaql_migrations", "sqlite_sequence", "api_token", "audit_log"}


def canonical(value):
    """JSON text with its keys sorted: a model's maps (HashMaps in paicha) are written in a
    different order on every run."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.dumps(json.loads(value), sort_keys=True, ensure_ascii=False)
        except ValueError:
            return value
    return value


def table_sum(conn, table):
    cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
    kept = [c for c in cols if c not in TIMESTAMPS]
    order = "id" if "id" in cols else ", ".join(f'"{c}"' for c in kept)
    select = ", ".join(f'"{c}"' for c in kept)
    h = hashlib.sha256()
    n = 0
    for row in conn.execute(f'SELECT {select} FROM "{table}" ORDER BY {order}'):
        h.update(repr(tuple(canonical(v) for v in row)).encode())
        h.update(b"\n")
        n += 1
    return n, h.hexdigest()


def main():
    for path in sys.argv[1:]:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        rest = [t for t in tables if t not in FIRST and t not in SKIP]
        print(f"# {path}")
        for table in FIRST + rest:
            n, digest = table_sum(conn, table)
            print(f"{table:24} {n:8} {digest}")


if __name__ == "__main__":
    main()
