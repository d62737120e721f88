#!/usr/bin/env python3
"""Splink 5's FEBRL4 model (after its FEBRL4 tutorial), timed end to end, for the ratio in
BENCHMARKS.md: `pip install 'splink[duckdb]==5.0.0'`, then
`/usr/bin/time -f %e python3 tools/splink/febrl4.py ../shared/data/febrl`.

Prints the pairwise precision, recall and F1 of its clusters against the FEBRL truth.
"""
import csv
import itertools
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/febrl")
con = duckdb.connect()
db_api = DuckDBAPI(connection=con)
# Every column as text, as FEBRL means it (dates of birth and postcodes are codes, not numbers).
a = db_api.register(con.read_csv(str(data / "febrl4_a.csv"), all_varchar=True))
b = db_api.register(con.read_csv(str(data / "febrl4_b.csv"), all_varchar=True))

settings = SettingsCreator(
    unique_id_column_name="rec_id",
    link_type="link_only",
    blocking_rules_to_generate_predictions=[
        block_on("given_name"),
        block_on("surname"),
        block_on("date_of_birth"),
        block_on("soc_sec_id"),
        block_on("state", "address_1"),
        block_on("street_number", "address_1"),
        block_on("postcode"),
    ],
    comparisons=[
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison(
            "date_of_birth",
            input_is_string=True,
            datetime_format="%Y%m%d",
            invalid_dates_as_null=True,
        ),
        cl.DamerauLevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number").configure(term_frequency_adjustments=True),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
    ],
    retain_intermediate_calculation_columns=False,
)
linker = Linker([a, b], settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given_name", "surname"), block_on("date_of_birth", "soc_sec_id")],
    recall=0.8,
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("date_of_birth"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname"))
predictions = linker.inference.predict(threshold_match_probability=0.2)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.99)
rows = clusters.as_record_list()

predicted = defaultdict(list)
for r in rows:
    predicted[r["cluster_id"]].append(r["rec_id"])
truth = {}
with open(data / "febrl4_truth_clusters.csv", newline="") as f:
    for r in csv.DictReader(f):
        truth[r["rec_id"]] = r["entity_id"]
pred_pairs = {p for m in predicted.values() for p in itertools.combinations(sorted(m), 2)}
by_entity = defaultdict(list)
for rec, ent in truth.items():
    by_entity[ent].append(rec)
true_pairs = {p for m in by_entity.values() for p in itertools.combinations(sorted(m), 2)}
tp = len(pred_pairs & true_pairs)
precision = tp / len(pred_pairs) if pred_pairs else 1.0
recall = tp / len(true_pairs)
f1 = 2 * precision * recall / (precision + recall)
print(f"splink febrl4: predicted={len(pred_pairs)} true={len(true_pairs)} tp={tp} "
      f"precision={precision:.4f} recall={recall:.4f} f1={f1:.4f}")
