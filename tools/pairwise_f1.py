#!/usr/bin/env python3
"""Pairwise precision / recall / F1 of `paicha export records` against a truth file.

Both files are CSV `source,record_id,person_id`. Usage: pairwise_f1.py EXPORT.csv TRUTH.csv
"""
import csv
import itertools
import sys
from collections import defaultdict


def pairs(path):
    clusters = defaultdict(list)
    with open(path, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            clusters[row["person_id"]].append((row["source"].lower(), row["record_id"]))
    out = set()
    for members in clusters.values():
        for a, b in itertools.combinations(sorted(members), 2):
            out.add((a, b))
    return out


predicted, truth = pairs(sys.argv[1]), pairs(sys.argv[2])
tp = len(predicted & truth)
p = tp / len(predicted) if predicted else 1.0
r = tp / len(truth) if truth else 1.0
f1 = 2 * p * r / (p + r) if p + r else 0.0
print(f"pairs predicted={len(predicted)} true={len(truth)} tp={tp} precision={p:.4f} recall={r:.4f} f1={f1:.4f}")
