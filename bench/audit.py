"""Benchmark: `audit verify` over 1,000,000 entries, and append throughput.

    .venv/bin/python bench/audit.py [--entries 1000000] [--engine sqlite|postgres|both]

The log is bulk-loaded (executemany on SQLite, COPY on PostgreSQL) with a valid chain,
then verified through the same service function `persondata audit verify` calls.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from persondata.audit import service
from persondata.audit.chain import GENESIS, canonical_entry, canonical_json, entry_hash, format_at
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.testing.databases import postgres_database

T0 = datetime(2024, 1, 1, tzinfo=UTC)
COLS = ("id", "at", "actor", "action", "subject", "target", "details", "prev_hash", "hash")


def chain_rows(n: int) -> Iterator[tuple[object, ...]]:
    """n valid chained entries with realistic content."""
    prev = GENESIS
    for i in range(1, n + 1):
        at = T0 + timedelta(milliseconds=37 * i)
        subject = f"{i * 2654435761 % (1 << 64):064x}"
        details = canonical_json({"purpose": "newsletter", "source": "web_form", "event": i})
        h = entry_hash(prev, canonical_entry(i, format_at(at), "api:webshop", "consent.given",
                                             subject, f"consent_event/{i}", details))
        yield (i, at, "api:webshop", "consent.given", subject, f"consent_event/{i}", details, prev, h)
        prev = h


def load(db: Database, n: int) -> float:
    """Bulk-load n entries; returns seconds."""
    start = time.perf_counter()
    raw = db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if db.engine.dialect.name == "postgresql":
            with cur.copy(f"COPY audit_entry ({', '.join(COLS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in chain_rows(n):
                    copy.write_row(row)
        else:
            cur.execute("BEGIN")
            batch: list[tuple[object, ...]] = []
            sql = f"INSERT INTO audit_entry ({', '.join(COLS)}) VALUES ({', '.join('?' * len(COLS))})"
            for row in chain_rows(n):
                at = row[1]
                assert isinstance(at, datetime)
                batch.append((row[0], at.replace(tzinfo=None).isoformat(" ", "microseconds"), *row[2:]))
                if len(batch) == 50_000:
                    cur.executemany(sql, batch)
                    batch.clear()
            cur.executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()
    return time.perf_counter() - start


def bench(url: str, n: int, label: str) -> None:
    """Load, verify, and measure appends on one database."""
    db = Database(url)
    upgrade(db)
    loaded = load(db, n)
    with db.transaction() as s:
        start, cpu = time.perf_counter(), time.process_time()
        result = service.verify(s)
        verify_s, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert result.ok and result.checked == n, result
    appends = 2_000
    start = time.perf_counter()
    for _ in range(appends // 100):
        with db.transaction() as s:
            for _ in range(100):
                service.record(s, actor="bench", action="bench.append", subject="a" * 64,
                               details={"k": 1})
    batched = appends / (time.perf_counter() - start)
    start = time.perf_counter()
    for _ in range(500):
        with db.transaction() as s:
            service.record(s, actor="bench", action="bench.append", details={"k": 2})
    single = 500 / (time.perf_counter() - start)
    print(f"{label}: load {n:,} entries {loaded:.1f} s | verify {n:,} entries {verify_s:.2f} s wall, "
          f"{cpu:.2f} s CPU ({n / verify_s:,.0f} entries/s) | append {batched:,.0f}/s (100 per transaction), "
          f"{single:,.0f}/s (one per transaction)")
    db.dispose()


def main() -> None:
    """Run the audit benchmark."""
    import os

    print(f"{os.cpu_count()} cpus, load {os.getloadavg()[0]:.1f}", flush=True)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    if args.engine in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            bench(f"sqlite:///{Path(tmp) / 'audit.db'}", args.entries, "SQLite")
    if args.engine in ("postgres", "both"):
        with contextlib.ExitStack() as stack:
            url = stack.enter_context(postgres_database("pdbench"))
            bench(url, args.entries, "PostgreSQL")


if __name__ == "__main__":
    main()
