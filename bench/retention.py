"""Benchmark: `retention run` against hand-written batched DELETEs on PostgreSQL, side by side.

    .venv/bin/python bench/retention.py [--rows 10000000] [--expire 3000000] [--batch 5000]

Three identical tables of --rows rows each, of which --expire are older than "3 months after
sent_at" (the oldest ones, as in a real log), all with the same batch size, one transaction
per batch:
- the common idiom: `DELETE FROM t WHERE id IN (SELECT id FROM t WHERE sent_at <= :cutoff
  LIMIT :batch)` until nothing is deleted;
- the same tuned by hand to walk the primary key (`AND id > :last ORDER BY id ... RETURNING id`);
- persondata: the service call `persondata retention run` makes (a plan first, the batch
  journal, one audit entry per batch, state on SQLite).
Each is timed wall-clock, with its longest single company transaction.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
import yaml

from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.policy.model import Policy
from persondata.retention import service
from persondata.settings import load_settings
from persondata.testing.databases import postgres_database

AS_OF = datetime(2025, 3, 1, 12, tzinfo=UTC)
POLICY = """
version: 1
controller: {name: SMS ApS, country: DK, email: privacy@sms.example}
purposes:
  sms_log: {name: SMS log, basis: contract, retention: 3 months after sent_at}
systems:
  gateway:
    url: "URL"
    tables:
      sms_log_pd:
        primary_key: id
        purposes: [sms_log]
        anchors: {sent_at: sent_at}
        fields: {sender: sms.traffic_data, recipient: sms.traffic_data, body: sms.message_content}
"""


TABLES = ("sms_log_hand", "sms_log_keyset", "sms_log_pd")


def build(url: str, rows: int, expire: int) -> None:
    """Three identical tables; the oldest `expire` rows are past 3 months at AS_OF."""
    cutoff = datetime(2024, 12, 1, 12)  # AS_OF - 3 months
    start = cutoff - timedelta(seconds=expire - 1)  # one row per second: `expire` rows up to the cutoff
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        first = TABLES[0]
        conn.exec_driver_sql(f"CREATE TABLE {first} (id bigint PRIMARY KEY, sender text, recipient text, "
                             f"body text, sent_at timestamp NOT NULL)")
        conn.exec_driver_sql(
            f"INSERT INTO {first} SELECT g, '+4520' || lpad((g %% 1000000)::text, 6, '0'), "
            f"'+4530' || lpad((g %% 999983)::text, 6, '0'), md5(g::text) || md5((g + 1)::text), "
            f"%(start)s::timestamp + make_interval(secs => g - 1) FROM generate_series(1, %(n)s) g",
            {"start": start, "n": rows})
        for t in TABLES[1:]:
            conn.exec_driver_sql(f"CREATE TABLE {t} (LIKE {first} INCLUDING ALL)")
            conn.exec_driver_sql(f"INSERT INTO {t} SELECT * FROM {first}")
        for t in TABLES:
            conn.exec_driver_sql(f"CREATE INDEX ix_{t}_sent_at ON {t} (sent_at)")
            # No autovacuum of one contender's dead rows while the next one is measured.
            conn.exec_driver_sql(f"ALTER TABLE {t} SET (autovacuum_enabled = false)")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for t in TABLES:
            conn.exec_driver_sql(f"VACUUM ANALYZE {t}")
    engine.dispose()


def checkpoint(url: str) -> None:
    """Flush dirty pages first, so that no contender pays for the previous one's writes."""
    engine = sa.create_engine(url)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("CHECKPOINT")
    engine.dispose()


def _loop(url: str, stmt: sa.TextClause, params: dict[str, object], keyset: bool) -> tuple[float, int, float]:
    checkpoint(url)
    engine = sa.create_engine(url)
    total, longest, last = 0, 0.0, 0
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        with engine.begin() as conn:
            if keyset:
                got = conn.execute(stmt, {**params, "last": last}).all()
                n = len(got)
                last = max((r[0] for r in got), default=last)
            else:
                n = conn.execute(stmt, params).rowcount
        longest = max(longest, time.perf_counter() - t0)
        total += n
        if n == 0:
            break
    took = time.perf_counter() - start
    engine.dispose()
    return took, total, longest


def hand_written(url: str, batch: int) -> tuple[float, int, float]:
    """Baseline 1, the common idiom: DELETE ... WHERE id IN (SELECT id ... LIMIT n) until none is left."""
    stmt = sa.text("DELETE FROM sms_log_hand WHERE id IN "
                   "(SELECT id FROM sms_log_hand WHERE sent_at <= :cutoff LIMIT :batch)")
    return _loop(url, stmt, {"cutoff": datetime(2024, 12, 1, 12), "batch": batch}, keyset=False)


def hand_keyset(url: str, batch: int) -> tuple[float, int, float]:
    """Baseline 2, tuned by hand: the same DELETE walking the primary key (RETURNING the last id)."""
    stmt = sa.text("DELETE FROM sms_log_keyset WHERE id IN (SELECT id FROM sms_log_keyset WHERE "
                   "sent_at <= :cutoff AND id > :last ORDER BY id LIMIT :batch) RETURNING id")
    return _loop(url, stmt, {"cutoff": datetime(2024, 12, 1, 12), "batch": batch}, keyset=True)


def persondata_run(url: str, batch: int, tmp: Path) -> tuple[float, int, float]:
    """persondata: the service call behind `retention run`; (seconds, rows, longest transaction)."""
    policy = Policy.model_validate(yaml.safe_load(POLICY.replace("URL", url)))
    state = Database(f"sqlite:///{tmp / 'state.db'}")
    upgrade(state)
    settings = load_settings(database_url=state.url, hash_key="bench-only-hash-key")
    checkpoint(url)
    start = time.perf_counter()
    report = service.run(policy, settings, state, as_of=AS_OF, batch_size=batch, actor="bench")
    took = time.perf_counter() - start
    state.dispose()
    return took, report.totals.get("delete", 0), report.longest_transaction


def main() -> None:
    """Build, run both, print a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--expire", type=int, default=3_000_000)
    ap.add_argument("--batch", type=int, default=5000)
    args = ap.parse_args()
    with postgres_database("pdbench") as url, tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build(url, args.rows, args.expire)
        print(f"built 3 x {args.rows:,} rows in {time.perf_counter() - t0:.1f} s", flush=True)
        hand = hand_written(url, args.batch)
        print(f"hand-written: {hand[1]:,} rows in {hand[0]:.1f} s", flush=True)
        keyset = hand_keyset(url, args.batch)
        print(f"hand keyset:  {keyset[1]:,} rows in {keyset[0]:.1f} s", flush=True)
        ours = persondata_run(url, args.batch, Path(tmp))
        print(f"persondata:   {ours[1]:,} rows in {ours[0]:.1f} s", flush=True)
        assert hand[1] == keyset[1] == ours[1] == args.expire, (hand[1], keyset[1], ours[1])
        print()
        print("| | rows deleted | seconds | rows/s | longest transaction |")
        print("|---|---:|---:|---:|---:|")
        for name, (took, n, longest) in (("hand-written batched DELETE (id IN (SELECT ... LIMIT n))", hand),
                                         ("hand-written keyset DELETE (walks the primary key)", keyset),
                                         ("persondata retention run", ours)):
            print(f"| {name} | {n:,} | {took:.1f} | {n / took:,.0f} | {longest * 1000:.0f} ms |")
        print(f"\nthroughput ratio persondata / batched DELETE: {hand[0] / ours[0]:.2f}")
        print(f"throughput ratio persondata / keyset DELETE:  {keyset[0] / ours[0]:.2f}")

if __name__ == "__main__":
    main()
