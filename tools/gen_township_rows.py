#!/usr/bin/env python3
"""Writes N township check rows (CSV, Chinese headers) for the intake benchmark.

Usage: gen_township_rows.py N OUT.csv [SEED [PREFIX]]. Deterministic for a seed (the same seed
writes the same persons, so a file of another PREFIX re-reports them under other record IDs); every ID number
carries a correct check digit, a tenth of them with a typo, phones with spaces or +86.
"""
import csv
import datetime
import random
import sys
import tomllib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "fixtures"))
from cnid import make_id  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏建华飞宇浩然子轩梓涵欣怡俊杰志强海燕"
REGIONS = ["420102", "420103", "420104", "420106", "420111", "420902", "421002", "421102", "411599", "411502"]
ORIGINS = ["武汉市江岸区", "武汉市武昌区", "湖北省孝感市", "湖北省黄冈市", "武汉", "湖北荆州"]


def main():
    n = int(sys.argv[1])
    out = sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 20200123)
    prefix = sys.argv[4] if len(sys.argv) > 4 else "BENCH"
    county = tomllib.loads((Path(__file__).resolve().parent.parent / "fixtures/county.toml").read_text())
    townships = county["townships"]
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["编号", "乡镇", "村(社区)", "姓名", "性别", "年龄", "身份证号码", "联系电话",
                    "现住址", "来源地", "返乡日期", "交通方式", "症状", "核查人", "核查日期", "备注"])
        for i in range(n):
            t = rng.choice(townships)
            village = rng.choice(t["villages"])
            birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=rng.randrange(365 * 70))
            seq = rng.randrange(1000)
            id18 = make_id(rng.choice(REGIONS), birth, seq)
            if rng.random() < 0.1:
                pos = rng.randrange(17)
                id18 = id18[:pos] + str((int(id18[pos]) + 1) % 10) + id18[pos + 1:]
            phone = "1" + rng.choice("3589") + "".join(rng.choice("0123456789") for _ in range(9))
            style = rng.random()
            if style < 0.2:
                phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
            elif style < 0.3:
                phone = "+86-" + phone
            name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
            arrival = datetime.date(2020, 1, 10) + datetime.timedelta(days=rng.randrange(20))
            w.writerow([
                f"{prefix}-{i:07d}", t["name"], village, name, "男" if seq % 2 else "女",
                2020 - birth.year, id18, phone, f"青溪县{t['name']}{village}{rng.randrange(1, 99)}号",
                rng.choice(ORIGINS), f"{arrival.month}月{arrival.day}日", rng.choice(["自驾", "高铁", "大巴"]),
                rng.choice(["无", "无", "无", "发热", "咳嗽"]), "核查员", "2020-01-28", "",
            ])


if __name__ == "__main__":
    main()
