#!/usr/bin/env python3
"""Hub to hub under SIGKILL: two real `paicha serve` processes on temporary SQLite databases.

Each trial starts hub A (罗山县, 411521) and hub B (江岸区, 420102), pairs them with one shared
secret, issues letters on A electronically (each letter to B lists new persons), while a
killer thread kills B with SIGKILL at random moments and restarts it on the same port and
database. Once every letter is delivered, B answers each notice (replyToNotice, issued
electronically) while still being killed now and then. At the end of a trial it checks:

- every letter of A arrived at B exactly once (B's notices per number == 1), with exactly the
  letter's persons;
- every reply was recorded exactly once (A's letter_reply per letter and person == 1), and
  every letter of A is REPLIED.

Usage: tools/exchange_kill_loop.py [--trials 20] [--letters 3] [--bin PATH] [--seed N]
The binary defaults to $CARGO_TARGET_DIR/debug/paicha (else target/debug/paicha). Prints the
figures at the end (JSON with --json). Exits non-zero when a check fails.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

COUNTY_A = """name = "罗山县"
code = "411521"
province = "河南省"
city = "信阳市"

[[townships]]
name = "龙山街道"
villages = ["龙山社区"]
"""

COUNTY_B = """name = "江岸区"
code = "420102"
province = "湖北省"
city = "武汉市"

[[townships]]
name = "大智街道"
aliases = ["大智"]
villages = ["大智社区"]

[[townships]]
name = "一元街道"
aliases = ["一元"]
villages = ["一元社区"]
"""

TODAY = "2020-02-01"
DEADLINE_S = 120.0


def id_number(region, birth, seq):
    """A valid 18-digit ID number (GB 11643 check digit)."""
    body = f"{region}{birth}{seq:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(d) * w for d, w in zip(body, weights))
    return body + "10X98765432"[total % 11]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Hub:
    """One `paicha serve` process on its own database and port."""

    def __init__(self, binary, workdir, name, county_text, port):
        self.binary = binary
        self.name = name
        self.county = os.path.join(workdir, f"{name}.toml")
        with open(self.county, "w", encoding="utf-8") as f:
            f.write(county_text)
        self.db_path = os.path.join(workdir, f"{name}.db")
        self.db_url = f"sqlite://{self.db_path}?mode=rwc"
        self.port = port
        self.log = open(os.path.join(workdir, f"{name}.log"), "ab")
        self.proc = None
        self.token = None
        self.starts = 0
        self.kills = 0
        self.lock = threading.Lock()

    def cmd(self, *args):
        return [self.binary, "--county", self.county, "--today", TODAY,
                "--database-url", self.db_url, *args]

    def run(self, *args):
        out = subprocess.run(self.cmd(*args), capture_output=True, text=True, check=False)
        if out.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(args)} failed: {out.stderr}")
        return out.stdout

    def start(self):
        with self.lock:
            env = dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "info"))
            self.proc = subprocess.Popen(
                self.cmd("serve", "--bind", f"127.0.0.1:{self.port}",
                         "--delivery-retry-ms", "100", "--delivery-retry-max-ms", "1000",
                         "--delivery-timeout-ms", "2000"),
                stdout=self.log, stderr=self.log, env=env)
            self.starts += 1
        self.wait_ready()

    def wait_ready(self):
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} did not start")

    def kill(self):
        with self.lock:
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()
                self.kills += 1

    def stop(self):
        with self.lock:
            if self.proc and self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)
                self.proc.wait()

    def gql(self, query, variables=None, files=None):
        url = f"http://127.0.0.1:{self.port}/graphql"
        headers = {"Authorization": f"Bearer {self.token}"}
        if files:
            boundary = "----paicha" + str(random.random())[2:]
            ops = json.dumps({"query": query, "variables": variables or {}})
            name, content = files
            parts = [
                f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{ops}\r\n',
                f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
                '{"0":["variables.f"]}\r\n',
                f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="{name}"\r\n'
                "Content-Type: application/json\r\n\r\n",
            ]
            body = "".join(parts).encode() + content + f"\r\n--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = json.dumps({"query": query, "variables": variables or {}}).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=30) as r:
            answer = json.loads(r.read())
        if answer.get("errors"):
            raise RuntimeError(f"{self.name}: {answer['errors']}")
        return answer["data"]

    def sql(self, query, args=()):
        con = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return con.execute(query, args).fetchall()
        finally:
            con.close()


def retrying(call, what, deadline):
    """Calls `call` until it succeeds (B may be down) or the deadline passes."""
    while True:
        try:
            return call()
        except (urllib.error.URLError, OSError, ConnectionError) as e:
            if time.time() > deadline:
                raise RuntimeError(f"{what}: {e}") from e
            time.sleep(0.1)


def killer(hub, stop, rng):
    """Kills `hub` at random moments and starts it again after a random downtime."""
    first = True
    while not stop.is_set():
        if stop.wait(rng.uniform(0.0, 0.3) if first else rng.uniform(0.05, 0.6)):
            break
        first = False
        hub.kill()
        time.sleep(rng.uniform(0.05, 0.8))
        hub.start()


def notice(trial, letter, persons, rng):
    rows = []
    for p in range(persons):
        seq = letter * 10 + p + 1
        birth = f"19{rng.randint(50, 99)}0{rng.randint(1, 9)}1{rng.randint(0, 9)}"
        township = rng.choice(["大智街道大智社区", "一元街道一元社区"])
        rows.append({
            "record_id": f"T{trial}-{letter}-{p}",
            "name": rng.choice("赵钱孙李周吴郑王") + rng.choice(["建国", "秀英", "志强", "丽华", "海涛"]) + str(seq),
            "sex": "男" if seq % 2 else "女",
            "id_number": id_number("420102", birth, seq),
            "phone": f"139{trial:02d}{letter:02d}{p:04d}",
            "current_address": f"湖北省武汉市江岸区{township}",
            "note": "",
        })
    return {
        "notice_no": f"孝南防指协〔2020〕{trial}-{letter}号",
        "sending_jurisdiction": "湖北省孝感市孝南区",
        "send_date": "2020-01-30",
        "contact": "陈股长",
        "note": "",
        "persons": rows,
    }


def trial(binary, n, letters, persons, rng):
    work = tempfile.mkdtemp(prefix=f"paicha-kill-{n}-")
    a = Hub(binary, work, "a", COUNTY_A, free_port())
    b = Hub(binary, work, "b", COUNTY_B, free_port())
    for hub in (a, b):
        hub.run("migrate")
        hub.token = hub.run("token", "create", "--role", "ADMIN").strip().split()[-1]
    secret = a.run("partner", "add", "--code", "420102", "--name", "武汉市江岸区",
                   "--url", f"http://127.0.0.1:{b.port}/").strip().split()[-1]
    b.run("partner", "add", "--code", "411521", "--name", "信阳市罗山县",
          "--url", f"http://127.0.0.1:{a.port}/", "--secret", secret)
    a.start()
    b.start()
    stop = threading.Event()
    thread = threading.Thread(target=killer, args=(b, stop, rng), daemon=True)
    thread.start()
    deadline = time.time() + DEADLINE_S
    try:
        numbers = []
        for letter in range(letters):
            body = json.dumps(notice(n, letter, persons, rng), ensure_ascii=False).encode()
            a.gql("mutation($f: Upload!) { importBatch(source: EXTERNAL, file: $f) { batchId } }",
                  {"f": None}, files=(f"n{letter}.json", body))
            drafts = a.gql("mutation { draftLetters { id jurisdiction { code } } }")["draftLetters"]
            draft = next(d for d in drafts if d["jurisdiction"]["code"] == "420102")
            issued = a.gql("mutation($id: ID!) { issueLetter(id: $id, channel: ELECTRONIC) "
                           "{ number } }", {"id": draft["id"]})
            numbers.append(issued["issueLetter"]["number"])
            time.sleep(rng.uniform(0.0, 0.3))
        # Every letter delivered.
        while True:
            rows = a.sql("SELECT COUNT(*) FROM letter WHERE kind='REQUEST' AND state='DELIVERED'")
            if rows[0][0] == letters:
                break
            if time.time() > deadline:
                raise RuntimeError("letters not delivered in time")
            time.sleep(0.1)
        # B answers every notice, electronically, still being killed now and then.
        for number in numbers:
            notice_id = b.sql("SELECT id FROM notice WHERE notice_no = ?", (number,))[0][0]

            def reply(notice_id=notice_id):
                found = b.sql("SELECT id, state FROM letter WHERE kind='REPLY' AND notice_id = ?",
                              (notice_id,))
                if found:
                    letter_id, state = found[0]
                else:
                    made = b.gql("mutation($n: ID!) { replyToNotice(noticeId: $n) { id } }",
                                 {"n": str(notice_id)})
                    letter_id, state = made["replyToNotice"]["id"], "DRAFT"
                if state == "DRAFT":
                    b.gql("mutation($id: ID!) { issueLetter(id: $id, channel: ELECTRONIC) "
                          "{ state } }", {"id": str(letter_id)})

            retrying(reply, "reply on B", deadline)
        while True:
            rows = a.sql("SELECT COUNT(*) FROM letter WHERE kind='REQUEST' AND state='REPLIED'")
            if rows[0][0] == letters:
                break
            if time.time() > deadline:
                raise RuntimeError("replies not recorded in time")
            time.sleep(0.1)
    finally:
        stop.set()
        thread.join()
    # B up again; both outboxes drain: a reply whose answer a kill lost (or whose lease a
    # killed B still held) is sent again now and must be answered as a replay.
    if b.proc is None or b.proc.poll() is not None:
        b.start()
    drain_deadline = time.time() + 60
    while any(h.sql("SELECT COUNT(*) FROM outbox WHERE state = 'PENDING'")[0][0] for h in (a, b)):
        if time.time() > drain_deadline:
            raise RuntimeError(f"trial {n}: outboxes did not drain (logs in {work})")
        time.sleep(0.1)
    figures = {
        "letters": letters,
        "persons": letters * persons,
        "kills": b.kills,
        "attempts_a_to_b": a.sql("SELECT COUNT(*) FROM delivery_attempt")[0][0],
        "failed_attempts_a_to_b": a.sql(
            "SELECT COUNT(*) FROM delivery_attempt WHERE status IS NULL OR status >= 300")[0][0],
        "attempts_b_to_a": b.sql("SELECT COUNT(*) FROM delivery_attempt")[0][0],
        "failed_attempts_b_to_a": b.sql(
            "SELECT COUNT(*) FROM delivery_attempt WHERE status IS NULL OR status >= 300")[0][0],
    }
    notices = dict(b.sql("SELECT notice_no, COUNT(*) FROM notice GROUP BY notice_no"))
    duplicate_notices = sum(c - 1 for c in notices.values() if c > 1)
    missing = [num for num in numbers if notices.get(num, 0) == 0]
    for num in numbers:
        sent = sorted(str(r[0]) for r in a.sql(
            "SELECT lp.person_id FROM letter_person lp JOIN letter l ON l.id = lp.letter_id "
            "WHERE l.number = ?", (num,)))
        got = sorted(r[0] for r in b.sql(
            "SELECT s.record_id FROM source_record s JOIN notice n ON n.id = s.notice_id "
            "WHERE n.notice_no = ?", (num,)))
        if sent != got:
            raise RuntimeError(f"trial {n}: notice {num} holds {got}, the letter {sent}")
    replies = a.sql("SELECT letter_id, person_id, COUNT(*) FROM letter_reply GROUP BY 1, 2")
    duplicate_replies = sum(c - 1 for _, _, c in replies if c > 1)
    figures.update({
        "duplicate_notices": duplicate_notices,
        "missing_notices": len(missing),
        "replies": len(replies),
        "duplicate_replies": duplicate_replies,
        "b_reply_letters": b.sql("SELECT COUNT(*) FROM letter WHERE kind='REPLY'")[0][0],
        "failed_rows": sum(h.sql("SELECT COUNT(*) FROM outbox WHERE state = 'FAILED'")[0][0]
                           for h in (a, b)),
    })
    a.stop()
    b.stop()
    # Requests answered from a receipt: a retry after an answer lost to a kill.
    for hub, key in ((b, "replayed_notices"), (a, "replayed_replies")):
        with open(hub.log.name, "rb") as f:
            figures[key] = f.read().count(b"answered again")
    if (duplicate_notices or missing or duplicate_replies or figures["failed_rows"]
            or len(replies) != letters * persons):
        raise RuntimeError(f"trial {n} failed its checks: {figures} (logs in {work})")
    shutil.rmtree(work, ignore_errors=True)
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--letters", type=int, default=5)
    parser.add_argument("--persons", type=int, default=2)
    parser.add_argument("--seed", type=int, default=23)
    parser.add_argument("--bin")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    binary = args.bin or os.path.join(os.environ.get("CARGO_TARGET_DIR", "target"), "debug", "paicha")
    rng = random.Random(args.seed)
    started = time.time()
    totals = {}
    for n in range(1, args.trials + 1):
        t0 = time.time()
        figures = trial(binary, n, args.letters, args.persons, rng)
        for k, v in figures.items():
            totals[k] = totals.get(k, 0) + v
        print(f"trial {n:2}: {figures['letters']} letters, {figures['kills']} kills of B, "
              f"{figures['attempts_a_to_b']}+{figures['attempts_b_to_a']} attempts "
              f"({figures['failed_attempts_a_to_b']}+{figures['failed_attempts_b_to_a']} failed), "
              f"replays {figures['replayed_notices']}+{figures['replayed_replies']}, "
              f"duplicates {figures['duplicate_notices']}/{figures['duplicate_replies']}, "
              f"{time.time() - t0:.1f} s", file=sys.stderr)
    totals["trials"] = args.trials
    totals["seconds"] = round(time.time() - started, 1)
    if args.json:
        print(json.dumps(totals, ensure_ascii=False, indent=2))
    else:
        print(f"{args.trials} trials in {totals['seconds']} s: {totals['letters']} letters "
              f"({totals['persons']} persons) delivered, {totals['replies']} replies recorded; "
              f"B killed {totals['kills']} times; attempts A→B {totals['attempts_a_to_b']} "
              f"({totals['failed_attempts_a_to_b']} failed), B→A {totals['attempts_b_to_a']} "
              f"({totals['failed_attempts_b_to_a']} failed); answered again from a receipt "
              f"{totals['replayed_notices']} notices, {totals['replayed_replies']} replies; "
              f"duplicate notices "
              f"{totals['duplicate_notices']}, duplicate replies {totals['duplicate_replies']}")


if __name__ == "__main__":
    main()
