#!/usr/bin/env python3
"""Replays the insider attacks of issue 18 against a live `paicha serve --demo` and says, for
each, whether the register held.

Usage (from the repository root; Python 3.11, standard library only):

    python3 tools/privacy_attacks.py [--bin target/debug/paicha] [--postgres URL]

The script starts `paicha serve --demo` on a free loopback port with its default rate limit,
on a fresh SQLite file (or a fresh database on the PostgreSQL server of `--postgres`), makes
the tokens an insider would have with `paicha token create`, and tries:

 1. rebuilding full ID numbers from a masked ID and the birth date served beside it (ANALYST);
 2. reading phones and ID numbers in other spellings (spaced, dashed, JSON numbers, nested,
    free text, record IDs) through masked fields (ANALYST);
 3. using a revoked token on an open WebSocket;
 4. recovering a masked phone with 1 000 aliased searches in one request;
 5. flooding one WebSocket connection past the rate limit (DASHBOARD);
 6. probing, as a PARTNER, whether an ID number is in the register;
 7. an XLSX whose one data row sits at row 1 048 000;
 8. a batch of 10 operations × 1 200 `stats` aliases;
 9. reading another township's records through a person's nested fields (TOWNSHIP);
10. singling a person out with a narrow dashboard aggregate (DASHBOARD);
11. exporting the register on the command line without an audit entry;
12. unlimited requests with invalid tokens, and persisted-query hashes of another role.

It prints one line per attack (`HELD` or `LEAKED`, with what it saw) and exits 1 when any
leaked. Every address is loopback; every loop is bounded.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import io
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tools"))
from soak import find_binary, free_port  # noqa: E402  (the same server plumbing)
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
TIMEOUT_S = 60


class Hub:
    """The server under attack, and the command line beside it."""

    def __init__(self, binary: str, database_url: str, workdir: Path):
        self.binary, self.database_url, self.workdir = binary, database_url, workdir
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "server.log", "wb")
        self.process = subprocess.Popen(
            [binary, "serve", "--demo", "--bind", f"127.0.0.1:{self.port}", "--database-url", database_url],
            cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.log)
        self.admin = None
        deadline = time.monotonic() + 180
        for raw in self.process.stdout:
            line = raw.decode().strip()
            if line.startswith("paicha_"):
                self.admin = line
                break
            if time.monotonic() > deadline:
                break
        if not self.admin:
            sys.exit("serve --demo printed no token")
        while time.monotonic() < deadline:
            try:
                with OPENER.open(self.base + "/health", timeout=5):
                    return
            except OSError:
                time.sleep(0.5)
        sys.exit("the server did not become ready")

    def command(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([self.binary, *args, "--database-url", self.database_url], cwd=REPO,
                              capture_output=True, timeout=300, stdin=subprocess.DEVNULL)

    def token(self, role: str, *extra: str) -> str:
        done = self.command("token", "create", "--role", role, *extra)
        return done.stdout.decode().strip().splitlines()[-1]

    def post(self, body, token: str | None, headers: dict | None = None, raw: bytes | None = None):
        data = raw if raw is not None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + "/graphql", data=data, method="POST")
        request.add_header("content-type", "application/json")
        for key, value in (headers or {}).items():
            request.add_header(key, value)
        if token:
            request.add_header("authorization", f"Bearer {token}")
        try:
            with OPENER.open(request, timeout=TIMEOUT_S) as response:
                return response.status, json.loads(response.read() or b"null")
        except urllib.error.HTTPError as e:
            text = e.read()
            try:
                return e.code, json.loads(text)
            except ValueError:
                return e.code, text.decode("utf-8", "replace")

    def gql(self, query: str, token: str, variables: dict | None = None):
        return self.post({"query": query, "variables": variables or {}}, token)

    def upload(self, query: str, token: str, name: str, content: bytes):
        boundary = "paicha" + hashlib.sha256(content).hexdigest()[:16]
        parts = [
            ("operations", json.dumps({"query": query, "variables": {"f": None}}).encode(), None),
            ("map", b'{"0":["variables.f"]}', None),
            ("0", content, name),
        ]
        body = io.BytesIO()
        for field, value, file_name in parts:
            body.write(f"--{boundary}\r\n".encode())
            disposition = f'form-data; name="{field}"'
            if file_name:
                disposition += f'; filename="{file_name}"'
            body.write(f"Content-Disposition: {disposition}\r\n\r\n".encode())
            body.write(value + b"\r\n")
        body.write(f"--{boundary}--\r\n".encode())
        return self.post(None, token, {"content-type": f"multipart/form-data; boundary={boundary}"},
                         raw=body.getvalue())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


class Socket:
    """A minimal graphql-transport-ws client over a raw WebSocket (RFC 6455, client frames)."""

    def __init__(self, port: int, token: str):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=20)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET /graphql/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                           "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("closed during the handshake")
            head += chunk
        self.buffer = head.split(b"\r\n\r\n", 1)[1]
        self.send({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        self.close_code = None

    def send(self, message: dict):
        payload = json.dumps(message).encode()
        mask = os.urandom(4)
        header = bytearray([0x81])
        if len(payload) < 126:
            header.append(0x80 | len(payload))
        else:
            header.append(0x80 | 126)
            header += len(payload).to_bytes(2, "big")
        self.sock.sendall(bytes(header) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def _read(self, n: int) -> bytes:
        while len(self.buffer) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise OSError("closed")
            self.buffer += chunk
        data, self.buffer = self.buffer[:n], self.buffer[n:]
        return data

    def receive(self) -> dict | None:
        """The next message; None once the server closed (its code in `close_code`)."""
        while True:
            first, second = self._read(2)
            length = second & 0x7F
            if length == 126:
                length = int.from_bytes(self._read(2), "big")
            elif length == 127:
                length = int.from_bytes(self._read(8), "big")
            payload = self._read(length)
            opcode = first & 0x0F
            if opcode == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                return None
            if opcode == 0x1:
                return json.loads(payload)

    def close(self):
        self.sock.close()


ID18 = re.compile(r"\d{17}[\dX]")
PHONE = re.compile(r"1[3-9]\d{9}")


def digits_only(text: str) -> str:
    return re.sub(r"[\s\-+]", "", text)


def leaks_in(value) -> list[str]:
    """Full phones and ID numbers in any text of a JSON value, however written."""
    found = []
    text = json.dumps(value, ensure_ascii=False)
    compact = digits_only(text.replace('"', ""))
    for pattern in (ID18, PHONE):
        found += pattern.findall(compact)
    return found


def data(answer):
    return (answer[1] or {}).get("data") if isinstance(answer[1], dict) else None


def error_text(body) -> str:
    errors = body.get("errors") if isinstance(body, dict) else None
    if not errors:
        return "no error"
    first = errors[0]
    return f"{(first.get('extensions') or {}).get('code')}: {first.get('message', '')[:120]}"


def codes(answer) -> list[str]:
    body = answer[1] if isinstance(answer[1], dict) else {}
    return [(e.get("extensions") or {}).get("code", "") for e in body.get("errors") or []]


def attack_1(hub, analyst):
    answer = hub.gql("{ persons(first: 500) { edges { node { idNumber birthDate } } } }", analyst)
    rebuilt = 0
    nodes = [e["node"] for e in (data(answer) or {}).get("persons", {}).get("edges", [])]
    for node in nodes:
        masked, birth = node.get("idNumber") or "", node.get("birthDate") or ""
        if "*" in masked and re.fullmatch(r"\d{4}-\d{2}-\d{2}", birth) and not birth.endswith("-01-01"):
            rebuilt += 1
    return rebuilt == 0, f"{rebuilt} of {len(nodes)} masked ID numbers rebuilt from birthDate"


SPELLINGS = ("record_id,name,phone,id_number,remark\n"
             "13800001111,甲一,158 1623 1919,420103-19900202-1248,亲属电话13977778888\n"
             "R-2,甲二,139-0000-1111,420102199001011234,身份证420102199001011234\n")


def attack_2(hub, analyst):
    query = "mutation($f: Upload!) { importBatch(source: TOWNSHIP, file: $f) { rowsAccepted } }"
    hub.upload(query, hub.admin, "spellings.csv", ("township,village," + SPELLINGS.splitlines()[0] + "\n"
               + "\n".join("城关镇,南关社区," + line for line in SPELLINGS.splitlines()[1:]) + "\n").encode())
    answer = hub.gql("{ sourceRecords(first: 500) { edges { node { recordId raw } } } "
                     "persons(first: 500) { edges { node { origin phones idNumber } } } }", analyst)
    leaked = leaks_in(data(answer))
    return not leaked, f"{len(leaked)} full phones/ID numbers reached an ANALYST"


def attack_3(hub, admin_token_for_socket):
    victim = hub.token("ANALYST", "--note", "websocket victim")
    ws = Socket(hub.port, victim)
    ws.receive()  # connection_ack
    token_id = None
    listing = hub.command("token", "list").stdout.decode()
    for line in listing.splitlines():
        if "websocket victim" in line:
            token_id = line.split("\t")[0]
    hub.command("token", "revoke", token_id or "0")
    # Revoked by another process (the command line): the server may take a few seconds to
    # notice; the insider keeps trying on the open socket for 8 s.
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline and ws.close_code is None:
        try:
            ws.send({"id": "0", "type": "subscribe", "payload": {"query": "{ stats { persons } }"}})
            if ws.receive() is None:
                break
        except OSError:
            # The server closed the socket; its close frame may still be readable.
            try:
                while ws.receive() is not None:
                    pass
            except OSError:
                pass
            ws.close_code = ws.close_code or "closed"
            break
        time.sleep(1)
    if ws.close_code is not None:
        ws.close()
        return True, f"the socket closed with {ws.close_code} after the revocation"
    ws.send({"id": "1", "type": "subscribe", "payload": {"query": "{ stats { persons } }"}})
    answered_with_data = False
    for _ in range(5):
        message = ws.receive()
        if message is None:
            break
        if message.get("type") == "next" and (message.get("payload") or {}).get("data"):
            answered_with_data = True
            break
    ws.close()
    held = not answered_with_data
    return held, f"revoked token answered: {answered_with_data}; socket closed with {ws.close_code}"


def attack_4(hub, analyst):
    # 100 aliases in each of 10 operations of one batch: 1 000 searches in one request.
    aliases = " ".join(f'a{i}: searchPersons(text: "138{i:04d}", first: 1) {{ totalCount }}'
                       for i in range(100))
    status, body = hub.post([{"query": "{ " + aliases + " }"} for _ in range(10)], analyst)
    answered = 0
    if isinstance(body, list):
        answered = sum(len(item.get("data") or {}) for item in body if isinstance(item, dict))
    elif isinstance(body, dict):
        answered = len(body.get("data") or {})
    return answered <= 10, f"{answered} of 1000 aliased searches answered in one request (status {status})"


def attack_5(hub, dashboard):
    ws = Socket(hub.port, dashboard)
    ws.receive()
    for i in range(900):
        ws.send({"id": str(i), "type": "subscribe", "payload": {"query": "{ stats { persons } }"}})
    answered, limited = 0, 0
    deadline = time.monotonic() + 60
    while answered + limited < 900 and time.monotonic() < deadline:
        message = ws.receive()
        if message is None:
            break
        if "RATE_LIMITED" in json.dumps(message):
            limited += 1
        elif message.get("type") == "next":
            answered += 1
    ws.close()
    return limited > 0 or ws.close_code is not None, f"{answered} answered, {limited} limited of 900 in one connection"


def attack_6(hub, partner):
    notice = [{"notice_no": "PROBE-1", "sending_jurisdiction": "湖北省武汉市江岸区", "send_date": "2020-02-01",
               "persons": [{"record_id": "P-1", "name": "探针", "id_number": "420102198507150036"}]}]
    query = ("mutation($f: Upload!) { importBatch(source: EXTERNAL, file: $f) "
             "{ personsMatched personsCreated } }")
    _, body = hub.upload(query, partner, "probe.json", json.dumps(notice, ensure_ascii=False).encode())
    report = ((body or {}).get("data") or {}).get("importBatch") or {}
    told = report.get("personsMatched") or report.get("personsCreated")
    return not told, (f"partner told personsMatched={report.get('personsMatched')} "
                      f"personsCreated={report.get('personsCreated')}; {error_text(body)}")


def far_xlsx() -> bytes:
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c>'
             '<c r="B1" t="inlineStr"><is><t>phone</t></is></c></row><row r="1048000"><c r="A1048000" '
             't="inlineStr"><is><t>远行</t></is></c><c r="B1048000" t="inlineStr"><is><t>13911112222</t>'
             '</is></c></row></sheetData></worksheet>')
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
        'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
        'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
        'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
        'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
        'openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '</Relationships>',
        "xl/worksheets/sheet1.xml": sheet,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return out.getvalue()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def attack_7(hub, analyst):
    query = ("mutation($f: Upload!) { importBatch(source: BIGDATA, file: $f) "
             "{ rowsRejected rejected { row } } }")
    before = rss_mb(hub.process.pid)
    started = time.monotonic()
    _, body = hub.upload(query, hub.admin, "far.xlsx", far_xlsx())
    seconds = time.monotonic() - started
    peak = rss_mb(hub.process.pid)
    report = ((body or {}).get("data") or {}).get("importBatch") or {}
    stored = len(report.get("rejected") or [])
    held = stored <= 1000 and peak - before < 500
    return held, (f"{seconds:.1f} s, peak RSS {before:.0f} → {peak:.0f} MB, {stored} rejected rows kept "
                  f"({report.get('rowsRejected')} counted); {error_text(body)}")


def attack_8(hub, analyst):
    aliases = " ".join(f"s{i}: stats {{ persons }}" for i in range(1200))
    batch = [{"query": "{ " + aliases + " }"} for _ in range(10)]
    status, body = hub.post(batch, analyst)
    ran = 0
    if isinstance(body, list):
        ran = sum(len((item.get("data") or {})) for item in body if isinstance(item, dict))
    return ran < 1000, f"{ran} stats fields ran in one request (status {status})"


def attack_9(hub, township_token, township):
    def ids(connection_path, answer):
        found = set()
        node = data(answer) or {}
        for edge in (node.get(connection_path) or {}).get("edges", []):
            records = edge["node"].get("records")
            if records is None:
                found.add(edge["node"]["id"])
            else:
                found.update(r["id"] for r in records)
        return found

    listed = hub.gql("{ sourceRecords(first: 500) { edges { node { id } } } }", township_token)
    nested = hub.gql("{ persons(first: 500) { edges { node { id records { id } } } } }", township_token)
    allowed, seen = ids("sourceRecords", listed), ids("persons", nested)
    extra = seen - allowed
    return not extra, (f"a {township} token saw {len(extra)} records through person.records that "
                       f"sourceRecords hides ({len(allowed)} listed)")


def attack_10(hub, dashboard):
    answer = hub.gql('{ aggregates(filter: { village: "南关社区" }) { persons byStatus { status count } } }',
                     dashboard)
    groups = ((data(answer) or {}).get("aggregates") or {}).get("byStatus") or []
    small = [g for g in groups if 0 < (g.get("count") or 0) < 5]
    return not small, f"{len(small)} groups of fewer than 5 persons served to DASHBOARD"


def attack_11(hub, admin):
    before = hub.gql("{ auditLog(last: 500) { totalCount } }", admin)
    count_before = ((data(before) or {}).get("auditLog") or {}).get("totalCount") or 0
    hub.command("export", "persons", "--format", "csv")
    after = hub.gql("{ auditLog(last: 500) { totalCount } }", admin)
    count_after = ((data(after) or {}).get("auditLog") or {}).get("totalCount") or 0
    return count_after > count_before, f"audit entries {count_before} → {count_after} after `paicha export persons`"


def attack_12(hub, analyst):
    limited = 0
    for i in range(700):
        status, _ = hub.post({"query": "{ stats { persons } }"}, f"paicha_{i:064x}")
        if status == 429:
            limited += 1
            break
    # A query DASHBOARD may not run, registered by ADMIN: its hash must not tell DASHBOARD it exists.
    query = "{ persons(first: 1) { totalCount } }"
    digest = hashlib.sha256(query.encode()).hexdigest()
    ext = {"persistedQuery": {"version": 1, "sha256Hash": digest}}
    hub.post({"query": query, "extensions": ext}, hub.admin)
    dashboard = hub.token("DASHBOARD")
    _, body = hub.post({"extensions": ext}, dashboard)
    told = "FORBIDDEN" in codes((0, body))
    return limited > 0 and not told, (f"invalid tokens rate-limited: {limited > 0}; another role's hash "
                                      f"answered FORBIDDEN: {told}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin")
    parser.add_argument("--postgres", help="a PostgreSQL server URL (loopback) to use instead of SQLite")
    args = parser.parse_args()
    binary = find_binary(args.bin)
    workdir = Path(tempfile.mkdtemp(prefix="paicha-attacks-"))
    database_url = f"sqlite://{workdir}/paicha.db?mode=rwc"
    created = None
    if args.postgres:
        created = f"attacks_{os.getpid()}"
        subprocess.run(["psql", args.postgres, "-qc", f"CREATE DATABASE {created}"], check=True, timeout=60)
        database_url = args.postgres.rsplit("/", 1)[0] + "/" + created
    hub = Hub(binary, database_url, workdir)
    results = []
    try:
        analyst = hub.token("ANALYST")
        dashboard = hub.token("DASHBOARD")
        partner = hub.token("PARTNER", "--partner", "420102")
        township = "柳林镇"
        township_token = hub.token("TOWNSHIP", "--township", township)
        attacks = [
            (1, "masked ID + birth date", lambda: attack_1(hub, analyst)),
            (2, "digits past the masking", lambda: attack_2(hub, analyst)),
            (3, "revoked token on an open WebSocket", lambda: attack_3(hub, hub.admin)),
            (4, "search as an oracle", lambda: attack_4(hub, analyst)),
            (5, "WebSocket past the rate limit", lambda: attack_5(hub, dashboard)),
            (6, "partner probes the register", lambda: attack_6(hub, partner)),
            (7, "XLSX with a far row", lambda: attack_7(hub, analyst)),
            (8, "cheap root fields multiplied", lambda: attack_8(hub, analyst)),
            (9, "nested fields across townships", lambda: attack_9(hub, township_token, township)),
            (10, "dashboard singles a person out", lambda: attack_10(hub, dashboard)),
            (11, "command-line export unaudited", lambda: attack_11(hub, hub.admin)),
            (12, "invalid tokens and other roles' hashes", lambda: attack_12(hub, analyst)),
        ]
        for number, name, attack in attacks:
            try:
                held, seen = attack()
            except Exception as e:  # an attack that cannot even run is reported, not hidden
                held, seen = False, f"could not run: {e!r}"
            results.append(held)
            print(f"{number:2}. {'HELD  ' if held else 'LEAKED'} {name}: {seen}", flush=True)
    finally:
        hub.stop()
        if created:
            subprocess.run(["psql", args.postgres, "-qc", f"DROP DATABASE IF EXISTS {created} WITH (FORCE)"],
                           timeout=60)
    print(f"{sum(results)} held, {len(results) - sum(results)} leaked")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
