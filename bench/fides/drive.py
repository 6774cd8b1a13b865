"""Fides's side of bench/vs_fides.sh: set up a running Fides server, then time warm DSRs through its API.

    bench/.fides-venv/bin/python bench/fides/drive.py --url http://127.0.0.1:PORT \
        --shop-db NAME --reset-sql FILE --dataset bench/fides/webshop_dataset.yml [--runs 5] [--warmup 3]

Runs with Fides's own virtualenv (requests and psycopg2 come with ethyca-fides). The root
OAuth client is read from FIDES__SECURITY__OAUTH_ROOT_CLIENT_ID / _SECRET. Set-up through the
API: a postgres ConnectionConfig and its secrets (the webshop database), the dataset YAML,
an access policy (one rule, every `user` category) and an erasure policy (null / hash /
rewrite rules by category, as persondata's policy erases those fields). Then warm-up and
timed privacy requests for one customer: each timed from the POST /privacy-request until
GET /privacy-request shows it `complete` (approving it first if Fides holds it for approval).
The webshop rows are put back before every erasure request (not timed). With --persondata,
persondata's requests (bench/fides/persondata_side.py --serve, both variants) alternate with
Fides's, request by request, so both sides run under the same machine load. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import psycopg2

import requests

API = "/api/v1"
CONNECTION = "bench_webshop_pg"
DATASET = "bench_webshop"
ACCESS_POLICY = "bench_access"
ERASURE_POLICY = "bench_erasure"
SUBJECT = "jane@example.dk"
VARIANTS = ("cli", "kept")
TABLES = ("address", "customer", "orders", "order_items", "payment_card")
DONE = {"complete", "error", "canceled", "denied", "paused", "requires_input", "awaiting_email_send"}

ERASURE_RULES = [
    # (rule key, masking strategy, configuration, data categories) — as the persondata policy erases them
    ("erase_null", "null_rewrite", {}, ["user.name", "user.contact.phone_number", "user.demographic",
                                        "user.financial"]),
    ("erase_hash", "hash", {}, ["user.contact.email"]),
    ("erase_redact", "string_rewrite", {"rewrite_value": "REDACTED"}, ["user.content.private"]),
]


class Fides:
    """A logged-in client of a running Fides webserver."""

    def __init__(self, url: str, client_id: str, client_secret: str) -> None:
        self.url = url.rstrip("/") + API
        self.http = requests.Session()
        r = self.http.post(f"{self.url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret})
        self.ok(r, "get an OAuth token with the root client")
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"

    @staticmethod
    def ok(r: requests.Response, what: str) -> Any:
        """The JSON of a successful response, or exit naming what failed."""
        if r.status_code >= 400:
            raise SystemExit(f"Fides refused to {what}: HTTP {r.status_code} {r.text[:2000]}")
        body = r.json() if r.content else None
        if isinstance(body, dict) and body.get("failed"):
            raise SystemExit(f"Fides could not {what}: {json.dumps(body['failed'])[:2000]}")
        return body

    def call(self, method: str, path: str, what: str, **kw: Any) -> Any:
        """One API call that must succeed."""
        return self.ok(self.http.request(method, self.url + path, **kw), what)

    def setup(self, db: dict[str, Any], dataset_yaml: str) -> None:
        """Connection, secrets, dataset and both policies."""
        self.call("PATCH", "/connection", "create the postgres connection", json=[{
            "key": CONNECTION, "name": "Webshop (benchmark)", "connection_type": "postgres",
            "access": "write"}])
        self.call("PUT", f"/connection/{CONNECTION}/secret", "store the connection's secrets",
                  params={"verify": "true"}, json={
                      "host": db["host"], "port": db["port"], "dbname": db["dbname"],
                      "username": db["user"], "password": db.get("password") or None})
        self.call("PATCH", f"/yml/connection/{CONNECTION}/dataset", "upload the dataset YAML",
                  data=dataset_yaml.encode(), headers={"Content-Type": "application/x-yaml"})
        self.call("PATCH", "/dsr/policy", "create the policies", json=[
            {"key": ACCESS_POLICY, "name": "Benchmark access"},
            {"key": ERASURE_POLICY, "name": "Benchmark erasure"}])
        self.call("PATCH", f"/dsr/policy/{ACCESS_POLICY}/rule", "create the access rule", json=[
            {"key": "access_all", "name": "Access: all user data", "action_type": "access"}])
        self.call("PATCH", f"/dsr/policy/{ACCESS_POLICY}/rule/access_all/target", "target the access rule",
                  json=[{"key": "access_all_user", "name": "access_all_user", "data_category": "user"}])
        self.call("PATCH", f"/dsr/policy/{ERASURE_POLICY}/rule", "create the erasure rules", json=[
            {"key": key, "name": f"Erasure: {strategy}", "action_type": "erasure",
             "masking_strategy": {"strategy": strategy, "configuration": conf}}
            for key, strategy, conf, _ in ERASURE_RULES])
        for key, _, _, categories in ERASURE_RULES:
            self.call("PATCH", f"/dsr/policy/{ERASURE_POLICY}/rule/{key}/target", f"target rule {key}",
                      json=[{"key": t, "name": t, "data_category": c}
                            for c in categories for t in [f"{key}_{c.replace('.', '_')}"]])

    def status(self, request_id: str) -> str:
        """A privacy request's status as the API shows it."""
        body = self.call("GET", "/privacy-request", "read a privacy request",
                         params={"request_id": request_id})
        return str(body["items"][0]["status"])

    def run(self, policy: str, poll: float = 0.005, timeout: float = 120.0) -> tuple[float, str, str]:
        """Submit one privacy request and wait for it; (seconds, id, final status)."""
        start = time.perf_counter()
        body = self.call("POST", "/privacy-request", f"create a {policy} privacy request",
                         json=[{"identity": {"email": SUBJECT}, "policy_key": policy}])
        rid = body["succeeded"][0]["id"]
        approved = False
        while True:
            status = self.status(rid)
            if status in DONE:
                break
            if status == "pending" and not approved:  # held for manual approval: approve it
                r = self.http.patch(f"{self.url}/privacy-request/administrate/approve",
                                    json={"request_ids": [rid]})
                self.ok(r, "approve the privacy request") if r.status_code >= 400 else None
                approved = True
            if time.perf_counter() - start > timeout:
                raise SystemExit(f"privacy request {rid} ({policy}) still {status} after {timeout:.0f} s")
            time.sleep(poll)
        elapsed = time.perf_counter() - start
        if status != "complete":
            logs = self.http.get(f"{self.url}/privacy-request/{rid}/log").text[:3000]
            raise SystemExit(f"privacy request {rid} ({policy}) ended {status}: {logs}")
        return elapsed, rid, status


class Persondata:
    """persondata_side.py --serve as a child process: one request at a time, timed in that process."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.check = self._read()["check"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise SystemExit(f"the persondata side stopped (exit {self.proc.wait()}); see its error above")
        return dict(json.loads(line))

    def run(self, kind: str, variant: str) -> float:
        """Seconds of one persondata request (kind: access|erasure, variant: cli|kept)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(f"{kind} {variant}\n")
        self.proc.stdin.flush()
        return float(self._read()["seconds"])

    def close(self) -> Any:
        """Stop the child; its check."""
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        if self.proc.wait(timeout=60) != 0:
            raise SystemExit(f"the persondata side failed (exit {self.proc.returncode})")
        return self.check


def summary(times: list[float]) -> dict[str, Any]:
    """Median, min and every run, in seconds."""
    return {"median": statistics.median(times), "min": min(times), "runs": times}


def main(argv: list[str] | None = None) -> int:
    """Set Fides up, check one access and one erasure, time warm runs, print JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the Fides webserver, e.g. http://127.0.0.1:8080")
    parser.add_argument("--shop-db", required=True, help="database name of the webshop on --pg-host")
    parser.add_argument("--pg-host", default="127.0.0.1")
    parser.add_argument("--pg-port", type=int, default=5432)
    parser.add_argument("--pg-user", default="postgres")
    parser.add_argument("--reset-sql", type=Path, required=True, help="SQL that puts the webshop rows back")
    parser.add_argument("--dataset", type=Path, required=True, help="the Fides dataset YAML")
    parser.add_argument("--uploads", type=Path, help="the server's fides_uploads directory (access check)")
    parser.add_argument("--persondata", help="command line of persondata_side.py --serve: its requests"
                        " alternate with Fides's, under the same machine load")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop cleanly: the persondata child too

    db = {"host": args.pg_host, "port": args.pg_port, "dbname": args.shop_db, "user": args.pg_user,
          "password": os.environ.get("PGPASSWORD")}
    reset_sql = args.reset_sql.read_text(encoding="utf-8")
    shop = psycopg2.connect(host=db["host"], port=db["port"], dbname=db["dbname"], user=db["user"],
                            password=db["password"])
    shop.autocommit = True

    def reset() -> None:
        with shop.cursor() as cur:
            cur.execute(reset_sql)

    def jane() -> tuple[Any, ...]:
        with shop.cursor() as cur:
            cur.execute("SELECT c.name, c.email, c.phone, p.card_number, p.holder_name, o.order_email,"
                        " i.gift_message FROM customer c JOIN payment_card p ON p.customer_id = c.id"
                        " JOIN orders o ON o.id = 10 JOIN order_items i ON i.id = 100 WHERE c.id = 1")
            row = cur.fetchone()
        return tuple(row) if row else ()

    fides = Fides(args.url, os.environ["FIDES__SECURITY__OAUTH_ROOT_CLIENT_ID"],
                  os.environ["FIDES__SECURITY__OAUTH_ROOT_CLIENT_SECRET"])
    reset()
    fides.setup(db, args.dataset.read_text(encoding="utf-8"))

    # One of each, checked, so the timed requests do real work.
    check: dict[str, Any] = {}
    _, rid, _ = fides.run(ACCESS_POLICY)
    if args.uploads is not None:
        package = args.uploads / f"{rid}.zip"
        if not package.is_file():
            raise SystemExit(f"access request {rid} completed but left no package {package}")
        with zipfile.ZipFile(package) as z:
            found = sorted(n.split("/")[2] for n in z.namelist()
                           if n.startswith(f"data/{DATASET}/") and n.count("/") == 3)
        if found != sorted(TABLES):
            raise SystemExit(f"access package {package} has collections {found}, expected {sorted(TABLES)}")
        check["access_package_collections"] = found
    before = jane()
    fides.run(ERASURE_POLICY)
    after = jane()
    expected = (None, "hashed", None, "REDACTED", None, "hashed", "REDACTED")
    if not after or [a if e != "hashed" else ("hashed" if a and a != b else a)
                     for a, b, e in zip(after, before, expected, strict=True)] != list(expected):
        raise SystemExit(f"erasure completed but the customer's row is {after} (was {before})")
    check["erasure_row_after"] = list(after)
    reset()

    ours = Persondata(shlex.split(args.persondata)) if args.persondata else None
    fides_times: dict[str, list[float]] = {"access": [], "erasure": []}
    our_times: dict[str, dict[str, list[float]]] = {v: {"access": [], "erasure": []} for v in VARIANTS}
    try:
        for kind, policy in (("access", ACCESS_POLICY), ("erasure", ERASURE_POLICY)):
            for i in range(args.warmup + args.runs):
                if kind == "erasure":
                    reset()
                t, _, _ = fides.run(policy)
                ts = {v: ours.run(kind, v) for v in VARIANTS} if ours is not None else {}
                if i >= args.warmup:
                    fides_times[kind].append(t)
                    for v, tv in ts.items():
                        our_times[v][kind].append(tv)
    finally:
        our_check = ours.close() if ours is not None else None
    reset()
    shop.close()
    health = fides.http.get(args.url.rstrip("/") + "/health").json()
    out: dict[str, Any] = {
        "fides": {"version": health.get("version"), "check": check,
                  **{k: summary(v) for k, v in fides_times.items()}},
        "persondata": None if ours is None else {
            "check": our_check, **{v: {k: summary(t) for k, t in our_times[v].items()} for v in VARIANTS}},
    }
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0

if __name__ == "__main__":
    raise SystemExit(main())
