"""Benchmark: counting affected subjects in a large company database, and listing many cases.

    .venv/bin/python bench/breaches.py [--customers 1000000] [--cases 5000] [--engine sqlite|postgres|both]

The company database has N customers (e-mail + phone), 2N invoices owned by them, 2N invoice
lines (owned through the invoice) and N enquiries from N/2 addresses. `count_affected` is the
function `persondata breach count` calls: one COUNT(*), COUNT(DISTINCT key) query per table.
The state database then gets `--cases` open cases and `breach list` is timed (deadlines of
every case computed at `now`).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from persondata.breaches import service, views
from persondata.breaches.affected import Window, count_affected
from persondata.breaches.schemas import CaseCreate
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.policy.model import Policy
from persondata.testing.databases import postgres_database

POLICY = {
    "controller": {"name": "Bench ApS", "country": "DK", "email": "privacy@bench.example"},
    "subjects": {"customer": {"name": "Customer"}},
    "purposes": {"customers": {"name": "Customers", "basis": "contract", "subjects": ["customer"]}},
    "systems": {"shop": {"url": "${BENCH_SHOP_URL}", "tables": {
        "customer": {"primary_key": "id", "identities": {"email": "email", "phone": "phone"},
                     "purposes": ["customers"], "fields": {"email": "user.contact.email",
                                                           "phone": "user.contact.phone_number"}},
        "invoice": {"primary_key": "id", "belongs_to": {"customer_id": "customer.id"},
                    "anchors": {"invoice_date": "issued_on"}, "fields": {"amount": "user.financial"}},
        "invoice_line": {"primary_key": "id", "belongs_to": {"invoice_id": "invoice.id"},
                         "fields": {"card_last4": "user.financial.credit_card"}},
        "enquiry": {"primary_key": "id", "identities": {"email": "email"},
                    "anchors": {"last_contact": "sent_at"}, "fields": {"email": "user.contact.email"}},
    }}},
}
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def schema(md: sa.MetaData) -> dict[str, sa.Table]:
    """The company tables with the indexes a real shop would have (foreign keys, anchors)."""
    return {
        "customer": sa.Table("customer", md, sa.Column("id", sa.Integer, primary_key=True),
                             sa.Column("email", sa.String(200)), sa.Column("phone", sa.String(20))),
        "invoice": sa.Table("invoice", md, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("customer_id", sa.Integer, index=True),
                            sa.Column("issued_on", sa.Date, index=True), sa.Column("amount", sa.Integer)),
        "invoice_line": sa.Table("invoice_line", md, sa.Column("id", sa.Integer, primary_key=True),
                                 sa.Column("invoice_id", sa.Integer, index=True),
                                 sa.Column("card_last4", sa.String(4))),
        "enquiry": sa.Table("enquiry", md, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("email", sa.String(200)),
                            sa.Column("sent_at", sa.DateTime, index=True)),
    }


def rows(name: str, n: int) -> Iterator[tuple[object, ...]]:
    """Synthetic rows of one table."""
    if name == "customer":
        for i in range(1, n + 1):
            yield (i, f"c{i}@example.dk" if i % 10 else None, f"+45{20000000 + i}")
    elif name == "invoice":
        for i in range(1, 2 * n + 1):
            yield (i, (i * 7919) % n + 1, date(2026, 1, 1) + timedelta(days=i % 365), 100 + i % 900)
    elif name == "invoice_line":
        for i in range(1, 2 * n + 1):
            yield (i, (i * 104729) % (2 * n) + 1, f"{i % 10000:04d}")
    elif name == "enquiry":
        for i in range(1, n + 1):
            yield (i, f"e{i % (n // 2)}@example.dk", (T0 + timedelta(minutes=7 * i)).replace(tzinfo=None))


def _sqlite(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat(" ")
    return value.isoformat() if isinstance(value, date) else value


def load(url: str, n: int) -> float:
    """Create and fill the company database; returns seconds."""
    start = time.perf_counter()
    engine = sa.create_engine(url)
    md = sa.MetaData()
    tables = schema(md)
    for t in tables.values():  # indexes after the load
        t.indexes.clear()
    md.create_all(engine)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for name, table in tables.items():
            cols = [c.name for c in table.columns]
            if engine.dialect.name == "postgresql":
                with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows(name, n):
                        copy.write_row(row)
            else:
                sql = f"INSERT INTO {name} VALUES ({', '.join('?' * len(cols))})"
                batch: list[tuple[object, ...]] = []
                for row in rows(name, n):
                    batch.append(tuple(_sqlite(v) for v in row))
                    if len(batch) == 100_000:
                        cur.executemany(sql, batch)
                        batch.clear()
                cur.executemany(sql, batch)
        raw.commit()
    finally:
        raw.close()
    with engine.begin() as conn:
        for stmt in ("CREATE INDEX ix_invoice_customer_id ON invoice (customer_id)",
                     "CREATE INDEX ix_invoice_issued_on ON invoice (issued_on)",
                     "CREATE INDEX ix_invoice_line_invoice_id ON invoice_line (invoice_id)",
                     "CREATE INDEX ix_enquiry_sent_at ON enquiry (sent_at)"):
            conn.exec_driver_sql(stmt)
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql("ANALYZE")
    engine.dispose()
    return time.perf_counter() - start


def timed(label: str, fn: object) -> object:
    """Run fn, print its time, return its result."""
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    print(f"  {label}: {time.perf_counter() - start:.2f} s", flush=True)
    return result


def bench_count(url: str, n: int) -> None:
    """Count on the whole tables and with a one-month window."""
    os.environ["BENCH_SHOP_URL"] = url
    policy = Policy.model_validate(POLICY)
    print(f"  load {n:,} customers, {2 * n:,} invoices, {2 * n:,} lines, {n:,} enquiries: "
          f"{load(url, n):.1f} s", flush=True)
    for name in ("customer", "invoice", "invoice_line", "enquiry"):
        result = timed(f"count shop.{name} (whole table)",
                       lambda name=name: count_affected(policy, [f"shop.{name}"]))
        row = result.tables[0]  # type: ignore[attr-defined]
        print(f"    {row.records:,} records, {row.subjects:,} subjects", flush=True)
    window = Window("last_contact", since=datetime(2026, 2, 1, tzinfo=UTC),
                    until=datetime(2026, 3, 1, tzinfo=UTC))
    result = timed("count shop.enquiry, one month window",
                   lambda: count_affected(policy, ["shop.enquiry"], window))
    row = result.tables[0]  # type: ignore[attr-defined]
    print(f"    {row.records:,} records, {row.subjects:,} subjects", flush=True)
    timed("count all four tables", lambda: count_affected(policy, ["shop.customer", "shop.invoice",
                                                                    "shop.invoice_line", "shop.enquiry"]))


def bench_list(state_url: str, cases: int) -> None:
    """Open many cases, then list them with their deadlines."""
    policy = Policy.model_validate({**POLICY, "systems": {}})
    db = Database(state_url)
    upgrade(db)
    start = time.perf_counter()
    for i in range(cases):  # one transaction per case, as `breach open` does
        aware = T0 + timedelta(hours=5 * i)
        data = CaseCreate(aware_at=aware, discovery="external_reporter", title=f"case {i}",
                          description="bench", reporter_contact="r@example.org")
        with db.transaction() as s:
            service.open_case(s, policy, data, actor="bench", now=aware)
    took = time.perf_counter() - start
    print(f"  open {cases:,} cases, one transaction each: {took:.2f} s "
          f"({1000 * took / cases:.1f} ms per case)", flush=True)
    now = T0 + timedelta(hours=5 * cases)

    def listing() -> int:
        with db.transaction() as s:
            return len([views.summary(c, policy.breaches, now) for c in service.list_cases(s)])
    timed(f"list {cases:,} open cases with deadlines", listing)
    db.dispose()


def main() -> None:
    """Run the benchmark on the chosen engines."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=5_000)
    parser.add_argument("--engine", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    engines = ["sqlite", "postgres"] if args.engine == "both" else [args.engine]
    for engine in engines:
        print(f"{engine}:", flush=True)
        with contextlib.ExitStack() as stack:
            if engine == "sqlite":
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                company, state = f"sqlite:///{tmp / 'shop.db'}", f"sqlite:///{tmp / 'state.db'}"
            else:
                company = stack.enter_context(postgres_database("pdbench"))
                state = stack.enter_context(postgres_database("pdbench"))
            bench_count(company, args.customers)
            bench_list(state, args.cases)


if __name__ == "__main__":
    main()
