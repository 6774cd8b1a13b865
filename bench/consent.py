"""Benchmark: `consent check` in-process, and `consent filter` of 1,000,000 identities.

    .venv/bin/python bench/consent.py [--subjects 1000000] [--list 1000000] [--engine sqlite|postgres|both]

The ledger is bulk-loaded (executemany on SQLite, COPY on PostgreSQL): one event and one
state row per subject for the purpose `newsletter` (80 % given, 20 % withdrawn). The send
list holds 1,000,000 e-mail addresses, three quarters of them in the ledger.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

from persondata.consent import service
from persondata.consent.bulk import Normaliser
from persondata.consent.filtering import filter_identities
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.identity import Hasher
from persondata.policy.model import Policy
from persondata.testing.databases import postgres_database

POLICY = Path(__file__).resolve().parent.parent / "tests" / "consent" / "policy.yaml"
AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
EVENT_COLS = ("id", "subject", "identity_kind", "identity_value", "purpose", "action", "at",
              "recorded_at", "source", "policy_version", "actor")
STATE_COLS = ("purpose", "subject", "granted", "at", "event_id")


def email(i: int) -> str:
    """The i-th synthetic address."""
    return f"person.{i}@customer{i % 997}.example.dk"


def load(db: Database, hasher: Hasher, n: int) -> float:
    """Bulk-load n subjects' newsletter consent; returns seconds."""
    start = time.perf_counter()
    pg = db.engine.dialect.name == "postgresql"
    at = AT if pg else AT.replace(tzinfo=None).isoformat(" ", "microseconds")
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        events, states = [], []
        for i in range(n):
            value = email(i)
            subject = hasher.hash_kv("email", value)
            given = i % 5 != 0
            events.append((i + 1, subject, "email", value, "newsletter",
                           "given" if given else "withdrawn", at, at, "import", "legacy", "bench"))
            states.append(("newsletter", subject, given, at, i + 1))
        if pg:
            with cur.copy(f"COPY consent_event ({', '.join(EVENT_COLS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in events:
                    copy.write_row(row)
            with cur.copy(f"COPY consent_state ({', '.join(STATE_COLS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in states:
                    copy.write_row(row)
        else:
            cur.execute("BEGIN")
            cur.executemany(f"INSERT INTO consent_event ({', '.join(EVENT_COLS)}) VALUES "
                            f"({', '.join('?' * len(EVENT_COLS))})", events)
            cur.executemany(f"INSERT INTO consent_state ({', '.join(STATE_COLS)}) VALUES "
                            f"({', '.join('?' * len(STATE_COLS))})", states)
        raw.commit()
        if pg:
            cur.execute("ANALYZE consent_state")
            raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - start


def bench_check(db: Database, policy: Policy, hasher: Hasher, n: int, checks: int = 50_000) -> str:
    """Checks per second: hash lookups, and the full path from `email=...` text."""
    rng = random.Random(1)
    picks = [rng.randrange(int(n * 1.25)) for _ in range(checks)]
    subjects = [hasher.hash_kv("email", email(i)) for i in picks]
    normaliser = Normaliser(policy, hasher)
    texts = [f"email={email(i).upper()}" for i in picks]
    with db.transaction() as s:
        start, cpu = time.perf_counter(), time.process_time()
        allowed = sum(service.is_allowed(s, subj, "newsletter") for subj in subjects)
        hashed = checks / (time.perf_counter() - start)
        hashed_cpu = checks / (time.process_time() - cpu)
        start = time.perf_counter()
        for text in texts:
            kind, raw = normaliser.split(text)
            service.is_allowed(s, normaliser.subject(kind, raw), "newsletter")
        full = checks / (time.perf_counter() - start)
        start = time.perf_counter()
        for text in texts[:5_000]:
            service.status(s, policy, hasher, service.parse(policy, text), "newsletter")
        slow = 5_000 / (time.perf_counter() - start)
    return (f"check: {hashed:,.0f}/s by keyed hash ({hashed_cpu:,.0f}/s of CPU), "
            f"{full:,.0f}/s from 'email=...' text "
            f"(fast normalise + hash + lookup), {slow:,.0f}/s through service.status with "
            f"email-validator ({allowed:,} of {checks:,} allowed)")


def bench_filter(db: Database, policy: Policy, hasher: Hasher, n: int, size: int, tmp: Path) -> str:
    """Filter a list of `size` identities (file to file) through the same function as the CLI."""
    rng = random.Random(2)
    src = tmp / "list.txt"
    with src.open("w") as f:
        for _ in range(size):
            i = rng.randrange(int(n * 4 / 3))  # three quarters are in the ledger
            f.write((email(i).title() if i % 7 == 0 else email(i)) + "\n")
    dst = tmp / "allowed.txt"
    with db.transaction() as s, src.open(newline="") as inp, dst.open("w", newline="") as out:
        start, cpu = time.perf_counter(), time.process_time()
        report = filter_identities(s, policy, hasher, inp, out, "newsletter", actor="bench")
        took, cpu = time.perf_counter() - start, time.process_time() - cpu
    return (f"filter: {report.read:,} identities against {n:,} ledger subjects in {took:.2f} s "
            f"wall, {cpu:.2f} s CPU ({report.written:,} allowed, {report.invalid} invalid)")


def run(url: str, label: str, n: int, size: int, tmp: Path, policy: Policy, hasher: Hasher) -> None:
    """Load and measure one engine."""
    db = Database(url)
    upgrade(db)
    loaded = load(db, hasher, n)
    print(f"{label}: loaded {n:,} subjects in {loaded:.1f} s", flush=True)
    if db.engine.dialect.name == "sqlite":
        print(f"{label}: {bench_check(db, policy, hasher, n)}", flush=True)
    print(f"{label}: {bench_filter(db, policy, hasher, n, size, tmp)}", flush=True)
    if db.engine.dialect.name == "postgresql":
        print(f"{label}: {bench_check(db, policy, hasher, n)}", flush=True)
    db.dispose()


def main() -> None:
    """Run the consent benchmark."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--subjects", type=int, default=1_000_000)
    parser.add_argument("--list", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    policy = Policy.model_validate(yaml.safe_load(POLICY.read_text()))
    hasher = Hasher(os.environ.get("PERSONDATA_HASH_KEY", "bench-hash-key"))
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if args.engine in ("sqlite", "both"):
            run(f"sqlite:///{Path(tmp) / 'consent.db'}", "SQLite", args.subjects, args.list,
                Path(tmp), policy, hasher)
        if args.engine in ("postgres", "both"):
            with postgres_database("pdbench") as url:
                run(url, "PostgreSQL", args.subjects, args.list, Path(tmp), policy, hasher)


if __name__ == "__main__":
    main()
