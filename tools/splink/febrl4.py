#!/usr/bin/env python3
"""Splink 5's FEBRL4 tutorial model, run as its tutorial runs it, for the ratio in BENCHMARKS.md.

`pip install 'splink[duckdb]==5.0.0'`, then
`python3 tools/splink/febrl4.py [DATA_DIR] [OUT.csv]` (DATA_DIR defaults to ../shared/data/febrl).

Faithful to Splink's own example (docs/demos/examples/duckdb/febrl4, the "detailed" model, the
one it predicts and clusters with): the files read by pyarrow as `splink_datasets` reads them
(here from the local copies, since the example downloads them), the same preparation (date of
birth, social-security number and postcode as trimmed text), its seven blocking rules, its six
comparisons, `probability_two_random_records_match` from its two deterministic rules at recall
0.8, u from 10^6 random pairs, EM on date of birth and on postcode without term frequencies,
predictions above 0.2 and clusters at 0.99. The tutorial's charts and its second ("simple")
model are left out: they draw, they do not link.

Writes the clusters as `source,record_id,person_id` (the shape of `paicha export records`) to
OUT.csv, or prints pairwise precision, recall and F1 against the FEBRL truth when OUT is not
given.
"""
import csv
import itertools
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow.csv as pa_csv
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

data = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/febrl")
out = Path(sys.argv[2]) if len(sys.argv) > 2 else None


def read(path):
    # As `splink_datasets` reads its CSV files.
    return pa_csv.read_csv(
        path, convert_options=pa_csv.ConvertOptions(strings_can_be_null=True)
    )


def prepare_data(data):
    data = data.rename_columns([column.strip() for column in data.column_names])
    return (
        duckdb.sql(
            """
            select
                * replace (
                    trim(cast(date_of_birth as varchar)) as date_of_birth,
                    trim(cast(soc_sec_id as varchar)) as soc_sec_id,
                    trim(cast(postcode as varchar)) as postcode
                ),
                regexp_extract(rec_id, '^([^-]+-[^-]+)', 1) as cluster
            from data
            """
        )
        .arrow()
        .read_all()
    )


dfs = [prepare_data(read(data / name)) for name in ["febrl4_a.csv", "febrl4_b.csv"]]

blocking_rules = [
    block_on("given_name", "surname"),
    "l.given_name = r.surname and l.surname = r.given_name",
    block_on("date_of_birth"),
    block_on("soc_sec_id"),
    block_on("state", "address_1"),
    block_on("street_number", "address_1"),
    block_on("postcode"),
]
detailed_model_settings = SettingsCreator(
    unique_id_column_name="rec_id",
    link_type="link_only",
    blocking_rules_to_generate_predictions=blocking_rules,
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
        cl.DamerauLevenshteinAtThresholds("postcode", [1, 2]).configure(
            term_frequency_adjustments=True
        ),
    ],
    retain_intermediate_calculation_columns=True,
)

db_api = DuckDBAPI()
dfs_sdf = [db_api.register(df) for df in dfs]
linker = Linker(dfs_sdf, detailed_model_settings)

deterministic_rules = [
    block_on("soc_sec_id"),
    block_on("given_name", "surname", "date_of_birth"),
]
linker.training.estimate_probability_two_random_records_match(deterministic_rules, recall=0.8)
linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("date_of_birth"), estimate_without_term_frequencies=True
)
linker.training.estimate_parameters_using_expectation_maximisation(
    block_on("postcode"), estimate_without_term_frequencies=True
)
predictions = linker.inference.predict(threshold_match_probability=0.2)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
    predictions, threshold_match_probability=0.99
)
rows = clusters.as_record_list()

if out is not None:
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["source", "record_id", "person_id"])
        for r in rows:
            w.writerow(["bigdata", r["rec_id"], r["cluster_id"]])
    sys.exit(0)

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
