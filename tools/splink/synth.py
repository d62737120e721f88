#!/usr/bin/env python3
"""An expert's Splink 5 model for paicha's synthetic county files (issue 25).

    pip install 'splink[duckdb]==5.0.0' pypinyin==0.55.0 opencc==1.1.9
    paicha synth --persons 20000 --seed S --out DIR
    python3 tools/splink/synth.py DIR [OUT.csv]

Reads the three files as paicha's `import` does (big-data CSV, township CSV, external notices
JSON), prepares them as someone who knows the sources would before handing them to Splink, and
deduplicates all records together (`dedupe_only` over one table: the same person is also listed
twice within one source). The clusters are written as `source,record_id,person_id` (the shape
of `paicha export records`) to OUT.csv when given (score them with tools/pairwise_f1.py), else scored pairwise against
DIR/truth.csv the way `paicha eval` scores (every pair of records in one cluster; precision, recall, F1).

Preparation: NFKC (full-width digits), Traditional to Simplified (OpenCC), names without spaces
or the middle dot and their pinyin (pypinyin, for homophones); ID numbers upper-case, 15-digit
numbers widened to 18 with their check digit, masked numbers (`420102********1234`) split into
the digits shown before and after the mask; mobile numbers (11 digits from 1) taken from the
phone cell and the remark, without +86, spaces or dashes, up to two; birth date and sex from a
full ID number, else birth year from the age given (nominal ages can be a year over); the
township from the township column or the address (known aliases by their first two characters).

Model: ID number (exact, one or two edits, a mask that fits, else), name (exact with term
frequencies, same pinyin, pinyin Jaro-Winkler 0.9, else), phones (a shared mobile with term
frequencies: families share one, else), birth date (exact, year within one, else), sex,
township. Blocking: the full ID, the shown ends of a mask with the phone, each phone, the name
with the township or the birth year. u from 10^7 random pairs, EM on the name and on the first
phone, predictions above 0.5 and clusters at 0.95.
"""
import csv
import functools
import itertools
import json
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow as pa
import splink.comparison_level_library as cll
import splink.comparison_library as cl
import opencc
from pypinyin import lazy_pinyin
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

data = Path(sys.argv[1])
out = Path(sys.argv[2]) if len(sys.argv) > 2 else None
t2s = opencc.OpenCC("t2s.json")
MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
CHECK = "10X98765432"
YEAR = 2020


def text(value):
    return unicodedata.normalize("NFKC", value or "").strip()


@functools.cache
def simplified(value):
    return t2s.convert(value)


@functools.cache
def char_pinyin(ch):
    return "".join(lazy_pinyin(ch))


def pinyin(name):
    return "".join(char_pinyin(ch) for ch in name)


def id_fields(raw):
    """(full 18-digit number or None, digits shown before a mask, after it)."""
    v = re.sub(r"\s", "", text(raw)).upper()
    if not v:
        return None, None, None
    if "*" in v:
        m = re.fullmatch(r"(\d*)\*+(\d{0,3}[\dX]?)", v)
        if not m:
            return None, None, None
        return None, m.group(1) or None, m.group(2) or None
    if re.fullmatch(r"\d{15}", v):
        body = v[:6] + "19" + v[6:]
        v = body + CHECK[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]
    if re.fullmatch(r"\d{17}[\dX]", v):
        return v, v[:6], v[-4:]
    return None, None, None


def phones(*cells):
    found = []
    for cell in cells:
        digits = re.sub(r"(?<=\d)[\s-](?=\d)", "", text(cell)).replace("+86", "")
        for p in MOBILE.findall(digits):
            if p not in found:
                found.append(p)
    return (found + [None, None])[:2]


def record(source, record_id, name, id_raw, phone_cells, age, sex, township, address):
    full, prefix, suffix = id_fields(id_raw)
    name = simplified(re.sub(r"[\s·•.]", "", text(name))) or None
    p1, p2 = phones(*phone_cells)
    dob = birth_year = None
    if full:
        dob = f"{full[6:10]}-{full[10:12]}-{full[12:14]}"
        birth_year = int(full[6:10])
        sex = "男" if int(full[16]) % 2 else "女"
    else:
        sex = text(sex) or None
        a = re.sub(r"\D", "", text(age))
        birth_year = YEAR - int(a) if a else None
    township = text(township) or None
    address = text(address) or None
    if township is None and address:
        m = re.search(r"县?([^县省市]{2,4}?(?:镇|乡|街道))", address)
        township = m.group(1) if m else None
    if township:
        township = simplified(township)[:2]
    if not (name or full or prefix or suffix or p1):
        return None  # names nobody: intake rejects it, the truth leaves it out
    return {
        "unique_id": f"{source}|{record_id}",
        "source": source,
        "record_id": record_id,
        "name": name,
        "name_py": pinyin(name) if name else None,
        "id_full": full,
        "id_prefix": prefix,
        "id_suffix": suffix,
        "phone1": p1,
        "phone2": p2,
        "phones": [p for p in (p1, p2) if p] or None,
        "dob": dob,
        "birth_year": birth_year,
        "sex": sex,
        "township": township,
    }


def load():
    rows = []
    with open(data / "bigdata.csv", newline="", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            rows.append(record("bigdata", r["序号"], r["姓名"], r["身份证号"], [r["手机号"]],
                               None, None, None, r["现所在地"]))
    with open(data / "township.csv", newline="", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            town = r.get("鄉鎮") or r.get("乡镇")
            rows.append(record("township", r["编号"], r["姓名"], r["身份证号码"],
                               [r["联系电话"], r["备注"]], r["年龄"], r["性别"], town,
                               r["现住址"]))
    with open(data / "external.json", encoding="utf-8") as f:
        notices = json.load(f)
    for n in notices if isinstance(notices, list) else [notices]:
        for p in n["persons"]:
            rows.append(record("external", p["record_id"], p.get("name"), p.get("id_number"),
                               [p.get("phone"), p.get("note")], None, p.get("sex"), None,
                               p.get("current_address")))
    return [r for r in rows if r]


rows = load()
table = pa.Table.from_pylist(rows)

id_comparison = cl.CustomComparison(
    output_column_name="id_number",
    comparison_levels=[
        cll.And(cll.NullLevel("id_full"), cll.NullLevel("id_suffix")),
        cll.ExactMatchLevel("id_full"),
        cll.DamerauLevenshteinLevel("id_full", 1),
        cll.DamerauLevenshteinLevel("id_full", 2),
        cll.CustomLevel(
            "(id_full_l is null or id_full_r is null) and id_suffix_l = id_suffix_r "
            "and (starts_with(coalesce(id_prefix_l, ''), coalesce(id_prefix_r, '')) "
            "or starts_with(coalesce(id_prefix_r, ''), coalesce(id_prefix_l, '')))",
            label_for_charts="a mask fits",
        ),
        cll.ElseLevel(),
    ],
)
name_comparison = cl.CustomComparison(
    output_column_name="name",
    comparison_levels=[
        cll.NullLevel("name"),
        cll.ExactMatchLevel("name").configure(tf_adjustment_column="name"),
        cll.ExactMatchLevel("name_py"),
        cll.JaroWinklerLevel("name_py", 0.9),
        cll.ElseLevel(),
    ],
)
phone_comparison = cl.CustomComparison(
    output_column_name="phones",
    comparison_levels=[
        cll.NullLevel("phones"),
        cll.ExactMatchLevel("phone1").configure(tf_adjustment_column="phone1"),
        cll.ArrayIntersectLevel("phones", 1),
        cll.ElseLevel(),
    ],
)
birth_comparison = cl.CustomComparison(
    output_column_name="birth",
    comparison_levels=[
        cll.NullLevel("birth_year"),
        cll.ExactMatchLevel("dob"),
        cll.ExactMatchLevel("birth_year"),
        cll.AbsoluteDifferenceLevel("birth_year", 1),
        cll.ElseLevel(),
    ],
)

settings = SettingsCreator(
    unique_id_column_name="unique_id",
    link_type="dedupe_only",
    blocking_rules_to_generate_predictions=[
        block_on("id_full"),
        block_on("id_suffix", "phone1"),
        block_on("id_suffix", "name"),
        block_on("phone1"),
        "l.phone1 = r.phone2",
        "l.phone2 = r.phone1",
        block_on("name", "township"),
        block_on("name", "birth_year"),
        block_on("name_py", "birth_year"),
    ],
    comparisons=[
        id_comparison,
        name_comparison,
        phone_comparison,
        birth_comparison,
        cl.ExactMatch("sex"),
        cl.ExactMatch("township"),
    ],
)

db_api = DuckDBAPI()
linker = Linker(db_api.register(table), settings)
linker.training.estimate_probability_two_random_records_match(
    [block_on("id_full"), block_on("name", "phone1")], recall=0.7
)
linker.training.estimate_u_using_random_sampling(max_pairs=1e7)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("name"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("phone1"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_full"))
predictions = linker.inference.predict(threshold_match_probability=0.5)
clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
result = clusters.as_record_list()

if out is not None:
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["source", "record_id", "person_id"])
        for r in result:
            w.writerow([r["source"], r["record_id"], r["cluster_id"]])
    sys.exit(0)


def pairs(clusters):
    return {p for m in clusters.values() for p in itertools.combinations(sorted(m), 2)}


predicted = defaultdict(list)
for r in result:
    predicted[r["cluster_id"]].append((r["source"], r["record_id"]))
truth = defaultdict(list)
with open(data / "truth.csv", newline="", encoding="utf-8") as f:
    for r in csv.DictReader(f):
        truth[r["person_id"]].append((r["source"], r["record_id"]))
pp, tp_ = pairs(predicted), pairs(truth)
tp = len(pp & tp_)
p = tp / len(pp) if pp else 1.0
r = tp / len(tp_) if tp_ else 1.0
f1 = 2 * p * r / (p + r) if p + r else 0.0
print(f"splink synth: records={len(rows)} pairs predicted={len(pp)} true={len(tp_)} tp={tp} "
      f"precision={p:.4f} recall={r:.4f} f1={f1:.4f}")
