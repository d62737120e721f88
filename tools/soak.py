#!/usr/bin/env python3
"""Soak test: mixed work against a live paicha server for a bounded time, then a report.

Usage (from the repository root; Python 3.11, standard library only):

    python3 tools/soak.py                                  # 10 minutes on a fresh SQLite file
    python3 tools/soak.py --seconds 120 --json soak.json
    python3 tools/soak.py --postgres postgres://postgres@127.0.0.1:5432/test
    python3 tools/soak.py --url http://127.0.0.1:8080 --token paicha_… [--database-url URL]

By default the script starts the server itself: `paicha serve --demo --bind 127.0.0.1:PORT
--rate-limit 1000000 --database-url URL` (the binary from `--bin`, else
`$CARGO_TARGET_DIR` or `target/`, release before debug), reads the demo ADMIN token from its
standard output and waits for `/health`. The register is a fresh SQLite file in a temporary
directory, or with `--postgres URL` a fresh database `soak_PID` created on that PostgreSQL
server with `psql` and dropped at the end. `--url` points at a server already running
instead (its token from `--token` or `PAICHA_TOKEN`; command-line imports only when
`--database-url` is given). Every address must be loopback (127.0.0.0/8 or ::1): the
script refuses any other, and ignores proxy settings.

For `--seconds` (600 by default), and never past `--max-requests` requests, threads send:

- queries, masked: `stats`, `persons(first: 50 …)` with filters and orders, `searchPersons`,
  `aggregates` (`--query-rate` a second);
- unmasked reads: `persons(first: 20)` with `idNumber(unmasked: true)` and
  `phones(unmasked: true)` (`--unmasked-rate` a second), each one audited;
- HTTP imports: generated big-data CSVs (`record_id,name,phone`, 50–500 rows, record IDs
  and file name unique) as GraphQL multipart uploads, every `--http-import-every` seconds;
- command-line imports: `paicha import bigdata FILE --json` of such files, alongside the
  server, every `--cli-import-every` seconds;
- decisions: `reviewCandidates`, then `decideCandidate(SAME|DIFFERENT)` on a pending one, from
  two threads so that they sometimes race (`CONFLICT` / `NOT_FOUND` for a candidate already
  decided or gone are expected answers, counted by code).

Every request is recorded with its kind, latency, HTTP status and `errors[].extensions.code`.
`BUSY` (503 with `Retry-After`) is a legitimate answer: counted, and an import told `BUSY` is
sent again after `Retry-After` (at most `--busy-retries` times).

At the end the script verifies that no import was lost: every import answered as succeeded is
in `importBatches` under its (unique) file name with all its records (`sourceRecords` of the
batch), every import that failed wrote nothing, and the register's big-data records grew by
exactly the rows of the imports that landed; the audit log holds an entry for every
successful unmasked read. It prints a plain-text report (requests by kind, errors by code
and kind, imports attempted / landed / lost, command-line exit codes, p50 / p99 / max latency
per kind, the server log's WARN / ERROR lines) and writes it as JSON with `--json FILE`.

Exit status: 0 when all is well; 1 when an import was lost (or a failed one wrote), any
`INTERNAL` error, any 5xx other than 503 `BUSY`, a transport error, an unexpected error code
or a failed check occurred; 2 when the run could not start.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import ipaddress
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

HTTP_TIMEOUT_S = 150  # the server gives up on a request after 120 s (503 TIMEOUT)
CLI_TIMEOUT_S = 300
HEALTH_TIMEOUT_S = 5
STOP_GRACE_S = 30
PSQL_TIMEOUT_S = 60

# Answers that are part of normal operation, by request kind.
EXPECTED_CODES = {
    "decideCandidate": {"CONFLICT", "NOT_FOUND", "BUSY"},
    "importHttp": {"BUSY"},
    "importCli": {"BUSY"},
}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红鹏建飞宇浩然轩梓涵欣怡俊志海燕"
PHONE_PREFIXES = ["130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152",
                  "155", "156", "158", "159", "166", "176", "177", "186", "187", "188", "189"]

# ---------------------------------------------------------------------------------------------
# Queries
# ---------------------------------------------------------------------------------------------

Q_STATS = "{ stats { persons batches byLocationStatus { status count } byHubeiLink { link count } recordsBySource { source count } } }"

Q_PERSONS = """query($first: Int, $after: String, $filter: PersonFilterInput, $orderBy: PersonOrderInput) {
  persons(first: $first, after: $after, filter: $filter, orderBy: $orderBy) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id name idNumber phones locationStatus hubeiLink arrivalDate village
                   jurisdiction { code name } } } } }"""

Q_SEARCH = """query($text: String!) { searchPersons(text: $text, first: 50) {
  totalCount edges { node { id name idNumber phones locationStatus } } } }"""

Q_AGGREGATES = """query($filter: PersonFilterInput) { aggregates(filter: $filter) { persons
  byDay { day count } byTownship { township count } byStatus { status count }
  bySource { source count } newPersonsPerDay { day source count } } }"""

Q_UNMASKED = """query($after: String, $orderBy: PersonOrderInput) {
  persons(first: 20, after: $after, orderBy: $orderBy) {
    pageInfo { hasNextPage endCursor }
    edges { node { id idNumber(unmasked: true) phones(unmasked: true) } } } }"""

Q_CANDIDATES = """{ reviewCandidates(first: 20) { totalCount edges { node { id state } } } }"""

M_DECIDE = """mutation($id: ID!, $decision: Decision!) { decideCandidate(id: $id, decision: $decision) { id state } }"""

M_IMPORT = ("mutation($f: Upload!) { importBatch(source: BIGDATA, file: $f) { batchId fileName "
            "alreadyImported rowsRead rowsAccepted rowsRejected recordsNew } }")

Q_BATCHES = """query($after: String) { importBatches(first: 500, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { id fileName report { rowsAccepted } } } } }"""

Q_BATCH_RECORDS = """query($batch: ID!) { sourceRecords(first: 1, filter: { batchId: $batch, allVersions: true }) { totalCount } }"""

Q_AUDIT = """{ auditLog(first: 1, filter: { kind: UNMASKED_READ }) { totalCount } }"""

PERSON_FILTERS = [
    None,
    {"locationStatus": "OUT_OF_COUNTY"},
    {"locationStatus": "PENDING_VERIFICATION", "source": "BIGDATA"},
    {"hubeiLink": "WUHAN"},
    {"reviewPending": True},
    {"hasConflicts": True},
    {"arrivalDate": {"from": "2020-01-10", "to": "2020-01-23"}},
]
PERSON_ORDERS = [
    None,
    {"field": "NAME", "direction": "ASC"},
    {"field": "ARRIVAL_DATE", "direction": "DESC"},
    {"field": "UPDATED_AT", "direction": "DESC"},
    {"field": "FIRST_REPORTED", "direction": "ASC"},
]
SEARCH_TEXTS = ["王", "黄丽华", "huang li hua", "huanglihua", "0246", "189 5860 7910", "+8613800001111",
                "420102198507150036", "张伟", "李娜"]


# ---------------------------------------------------------------------------------------------
# Loopback only
# ---------------------------------------------------------------------------------------------

def is_loopback_host(host: str) -> bool:
    """True when every address the host name resolves to is loopback."""
    if not host:
        return False
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    if host.lower() not in ("localhost", "localhost.localdomain", "ip6-localhost"):
        return False  # no name is looked up: a lookup could already leave the machine
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses)


def require_loopback(url: str, what: str) -> None:
    parsed = urllib.parse.urlsplit(url)
    host = parsed.hostname or ""
    if parsed.scheme.startswith("sqlite"):
        return
    if not is_loopback_host(host):
        fail(f"refusing {what} {url!r}: not a loopback address (127.0.0.0/8 or ::1)")


def fail(message: str) -> None:
    """Ends the run before it started (exit status 2)."""
    print(f"soak: {message}", file=sys.stderr)
    raise SystemExit(2)


# ---------------------------------------------------------------------------------------------
# Recording
# ---------------------------------------------------------------------------------------------

class Recorder:
    """Every request's kind, latency, HTTP status and error codes; the request budget."""

    def __init__(self, max_requests: int, stop: threading.Event):
        self.lock = threading.Lock()
        self.max_requests = max_requests
        self.stop = stop
        self.count = 0
        self.by_kind = collections.Counter()
        self.latency = collections.defaultdict(list)
        self.status = collections.Counter()  # (kind, status)
        self.codes = collections.Counter()  # (kind, code)
        self.samples = {}  # (kind, code) -> first message seen

    def take(self) -> bool:
        """Reserves one request of the budget; False once it is spent."""
        with self.lock:
            if self.count >= self.max_requests:
                self.stop.set()
                return False
            self.count += 1
            return True

    def record(self, kind: str, seconds: float, status: int, codes: list[str], message: str | None):
        with self.lock:
            self.by_kind[kind] += 1
            self.latency[kind].append(seconds)
            self.status[(kind, status)] += 1
            for code in codes:
                self.codes[(kind, code)] += 1
                if (kind, code) not in self.samples and message:
                    self.samples[(kind, code)] = message[:300]


class Client:
    """GraphQL over HTTP to a loopback server; every call bounded by a timeout."""

    def __init__(self, base: str, token: str, recorder: Recorder):
        self.url = base.rstrip("/") + "/graphql"
        self.token = token
        self.recorder = recorder
        # No proxy, ever: the traffic stays on loopback whatever the environment says.
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def post(self, kind: str, body: bytes, content_type: str, budget: bool = True):
        """Sends one request; returns (status, json or None, headers, codes). Records it."""
        if budget and not self.recorder.take():
            return None
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "content-type": content_type,
            "accept": "application/json",
            "authorization": f"Bearer {self.token}",
        })
        start = time.monotonic()
        status, payload, headers, message = 0, None, {}, None
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT_S) as response:
                status = response.status
                headers = dict(response.headers)
                raw = response.read()
        except urllib.error.HTTPError as err:
            status = err.code
            headers = dict(err.headers or {})
            try:
                raw = err.read()
            except OSError:
                raw = b""
        except (OSError, urllib.error.URLError) as err:
            raw = None
            message = f"{type(err).__name__}: {err}"
        elapsed = time.monotonic() - start
        codes: list[str] = []
        if raw is None:
            codes.append("TRANSPORT")
        else:
            try:
                payload = json.loads(raw)
            except ValueError:
                codes.append("NOT_JSON")
                message = raw[:200].decode("utf-8", "replace")
        if isinstance(payload, dict):
            for error in payload.get("errors") or []:
                code = ((error.get("extensions") or {}).get("code")) or "NO_CODE"
                codes.append(code)
                message = message or error.get("message")
        if status >= 400 and not codes:
            codes.append(f"HTTP_{status}")
        self.recorder.record(kind, elapsed, status, codes, message)
        return status, payload, headers, codes

    def gql(self, kind: str, query: str, variables: dict | None = None, budget: bool = True):
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        return self.post(kind, body, "application/json", budget)

    def upload(self, kind: str, query: str, file_name: str, content: bytes):
        """A GraphQL multipart request: `operations`, `map`, and the file as part `0`."""
        boundary = "soak" + uuid.uuid4().hex
        operations = json.dumps({"query": query, "variables": {"f": None}})
        parts = [
            ("operations", None, operations.encode(), "application/json"),
            ("map", None, b'{"0":["variables.f"]}', "application/json"),
            ("0", file_name, content, "text/csv"),
        ]
        body = bytearray()
        for name, filename, data, ctype in parts:
            body += f"--{boundary}\r\n".encode()
            disposition = f'form-data; name="{name}"'
            if filename:
                disposition += f'; filename="{filename}"'
            body += f"Content-Disposition: {disposition}\r\nContent-Type: {ctype}\r\n\r\n".encode()
            body += data + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        return self.post(kind, bytes(body), f"multipart/form-data; boundary={boundary}")


def data_of(answer) -> dict:
    if not answer:
        return {}
    payload = answer[1]
    return (payload or {}).get("data") or {}


def retry_after(answer, default: float = 5.0) -> float:
    try:
        return max(0.1, float(answer[2].get("Retry-After") or answer[2].get("retry-after")))
    except (TypeError, ValueError):
        return default


# ---------------------------------------------------------------------------------------------
# Generated files
# ---------------------------------------------------------------------------------------------

class People:
    """Fresh persons, and re-reports of earlier ones (some slightly different, for review)."""

    def __init__(self, seed: int):
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.pool: collections.deque = collections.deque(maxlen=3000)

    def _name(self) -> str:
        given = "".join(self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2))))
        return self.rng.choice(SURNAMES) + given

    def _phone(self) -> str:
        return self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10 ** 8):08d}"

    def rows(self, n: int) -> list[tuple[str, str]]:
        out = []
        with self.lock:
            for _ in range(n):
                roll = self.rng.random()
                if self.pool and roll < 0.06:
                    out.append(self.rng.choice(self.pool))  # the same person again
                elif self.pool and roll < 0.10:
                    name, phone = self.rng.choice(self.pool)
                    i = self.rng.randrange(3, 11)
                    digit = str((int(phone[i]) + 1) % 10)
                    out.append((name, phone[:i] + digit + phone[i + 1:]))  # one digit off
                elif self.pool and roll < 0.13:
                    name, phone = self.rng.choice(self.pool)
                    out.append((name[0] + self.rng.choice(GIVEN), phone))  # shared phone
                else:
                    person = (self._name(), self._phone())
                    self.pool.append(person)
                    out.append(person)
        return out

    def sample(self) -> tuple[str, str] | None:
        with self.lock:
            return self.rng.choice(self.pool) if self.pool else None


def csv_bytes(tag: str, rows: list[tuple[str, str]]) -> bytes:
    lines = ["record_id,name,phone"]
    lines += [f"{tag}-{i:04d},{name},{phone}" for i, (name, phone) in enumerate(rows, 1)]
    return ("\n".join(lines) + "\n").encode()


class Imports:
    """Every import attempted, with what it was answered."""

    def __init__(self):
        self.lock = threading.Lock()
        self.items: list[dict] = []
        self.cli_exit = collections.Counter()

    def add(self, item: dict) -> None:
        with self.lock:
            self.items.append(item)


# ---------------------------------------------------------------------------------------------
# Workers
# ---------------------------------------------------------------------------------------------

class Pacer:
    """Hands out evenly spaced start times, shared by the threads of one kind of work; a
    thread that falls behind starts at once instead of bursting to catch up."""

    def __init__(self, per_second: float):
        self.interval = 1.0 / per_second
        self.next = time.monotonic()
        self.lock = threading.Lock()

    def wait(self, stop: threading.Event) -> bool:
        with self.lock:
            now = time.monotonic()
            slot = max(self.next, now)
            self.next = slot + self.interval
        if slot > now:
            stop.wait(slot - now)
        return not stop.is_set()


def query_worker(client: Client, pacer: Pacer, stop: threading.Event, people: People, seed: int):
    rng = random.Random(seed)
    cursor = None
    while pacer.wait(stop):
        choice = rng.randrange(4)
        if choice == 0:
            client.gql("stats", Q_STATS)
        elif choice == 1:
            variables = {"first": 50, "filter": rng.choice(PERSON_FILTERS), "orderBy": rng.choice(PERSON_ORDERS)}
            if cursor and rng.random() < 0.3:
                variables = {"first": 50, "after": cursor}
            answer = client.gql("persons", Q_PERSONS, variables)
            page = (data_of(answer).get("persons") or {}).get("pageInfo") or {}
            cursor = page.get("endCursor") if page.get("hasNextPage") and variables.get("orderBy") is None and variables.get("filter") is None else None
        elif choice == 2:
            known = people.sample()
            if known and rng.random() < 0.5:
                text = known[0] if rng.random() < 0.5 else known[1]
            else:
                text = rng.choice(SEARCH_TEXTS)
            client.gql("searchPersons", Q_SEARCH, {"text": text})
        else:
            client.gql("aggregates", Q_AGGREGATES, {"filter": rng.choice(PERSON_FILTERS[:4])})


def unmasked_worker(client: Client, pacer: Pacer, stop: threading.Event, ok: collections.Counter, lock, seed: int):
    rng = random.Random(seed)
    cursor = None
    while pacer.wait(stop):
        answer = client.gql("unmasked", Q_UNMASKED, {"after": cursor, "orderBy": None})
        persons = data_of(answer).get("persons") or {}
        if persons.get("edges") and not answer[3]:
            with lock:
                ok["unmasked"] += 1
        page = persons.get("pageInfo") or {}
        cursor = page.get("endCursor") if page.get("hasNextPage") and rng.random() < 0.8 else None


def decision_worker(client: Client, stop: threading.Event, every: float, seed: int):
    rng = random.Random(seed)
    while not stop.wait(every * rng.uniform(0.5, 1.5)):
        answer = client.gql("reviewCandidates", Q_CANDIDATES)
        edges = (data_of(answer).get("reviewCandidates") or {}).get("edges") or []
        pending = [e["node"]["id"] for e in edges if e["node"].get("state") == "PENDING"]
        if not pending or stop.is_set():
            continue
        # The first few, so that the two deciders sometimes pick the same one.
        candidate = rng.choice(pending[:3])
        client.gql("decideCandidate", M_DECIDE, {"id": candidate, "decision": rng.choice(["SAME", "DIFFERENT"])})


def http_import_worker(client: Client, stop: threading.Event, every: float, run_id: str, people: People,
                       imports: Imports, rows_range: tuple[int, int], busy_retries: int, seed: int):
    rng = random.Random(seed)
    n = 0
    while not stop.wait(every * rng.uniform(0.7, 1.3)):
        n += 1
        tag = f"SOAK{run_id}H{n:04d}"
        name = f"soak-{run_id}-http-{n:04d}.csv"
        rows = people.rows(rng.randint(*rows_range))
        content = csv_bytes(tag, rows)
        item = {"via": "http", "file": name, "rows": len(rows), "attempts": 0, "busy": 0,
                "outcome": "failed", "codes": [], "answer": None}
        for _ in range(busy_retries + 1):
            item["attempts"] += 1
            answer = client.upload("importHttp", M_IMPORT, name, content)
            if answer is None:  # the request budget is spent
                break
            status, payload, _headers, codes = answer
            item["codes"] = codes
            report = data_of(answer).get("importBatch")
            if status == 200 and report and not codes:
                item["outcome"] = "ok"
                item["answer"] = {"batchId": str(report["batchId"]), "rowsAccepted": report["rowsAccepted"],
                                  "alreadyImported": report["alreadyImported"]}
                break
            if "TRANSPORT" in codes or status == 0:
                item["outcome"] = "unknown"  # no answer: it may or may not have landed
                break
            if status == 503 and "BUSY" in codes:
                item["busy"] += 1
                if stop.wait(retry_after(answer)):
                    # Past the end: one last try is not waited for.
                    break
                continue
            break
        if item["codes"] or item["outcome"] != "failed":  # at least one request was sent
            imports.add(item)


def cli_import_worker(bin_path: str, database_url: str, workdir: Path, stop: threading.Event, every: float,
                      run_id: str, people: People, imports: Imports, recorder: Recorder,
                      rows_range: tuple[int, int], busy_retries: int, seed: int, env: dict):
    rng = random.Random(seed)
    n = 0
    while not stop.wait(every * rng.uniform(0.7, 1.3)):
        if not recorder.take():
            break
        n += 1
        tag = f"SOAK{run_id}C{n:04d}"
        name = f"soak-{run_id}-cli-{n:04d}.csv"
        rows = people.rows(rng.randint(*rows_range))
        path = workdir / name
        path.write_bytes(csv_bytes(tag, rows))
        item = {"via": "cli", "file": name, "rows": len(rows), "attempts": 0, "busy": 0,
                "outcome": "failed", "codes": [], "answer": None, "exit": None}
        for attempt in range(busy_retries + 1):
            if attempt and not recorder.take():
                break
            item["attempts"] += 1
            start = time.monotonic()
            codes: list[str] = []
            message = None
            try:
                done = subprocess.run(
                    [bin_path, "import", "bigdata", str(path), "--json", "--database-url", database_url],
                    cwd=REPO, env=env, capture_output=True, timeout=CLI_TIMEOUT_S, stdin=subprocess.DEVNULL)
                exit_code = done.returncode
                stdout, stderr = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
            except subprocess.TimeoutExpired as err:
                exit_code, stdout, stderr = "timeout", "", (err.stderr or b"").decode("utf-8", "replace")
            elapsed = time.monotonic() - start
            item["exit"] = exit_code
            with imports.lock:
                imports.cli_exit[str(exit_code)] += 1
            busy = False
            if exit_code == 0:
                try:
                    reports = json.loads(stdout)
                    report = reports[0]
                    item["outcome"] = "ok"
                    item["answer"] = {"batchId": str(report.get("batch_id", report.get("batchId"))),
                                      "rowsAccepted": report.get("rows_accepted", report.get("rowsAccepted")),
                                      "alreadyImported": report.get("already_imported", report.get("alreadyImported"))}
                except (ValueError, IndexError, KeyError, TypeError):
                    codes.append("CLI_BAD_OUTPUT")
                    message = stdout[:300]
                    item["outcome"] = "unknown"
            elif exit_code == "timeout":
                codes.append("CLI_TIMEOUT")
                item["outcome"] = "unknown"
            else:
                busy = "BUSY" in stderr or "占用" in stderr
                codes.append("BUSY" if busy else "CLI_ERROR")
                message = stderr.strip().splitlines()[-1][:300] if stderr.strip() else f"exit {exit_code}"
            recorder.record("importCli", elapsed, 0 if exit_code else 200, codes, message)
            item["codes"] = codes
            if busy and not stop.wait(5):
                item["busy"] += 1
                continue
            break
        imports.add(item)


# ---------------------------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_binary(explicit: str | None) -> str:
    if explicit:
        return explicit
    target = Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")
    for profile in ("release", "debug"):
        candidate = target / profile / "paicha"
        if candidate.is_file():
            return str(candidate)
    fail(f"no paicha binary under {target}; build one (`cargo build`) or pass --bin")
    return ""


def health_ok(base: str) -> bool:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(base + "/health", timeout=HEALTH_TIMEOUT_S) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


class Server:
    """`paicha serve --demo` on a free loopback port, its log in a file."""

    def __init__(self, bin_path: str, database_url: str, workdir: Path, env: dict):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / "server.log"
        self.token = None
        self._log = open(self.log_path, "wb")
        self._stdout_lines: list[str] = []
        self._token_seen = threading.Event()
        self.process = subprocess.Popen(
            [bin_path, "serve", "--demo", "--bind", f"127.0.0.1:{self.port}", "--rate-limit", "1000000",
             "--database-url", database_url],
            cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._log)
        self._reader = threading.Thread(target=self._read_stdout, daemon=True)
        self._reader.start()

    def _read_stdout(self):
        for raw in self.process.stdout:
            line = raw.decode("utf-8", "replace").strip()
            self._stdout_lines.append(line)
            if line.startswith("paicha_") and self.token is None:
                self.token = line
                self._token_seen.set()

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; see {self.log_path}")
            if self.token and health_ok(self.base):
                return
            time.sleep(0.5)
        raise RuntimeError(f"the server was not ready within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> int | None:
        """Interrupt (the server drains on it), then SIGTERM, then SIGKILL; each waited for."""
        if self.process.poll() is None:
            for sig, wait in ((signal.SIGINT, STOP_GRACE_S), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
                try:
                    self.process.send_signal(sig)
                except ProcessLookupError:
                    break
                try:
                    self.process.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self._reader.join(timeout=5)
        self._log.close()
        return self.process.returncode


ANSI = re.compile(r"\x1b\[[0-9;]*m")
LEVEL = re.compile(r"^\S+\s+(TRACE|DEBUG|INFO|WARN|ERROR)\b")


def log_levels(path: Path | None) -> tuple[collections.Counter, list[str]]:
    counts = collections.Counter()
    lines: list[str] = []
    if not path or not path.exists():
        return counts, lines
    for raw in path.read_text("utf-8", "replace").splitlines():
        line = ANSI.sub("", raw)
        match = LEVEL.match(line)
        if match:
            counts[match.group(1)] += 1
            if match.group(1) in ("WARN", "ERROR"):
                lines.append(line[:400])
    return counts, lines


# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

def psql(url: str, sql: str) -> None:
    subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], check=True,
                   timeout=PSQL_TIMEOUT_S, stdin=subprocess.DEVNULL, capture_output=True)


def with_database(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


# ---------------------------------------------------------------------------------------------
# Verification
# ---------------------------------------------------------------------------------------------

def all_batches(client: Client) -> dict[str, list[dict]] | None:
    by_name: dict[str, list[dict]] = collections.defaultdict(list)
    after = None
    for _ in range(1000):  # 500 a page: half a million batches at most
        answer = client.gql("verify", Q_BATCHES, {"after": after}, budget=False)
        connection = data_of(answer).get("importBatches")
        if connection is None:
            return None
        for edge in connection["edges"]:
            by_name[edge["node"]["fileName"]].append(edge["node"])
        page = connection["pageInfo"]
        if not page["hasNextPage"]:
            return by_name
        after = page["endCursor"]
    return None


def bigdata_records(client: Client) -> int | None:
    stats = data_of(client.gql("verify", Q_STATS, budget=False)).get("stats")
    if not stats:
        return None
    return next((s["count"] for s in stats["recordsBySource"] if s["source"] == "BIGDATA"), 0)


def audit_unmasked(client: Client) -> int | None:
    log = data_of(client.gql("verify", Q_AUDIT, budget=False)).get("auditLog")
    return log["totalCount"] if log else None


def verify(client: Client, imports: Imports) -> dict:
    """Classifies every import: landed, lost, failed-and-clean, failed-but-written."""
    result = {"attempted": len(imports.items), "landed": 0, "lost": 0, "failed_clean": 0,
              "failed_but_written": 0, "unknown_landed": 0, "unknown_clean": 0, "unknown_partial": 0,
              "rows_landed": 0, "problems": [], "by_via": {}}
    batches = all_batches(client)
    if batches is None:
        result["problems"].append("importBatches could not be read")
        result["lost"] = sum(1 for i in imports.items if i["outcome"] == "ok")
        return result
    for item in imports.items:
        via = result["by_via"].setdefault(item["via"], collections.Counter())
        via["attempted"] += 1
        found = batches.get(item["file"], [])
        records = None
        if found:
            answer = client.gql("verify", Q_BATCH_RECORDS, {"batch": found[0]["id"]}, budget=False)
            records = (data_of(answer).get("sourceRecords") or {}).get("totalCount")
        complete = (len(found) == 1 and records == item["rows"]
                    and found[0]["report"]["rowsAccepted"] == item["rows"])
        if item["outcome"] == "ok":
            answered = item["answer"] or {}
            if complete and str(answered.get("batchId")) == str(found[0]["id"]) \
                    and answered.get("rowsAccepted") == item["rows"]:
                result["landed"] += 1
                via["landed"] += 1
                result["rows_landed"] += item["rows"]
            else:
                result["lost"] += 1
                via["lost"] += 1
                result["problems"].append(
                    f"LOST {item['via']} {item['file']}: answered {answered}, {item['rows']} rows sent; "
                    f"batches found {[b['id'] for b in found]}, records of the batch {records}")
        elif item["outcome"] == "failed":
            if found:
                result["failed_but_written"] += 1
                via["failed_but_written"] += 1
                result["problems"].append(
                    f"FAILED BUT WRITTEN {item['via']} {item['file']}: codes {item['codes']}, "
                    f"batches {[b['id'] for b in found]}, records {records}")
            else:
                result["failed_clean"] += 1
                via["failed_clean"] += 1
        else:
            if complete:
                result["unknown_landed"] += 1
                result["rows_landed"] += item["rows"]
            elif not found:
                result["unknown_clean"] += 1
            else:
                result["unknown_partial"] += 1
                result["problems"].append(
                    f"PARTIAL {item['via']} {item['file']}: no answer, batches {[b['id'] for b in found]}, "
                    f"records {records} of {item['rows']}")
    result["by_via"] = {k: dict(v) for k, v in result["by_via"].items()}
    return result


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

def percentile(sorted_values: list[float], p: float) -> float:
    if not sorted_values:
        return 0.0
    if len(sorted_values) == 1:
        return sorted_values[0]
    q = statistics.quantiles(sorted_values, n=100, method="inclusive")
    return q[int(p) - 1]


def build_report(args, meta: dict, recorder: Recorder, imports: Imports, checks: dict, log_counts, log_lines) -> dict:
    kinds = sorted(recorder.by_kind)
    latency = {}
    for kind in kinds:
        values = sorted(recorder.latency[kind])
        latency[kind] = {"p50_ms": round(percentile(values, 50) * 1000, 1),
                         "p99_ms": round(percentile(values, 99) * 1000, 1),
                         "max_ms": round(values[-1] * 1000, 1) if values else 0.0}
    errors_by_code = collections.Counter()
    for (kind, code), n in recorder.codes.items():
        errors_by_code[code] += n
    failures = []
    for (kind, code), n in sorted(recorder.codes.items()):
        if code == "INTERNAL":
            failures.append(f"{n} INTERNAL on {kind}: {recorder.samples.get((kind, code))}")
        elif code == "TRANSPORT":
            failures.append(f"{n} transport errors on {kind}: {recorder.samples.get((kind, code))}")
        elif kind != "verify" and code not in EXPECTED_CODES.get(kind, {"BUSY"}):
            failures.append(f"{n} unexpected {code} on {kind}: {recorder.samples.get((kind, code))}")
    for (kind, status), n in sorted(recorder.status.items()):
        if status >= 500 and status != 503:  # 503s: below, against the BUSY answers
            failures.append(f"{n} HTTP {status} on {kind}")
    # A 503 must be BUSY to be legitimate: count 503s against BUSY answers per kind.
    for kind in kinds:
        s503 = recorder.status.get((kind, 503), 0)
        busy = recorder.codes.get((kind, "BUSY"), 0)
        if kind != "importCli" and s503 > busy:
            failures.append(f"{s503 - busy} HTTP 503 on {kind} that were not BUSY")
    imp = checks["imports"]
    if imp["lost"]:
        failures.append(f"{imp['lost']} imports lost")
    if imp["failed_but_written"]:
        failures.append(f"{imp['failed_but_written']} failed imports wrote something")
    if imp["unknown_partial"]:
        failures.append(f"{imp['unknown_partial']} unanswered imports partly written")
    failures += checks.get("failed", [])
    return {
        "target": meta,
        "duration_s": round(meta["ended"] - meta["started"], 1),
        "requests": sum(n for k, n in recorder.by_kind.items() if k != "verify"),
        "verification_requests": recorder.by_kind.get("verify", 0),
        "requests_by_kind": dict(sorted(recorder.by_kind.items())),
        "http_status_by_kind": {f"{k} {s}": n for (k, s), n in sorted(recorder.status.items())
                                if k != "importCli"},
        "errors_by_code": dict(sorted(errors_by_code.items())),
        "errors_by_kind": {f"{k} {c}": n for (k, c), n in sorted(recorder.codes.items())},
        "error_samples": {f"{k} {c}": m for (k, c), m in sorted(recorder.samples.items())},
        "imports": imp,
        "cli_exit_codes": dict(sorted(imports.cli_exit.items())),
        "latency": latency,
        "checks": {k: v for k, v in checks.items() if k not in ("imports", "failed")},
        "server_log": {"levels": dict(log_counts), "warn_error_lines": log_lines[:40],
                       "warn_error_total": log_counts.get("WARN", 0) + log_counts.get("ERROR", 0)},
        "failures": failures,
        "ok": not failures,
    }


def print_report(report: dict) -> None:
    out = []
    t = report["target"]
    out.append(f"paicha soak — {t['database']} — {t['url']} — {t['binary']}")
    out.append(f"duration            {report['duration_s']} s (asked {t['seconds']} s)")
    out.append(f"requests            {report['requests']} (and {report['verification_requests']} to verify at the end)")
    out.append("requests by kind")
    for kind, n in report["requests_by_kind"].items():
        lat = report["latency"][kind]
        out.append(f"  {kind:<18}{n:>8}   p50 {lat['p50_ms']:>9.1f} ms   p99 {lat['p99_ms']:>9.1f} ms   "
                   f"max {lat['max_ms']:>9.1f} ms")
    out.append("HTTP status by kind  " + ", ".join(f"{k}: {n}" for k, n in report["http_status_by_kind"].items()))
    out.append("errors by code      " + (", ".join(f"{k}: {n}" for k, n in report["errors_by_code"].items()) or "none"))
    out.append("errors by kind      " + (", ".join(f"{k}: {n}" for k, n in report["errors_by_kind"].items()) or "none"))
    for key, message in report["error_samples"].items():
        out.append(f"  e.g. {key}: {message}")
    imp = report["imports"]
    out.append(f"imports attempted   {imp['attempted']} ({', '.join(f'{v}: {dict(c)}' for v, c in imp['by_via'].items())})")
    out.append(f"imports landed      {imp['landed']} ({imp['rows_landed']} rows, unanswered but landed whole: {imp['unknown_landed']})")
    out.append(f"imports failed      clean: {imp['failed_clean']}, but written: {imp['failed_but_written']}; "
               f"unanswered and absent: {imp['unknown_clean']}, partly written: {imp['unknown_partial']}")
    out.append(f"imports lost        {imp['lost']}")
    for problem in imp["problems"][:20]:
        out.append(f"  {problem}")
    out.append("cli exit codes      " + (", ".join(f"{k}: {n}" for k, n in report["cli_exit_codes"].items()) or "none"))
    for name, value in report["checks"].items():
        out.append(f"check {name:<14}{value}")
    log = report["server_log"]
    out.append(f"server log          {log['levels'] or 'n/a'}; WARN/ERROR lines: {log['warn_error_total']}")
    for line in log["warn_error_lines"][:20]:
        out.append(f"  {line}")
    out.append("result              " + ("OK" if report["ok"] else "FAILED"))
    for failure in report["failures"]:
        out.append(f"  {failure}")
    print("\n".join(out), flush=True)


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------

def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=600, help="how long to run (default 600)")
    p.add_argument("--max-requests", type=int, default=500_000, help="safety cap on requests sent")
    p.add_argument("--bin", help="paicha binary (default $CARGO_TARGET_DIR or target/, release then debug)")
    p.add_argument("--url", help="an already running server (loopback only) instead of starting one")
    p.add_argument("--token", default=os.environ.get("PAICHA_TOKEN"), help="ADMIN token for --url")
    p.add_argument("--database-url", help="register URL (default: a fresh SQLite file in a temporary directory)")
    p.add_argument("--postgres", help="PostgreSQL server URL: a fresh database soak_PID on it, dropped at the end")
    p.add_argument("--query-rate", type=float, default=25, help="masked queries a second (default 25)")
    p.add_argument("--query-workers", type=int, default=4)
    p.add_argument("--unmasked-rate", type=float, default=15, help="unmasked reads a second (default 15)")
    p.add_argument("--unmasked-workers", type=int, default=2)
    p.add_argument("--http-import-every", type=float, default=3, help="seconds between HTTP imports (default 3)")
    p.add_argument("--cli-import-every", type=float, default=5, help="seconds between CLI imports (default 5)")
    p.add_argument("--decide-every", type=float, default=2, help="seconds between decisions, per decider (default 2)")
    p.add_argument("--rows", type=int, nargs=2, default=(50, 500), metavar=("MIN", "MAX"),
                   help="rows per generated file (default 50 500)")
    p.add_argument("--busy-retries", type=int, default=5, help="retries of an import told BUSY (default 5)")
    p.add_argument("--startup-timeout", type=float, default=180, help="seconds to wait for the server")
    p.add_argument("--seed", type=int, default=20200123)
    p.add_argument("--json", dest="json_out", help="also write the report as JSON to this file")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (server log, files)")
    args = p.parse_args(argv)
    if args.seconds <= 0 or args.max_requests <= 0 or args.rows[0] < 1 or args.rows[1] < args.rows[0]:
        p.error("--seconds, --max-requests and --rows must be positive (and MIN <= MAX)")
    for rate in (args.query_rate, args.unmasked_rate, args.http_import_every, args.cli_import_every, args.decide_every):
        if rate <= 0:
            p.error("rates and intervals must be positive")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.url:
        require_loopback(args.url, "server")
        if not args.token:
            fail("--url needs --token (or PAICHA_TOKEN), an ADMIN token")
    if args.postgres:
        require_loopback(args.postgres, "PostgreSQL server")
    if args.database_url:
        require_loopback(args.database_url, "database")

    workdir = Path(tempfile.mkdtemp(prefix="paicha-soak-"))
    env = dict(os.environ, NO_COLOR="1")
    for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(var, None)
    run_id = f"{os.getpid()}{int(time.time()) % 100000:05d}"
    server = None
    pg_database = None
    bin_path = None
    try:
        if args.postgres and not args.url:
            pg_database = f"soak_{os.getpid()}"
            psql(args.postgres, f"CREATE DATABASE {pg_database}")
            database_url = with_database(args.postgres, pg_database)
            database_label = f"PostgreSQL (fresh database {pg_database})"
        elif args.database_url:
            database_url = args.database_url
            database_label = "given database"
        elif args.url:
            database_url = None
            database_label = "existing server"
        else:
            database_url = f"sqlite://{workdir / 'register.db'}?mode=rwc"
            database_label = "SQLite (fresh file)"
        if not args.url or database_url:
            bin_path = find_binary(args.bin)
        if args.url:
            base, token = args.url.rstrip("/"), args.token
            if not health_ok(base):
                raise RuntimeError(f"{base}/health does not answer")
        else:
            print(f"soak: starting {bin_path} serve --demo on {database_label}", file=sys.stderr, flush=True)
            server = Server(bin_path, database_url, workdir, env)
            server.wait_ready(args.startup_timeout)
            base, token = server.base, server.token
        require_loopback(base, "server")
    except (RuntimeError, subprocess.SubprocessError, OSError) as err:
        print(f"soak: could not start: {err}", file=sys.stderr)
        if server:
            server.stop()
            print(server.log_path.read_text("utf-8", "replace")[-3000:], file=sys.stderr)
        cleanup(args, workdir, pg_database)
        return 2

    stop = threading.Event()
    recorder = Recorder(args.max_requests, stop)
    client = Client(base, token, recorder)
    imports = Imports()
    people = People(args.seed)
    ok_counts = collections.Counter()
    ok_lock = threading.Lock()
    checks: dict = {"failed": []}
    records_before = bigdata_records(client)
    audit_before = audit_unmasked(client)

    meta = {"url": base, "database": database_label, "binary": bin_path or "-", "seconds": args.seconds,
            "started": time.time()}
    threads = []
    qp, up = Pacer(args.query_rate), Pacer(args.unmasked_rate)
    seed = args.seed
    jobs = []
    for i in range(args.query_workers):
        jobs.append((query_worker, (client, qp, stop, people, seed + 100 + i)))
    for i in range(args.unmasked_workers):
        jobs.append((unmasked_worker, (client, up, stop, ok_counts, ok_lock, seed + 200 + i)))
    for i in range(2):
        jobs.append((decision_worker, (client, stop, args.decide_every, seed + 300 + i)))
    jobs.append((http_import_worker, (client, stop, args.http_import_every, run_id, people, imports,
                                      tuple(args.rows), args.busy_retries, seed + 400)))
    if database_url:
        cli_dir = workdir / "cli"
        cli_dir.mkdir()
        jobs.append((cli_import_worker, (bin_path, database_url, cli_dir, stop, args.cli_import_every, run_id,
                                         people, imports, recorder, tuple(args.rows), args.busy_retries,
                                         seed + 500, env)))
    else:
        print("soak: no --database-url: no command-line imports", file=sys.stderr)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(jobs), thread_name_prefix="soak")
    futures = [pool.submit(fn, *fn_args) for fn, fn_args in jobs]

    deadline = time.monotonic() + args.seconds
    next_progress = time.monotonic() + 30
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            stop.wait(min(1.0, max(0.0, deadline - time.monotonic())))
            if time.monotonic() >= next_progress:
                next_progress += 30
                with recorder.lock:
                    n, errors = recorder.count, sum(recorder.codes.values())
                print(f"soak: {time.monotonic() - deadline + args.seconds:.0f} s, {n} requests, "
                      f"{errors} errors, {len(imports.items)} imports", file=sys.stderr, flush=True)
            if server and server.process.poll() is not None:
                checks["failed"].append(f"the server exited during the run with {server.process.returncode}")
                break
    except KeyboardInterrupt:
        print("soak: interrupted; stopping the workers", file=sys.stderr)
    stop.set()
    # In-flight requests finish (each bounded by its timeout) before anything is verified.
    done, not_done = concurrent.futures.wait(futures, timeout=HTTP_TIMEOUT_S + CLI_TIMEOUT_S)
    for future in done:
        if future.exception():
            checks["failed"].append(f"a worker crashed: {future.exception()!r}")
    if not_done:
        checks["failed"].append(f"{len(not_done)} workers did not finish in time")
    pool.shutdown(wait=False, cancel_futures=True)
    meta["ended"] = time.time()

    alive = server is None or server.process.poll() is None
    if alive:
        with imports.lock:
            checks["imports"] = verify(client, imports)
        records_after = bigdata_records(client)
        audit_after = audit_unmasked(client)
        imp = checks["imports"]
        if records_before is not None and records_after is not None:
            grew = records_after - records_before
            checks["bigdata_rows"] = f"grew by {grew}, landed imports carried {imp['rows_landed']}"
            if grew != imp["rows_landed"] and database_label != "existing server":
                checks["failed"].append(f"big-data records grew by {grew}, but landed imports carried {imp['rows_landed']}")
        if audit_before is not None and audit_after is not None:
            logged = audit_after - audit_before
            checks["audit"] = f"{logged} UNMASKED_READ entries for {ok_counts['unmasked']} successful unmasked reads"
            if logged < ok_counts["unmasked"]:
                checks["failed"].append(f"only {logged} audit entries for {ok_counts['unmasked']} unmasked reads")
    else:
        checks["imports"] = {"attempted": len(imports.items), "landed": 0,
                             "lost": sum(1 for i in imports.items if i["outcome"] == "ok"),
                             "failed_clean": 0, "failed_but_written": 0, "unknown_landed": 0, "unknown_clean": 0,
                             "unknown_partial": 0, "rows_landed": 0, "problems": ["the server is gone: not verified"],
                             "by_via": {}}

    if server:
        code = server.stop()
        checks["server_exit"] = code
        if code not in (0, None):
            checks["failed"].append(f"the server stopped with exit status {code}")
    log_counts, log_lines = log_levels(server.log_path if server else None)
    report = build_report(args, meta, recorder, imports, checks, log_counts, log_lines)
    print_report(report)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str) + "\n")
    cleanup(args, workdir, pg_database)
    return 0 if report["ok"] else 1


def cleanup(args, workdir: Path, pg_database: str | None) -> None:
    if pg_database:
        try:
            psql(args.postgres, f"DROP DATABASE IF EXISTS {pg_database} WITH (FORCE)")
        except (subprocess.SubprocessError, OSError) as err:
            print(f"soak: could not drop {pg_database}: {err}", file=sys.stderr)
    if args.keep:
        print(f"soak: kept {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
