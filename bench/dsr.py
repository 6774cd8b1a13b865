"""Benchmark of the DSR engine (not part of pytest).

1. At scale, on PostgreSQL: 1,000,000 customers and 20,000,000 rows over 6 tables (address,
   customer, orders, order_items, payment_card, login), loaded with generate_series. Access
   and erasure for one subject through the service call the CLI uses (`persondata.dsr.access`
   / `persondata.dsr.erase`, audit entry and state commit included, state on SQLite), side by
   side with hand-written indexed SQL (psycopg) that reads / changes the same rows.
2. Warm latency on the small test webshop (8 tables of 2 systems in one PostgreSQL database,
   3 customers): access and erasure of one subject through the same service calls.

    .venv/bin/python bench/dsr.py                    # load (several minutes), measure, drop
    .venv/bin/python bench/dsr.py --keep             # keep the database for the next run
    .venv/bin/python bench/dsr.py --reuse            # measure on a kept database
    .venv/bin/python bench/dsr.py --customers 100000 # a smaller scale
    .venv/bin/python bench/dsr.py --reuse --cold     # every measured call reads from the disk
    .venv/bin/python bench/dsr.py --reuse --latency 0.5  # the database 0.5 ms away each way

Times are medians of interleaved runs after warm-up; each run looks up a subject of its own
(random, so its pages are not in PostgreSQL's buffers from an earlier run) and the sides take
turns going first. Every table and index is first read into the OS page cache (pg_prewarm), so
no run waits for the disk; with --cold the company database's files are dropped from the OS
cache before every measured call instead, so each side reads the subject's pages from disk.
With --latency MS both sides reach the big database through a loopback proxy that delays each
direction by MS milliseconds (a database on another host; bench/latency_proxy.py).
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import hmac
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from hashlib import sha256
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
import yaml
from latency_proxy import DelayProxy

from persondata.connectors.graph import DataMap
from persondata.connectors.sql import Systems
from persondata.connectors.walk import discover
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.dsr.access import access
from persondata.dsr.erase import erase
from persondata.identity import Hasher, make_identity
from persondata.policy.model import Policy
from persondata.testing import webshop

DB_NAME = "persondata_bench_dsr"
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
KEY = "bench-hash-key"

POLICY = """
version: 1
controller: {name: Bench ApS, country: DK, email: privacy@bench.example, languages: [en]}
purposes:
  sales: {name: Sales, basis: contract, categories: [user.name, user.contact],
          retention: 3 years after relationship_end}
  security: {name: Security, basis: legitimate_interest, interest: Abuse prevention,
             retention: 6 months after last_login}
systems:
  shop:
    url: ${BENCH_DB}
    tables:
      address: {primary_key: id, purposes: [sales], fields: {street: user.contact.address.street}}
      customer:
        primary_key: id
        identities: {email: email, phone: phone}
        references: {address_id: address.id}
        purposes: [sales]
        anchors: {relationship_end: closed_at}
        fields: {name: user.name, email: user.contact.email, phone: user.contact.phone_number,
                 birth_date: user.demographic.date_of_birth}
      orders:
        primary_key: id
        belongs_to: {customer_id: customer.id}
        purposes: [sales]
        fields:
          delivery_name: {category: user.name, erasure: "null"}
          order_email: {category: user.contact.email, erasure: hash}
      order_items:
        primary_key: id
        belongs_to: {order_id: orders.id}
        purposes: [sales]
        fields: {gift_message: {category: user.content.private, erasure: redact}}
      payment_card:
        primary_key: id
        belongs_to: {customer_id: customer.id}
        purposes: [sales]
        fields:
          card_number: {category: user.financial.credit_card, erasure: mask, keep_last: 4}
          holder_name: {category: user.name, erasure: "null"}
          expires_on: {category: user.financial.credit_card, erasure: generalize}
      login:
        primary_key: id
        belongs_to: {customer_id: customer.id}
        purposes: [security]
        anchors: {last_login: last_login_at}
        fields: {username: user.account.username, last_ip: user.device.ip_address}
"""


def load(conn: psycopg.Connection[Any], customers: int) -> dict[str, int]:
    """Create the 6 tables and fill them with generate_series; returns the row counts."""
    n = customers
    steps = [
        "SET synchronous_commit = off",
        "CREATE TABLE address (id bigint PRIMARY KEY, street text, postcode text, city text)",
        f"INSERT INTO address SELECT g, 'Street ' || g, lpad((1000 + g % 8000)::text, 4, '0'),"
        f" 'City ' || (g % 500) FROM generate_series(1, {n // 2}) g",
        "CREATE TABLE customer (id bigint PRIMARY KEY, email text, phone text, name text, birth_date date,"
        " address_id bigint, restricted boolean NOT NULL DEFAULT false, closed_at timestamp)",
        f"INSERT INTO customer SELECT g, 'c' || g || '@example.dk', '+45' || (26000000 + g),"
        f" 'Customer ' || g, date '1950-01-01' + (g % 20000), (g + 1) / 2, false, NULL"
        f" FROM generate_series(1, {n}) g",
        "CREATE TABLE orders (id bigint PRIMARY KEY, customer_id bigint, ordered_at timestamp NOT NULL,"
        " delivery_name text, order_email text, total numeric(10,2) NOT NULL)",
        f"INSERT INTO orders SELECT g, (g + 3) / 4, timestamp '2020-01-01' + g * interval '10 seconds',"
        f" 'Customer ' || ((g + 3) / 4), 'c' || ((g + 3) / 4) || '@example.dk', (g % 1000) + 0.5"
        f" FROM generate_series(1, {4 * n}) g",
        "CREATE TABLE order_items (id bigint PRIMARY KEY, order_id bigint NOT NULL, product text NOT NULL,"
        " qty int NOT NULL, gift_message text)",
        f"INSERT INTO order_items SELECT g, (g + 2) / 3, 'Product ' || (g % 5000), 1 + g % 4,"
        f" CASE WHEN g % 10 = 0 THEN 'Happy birthday' END FROM generate_series(1, {12 * n}) g",
        "CREATE TABLE payment_card (id bigint PRIMARY KEY, customer_id bigint, card_number text NOT NULL,"
        " holder_name text, expires_on date)",
        f"INSERT INTO payment_card SELECT g, g, '4571' || lpad(g::text, 12, '0'), 'CUSTOMER ' || g,"
        f" date '2026-01-31' + (g % 1500) FROM generate_series(1, {n}) g",
        "CREATE TABLE login (id bigint PRIMARY KEY, customer_id bigint NOT NULL, username text NOT NULL,"
        " last_ip text, last_login_at timestamp)",
        f"INSERT INTO login SELECT g, CASE WHEN g <= {n} THEN g ELSE (g - {n}) * 2 END, 'user' || g,"
        f" '192.0.2.' || (g % 250), timestamp '2025-01-01' + g * interval '1 second'"
        f" FROM generate_series(1, {n + n // 2}) g",
        "CREATE UNIQUE INDEX ix_customer_email ON customer (email)",
        "CREATE INDEX ix_customer_email_lower ON customer (lower(email))",  # e-mail is matched lower-cased
        "CREATE INDEX ix_customer_phone ON customer (phone)",
        "CREATE INDEX ix_orders_customer_id ON orders (customer_id)",
        "CREATE INDEX ix_order_items_order_id ON order_items (order_id)",
        "CREATE INDEX ix_payment_card_customer_id ON payment_card (customer_id)",
        "CREATE INDEX ix_login_customer_id ON login (customer_id)",
        "ALTER TABLE customer ADD FOREIGN KEY (address_id) REFERENCES address (id) NOT VALID",
        "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customer (id) NOT VALID",
        "ALTER TABLE order_items ADD FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID",
        "ALTER TABLE payment_card ADD FOREIGN KEY (customer_id) REFERENCES customer (id) NOT VALID",
        "ALTER TABLE login ADD FOREIGN KEY (customer_id) REFERENCES customer (id) NOT VALID",
        "VACUUM ANALYZE",
    ]
    for sql in steps:
        started = time.perf_counter()
        conn.execute(sql)
        print(f"  {time.perf_counter() - started:7.1f} s  {sql.split('(')[0][:70]}", flush=True)
    tables = ("address", "customer", "orders", "order_items", "payment_card", "login")
    return {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in tables}  # type: ignore[index]


def _files(conn: psycopg.Connection[Any]) -> tuple[str, list[str]]:
    """PostgreSQL's data directory and the files of the company database's tables and indexes."""
    datadir = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
    rels = conn.execute("SELECT pg_relation_filepath(c.oid) FROM pg_class c JOIN pg_namespace n"
                        " ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')")
    return datadir, [f for (rel,) in rels for f in glob.glob(os.path.join(datadir, rel) + "*")]


_LOCKED: list[tuple[int, int]] = []  # (address, length) of the files locked in memory


def prewarm(conn: psycopg.Connection[Any]) -> None:
    """Read every table and index into the OS page cache (pg_prewarm), so that no run waits for the
    disk: the same regime for both sides, whatever ran on the machine before.

    Some virtual machines hand the guest's page cache back to the host within seconds (seen on a
    2-vCPU Firecracker VM: 20-35 % of a table's pages gone 20 s after reading it), so the files are
    also mapped and locked in memory (mlock) for the rest of the run where the data directory is
    readable; otherwise the run says the cache may not hold."""
    conn.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
    started = time.perf_counter()
    pages = conn.execute("SELECT sum(pg_prewarm(c.oid, 'read')) FROM pg_class c JOIN pg_namespace n"
                         " ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"
                         ).fetchone()[0]  # type: ignore[index]
    print(f"prewarmed {pages:,} pages into the OS cache in {time.perf_counter() - started:.1f} s", flush=True)
    datadir, files = _files(conn)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int,
                          ctypes.c_long]
    libc.mlock.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    locked = 0
    for f in files:
        try:
            fd = os.open(f, os.O_RDONLY)
        except PermissionError:
            print(f"  cannot read {datadir}: pages are not locked in memory and may leave the cache")
            return
        size = os.fstat(fd).st_size
        if size:
            addr = libc.mmap(None, size, 1, 1, fd, 0)  # PROT_READ, MAP_SHARED
            if addr in (None, ctypes.c_void_p(-1).value) or libc.mlock(addr, size) != 0:
                os.close(fd)
                print(f"  mlock failed ({os.strerror(ctypes.get_errno())}): pages may leave the cache")
                return
            _LOCKED.append((addr, size))
            locked += size
        os.close(fd)  # the mapping keeps the pages
    print(f"locked {locked / 2**20:,.0f} MB of table and index files in memory", flush=True)


def hand_access(conn: psycopg.Connection[Any], email: str) -> int:
    """Hand-written indexed SQL reading the same rows as an access request."""
    with conn.transaction():
        conn.execute("SET TRANSACTION READ ONLY")
        cur = conn.cursor(row_factory=psycopg.rows.dict_row)
        customer = cur.execute("SELECT * FROM customer WHERE email = %s", (email,)).fetchall()
        cid, aid = customer[0]["id"], customer[0]["address_id"]
        orders = cur.execute("SELECT * FROM orders WHERE customer_id = %s", (cid,)).fetchall()
        items = cur.execute("SELECT * FROM order_items WHERE order_id = ANY(%s)",
                            ([o["id"] for o in orders],)).fetchall()
        cards = cur.execute("SELECT * FROM payment_card WHERE customer_id = %s", (cid,)).fetchall()
        logins = cur.execute("SELECT * FROM login WHERE customer_id = %s", (cid,)).fetchall()
        address = cur.execute("SELECT * FROM address WHERE id = %s", (aid,)).fetchall()
    return len(customer) + len(orders) + len(items) + len(cards) + len(logins) + len(address)


def hand_erase(conn: psycopg.Connection[Any], email: str) -> int:
    """Hand-written indexed SQL making the same changes as an erasure request, in one transaction."""
    key = KEY.encode()
    with conn.transaction():
        cid = conn.execute("SELECT id FROM customer WHERE email = %s", (email,)).fetchone()[0]  # type: ignore[index]
        orders = conn.execute("SELECT id, order_email FROM orders WHERE customer_id = %s", (cid,)).fetchall()
        ids = [o[0] for o in orders]
        n = conn.execute("UPDATE order_items SET gift_message = '[redacted]' WHERE order_id = ANY(%s)"
                         " AND gift_message IS NOT NULL", (ids,)).rowcount
        hashes = [(o[0], hmac.new(key, o[1].encode(), sha256).hexdigest()) for o in orders]
        with conn.cursor() as cur:
            cur.executemany("UPDATE orders SET delivery_name = NULL, customer_id = NULL, order_email = %s"
                            " WHERE id = %s", [(h, i) for i, h in hashes])
        n += len(hashes)
        n += conn.execute("UPDATE payment_card SET card_number = repeat('*', length(card_number) - 4)"
                          " || right(card_number, 4), holder_name = NULL,"
                          " expires_on = date_trunc('year', expires_on)::date, customer_id = NULL"
                          " WHERE customer_id = %s", (cid,)).rowcount
        n += conn.execute("DELETE FROM login WHERE customer_id = %s", (cid,)).rowcount
        n += conn.execute("DELETE FROM customer WHERE id = %s", (cid,)).rowcount
    return n


def median_ms(samples: list[float]) -> float:
    """The median in milliseconds."""
    return statistics.median(samples) * 1000


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call takes."""
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def evictor(conn: psycopg.Connection[Any]) -> Callable[[], None]:
    """A function that drops the company database's files from the OS page cache (posix_fadvise
    DONTNEED on every table and index file; needs read access to PostgreSQL's data directory)."""
    datadir, files = _files(conn)
    try:
        fds = [os.open(f, os.O_RDONLY) for f in files]
    except PermissionError as exc:
        raise SystemExit(f"--cold needs read access to {datadir} ({exc}); run as root or postgres") from exc

    def evict() -> None:
        for fd in fds:
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)

    return evict


def at_scale(url: str, dsn: str, runs: int, workdir: Path, customers: int,
             cold: bool = False) -> dict[str, float]:
    """Access and erasure: ours (with and without identity expansion) vs hand-written, interleaved."""
    policy = Policy.model_validate(yaml.safe_load(POLICY))
    hasher = Hasher(KEY)
    state = Database(f"sqlite:///{workdir / 'state.db'}")
    upgrade(state)
    systems = Systems(policy, {"BENCH_DB": url})
    out: dict[str, list[float]] = {}

    def ours_access(email: str, expand: bool = True) -> None:
        with state.transaction() as s:
            r = access(s, policy, [make_identity("email", email)], hasher=hasher, actor="bench",
                       systems=systems, expand=expand)
        assert r.row_count == 19, r.row_count  # customer, 4 orders, 12 items, card, 1 login (odd id)

    def find_only(email: str) -> None:
        # The company-database part of access alone: the same lookups as the hand-written SQL,
        # no identity expansion, no state transaction (restriction check, audit), no Art. 15.
        found = discover(DataMap.of(policy), systems.get, [make_identity("email", email)], expand=False)
        assert found.row_count() == 19, found.row_count()

    def ours_erase(email: str, expand: bool = True) -> None:
        with state.transaction() as s:
            r = erase(s, policy, [make_identity("email", email)], hasher=hasher, actor="bench",
                      systems=systems, expand=expand)
        assert r.complete and r.totals["deleted"] == 2, r.totals

    with psycopg.connect(dsn) as conn:
        evict = evictor(conn) if cold else (lambda: None)
        for i in range(5):  # warm-up
            ours_access(f"c{2 * i + 1}@example.dk")
            hand_access(conn, f"c{2 * i + 1}@example.dk")
        # Every measurement gets a subject of its own (a subject is looked up once, not twice:
        # the second lookup would find its pages cached), and the sides take turns going first.
        picked = conn.execute("SELECT (id - 1) / 2 FROM customer WHERE id %% 2 = 1 AND email IS NOT NULL"
                              " AND id > 10 ORDER BY random() LIMIT %s",  # not the warm-up's subjects
                              (7 * runs,)).fetchall()
        pool = iter(int(r[0]) for r in picked)
        sides: dict[str, list[tuple[str, Callable[[str], object]]]] = {
            "access": [("ours", ours_access), ("ours_noexpand", lambda e: ours_access(e, False)),
                       ("find", find_only), ("hand", lambda e: hand_access(conn, e))],
            "erase": [("ours", ours_erase), ("ours_noexpand", lambda e: ours_erase(e, False)),
                      ("hand", lambda e: hand_erase(conn, e))],
        }
        for op, order in sides.items():
            for i in range(runs):
                turn = order[i % len(order):] + order[: i % len(order)]
                for side, fn in turn:
                    email = f"c{2 * next(pool) + 1}@example.dk"
                    evict()
                    out.setdefault(f"{side}_{op}", []).append(timed(lambda f=fn, e=email: f(e)))  # type: ignore[misc]
    systems.close()
    state.dispose()
    return {k: median_ms(v) for k, v in out.items()}


def warm_small(pg_url: str, runs: int, workdir: Path) -> dict[str, float]:
    """Warm latency of access and erasure on the small webshop (rows restored before each erasure)."""
    shop = webshop.webshop_policy()
    env = {"SHOP_DB": pg_url, "SUPPORT_DB": pg_url}  # both systems in one PostgreSQL database
    engine = sa.create_engine(pg_url)
    hasher = Hasher(KEY)
    state = Database(f"sqlite:///{workdir / 'small-state.db'}")
    upgrade(state)
    systems = Systems(shop, env)
    jane = make_identity("email", "jane@example.dk")

    def rebuild() -> None:
        # Same tables, fresh rows (so catalogs and plans stay warm, as on a live system).
        for md, rows in ((webshop.shop_metadata(), webshop.SHOP_ROWS),
                         (webshop.support_metadata(), webshop.SUPPORT_ROWS)):
            with engine.begin() as c:
                for table in reversed(md.sorted_tables):
                    c.execute(table.delete())
                for table in md.sorted_tables:
                    c.execute(table.insert(), rows[table.name])

    webshop.build_shop(pg_url)
    webshop.build_support(pg_url)
    times: dict[str, list[float]] = {"access": [], "erase": []}
    for i in range(runs + 5):
        started = time.perf_counter()
        with state.transaction() as s:
            access(s, shop, [jane], hasher=hasher, actor="bench", systems=systems, now=webshop.NOW)
        if i >= 5:
            times["access"].append(time.perf_counter() - started)
    for i in range(runs + 5):
        rebuild()
        started = time.perf_counter()
        with state.transaction() as s:
            r = erase(s, shop, [jane], hasher=hasher, actor="bench", systems=systems, now=webshop.NOW)
        elapsed = time.perf_counter() - started
        assert r.complete and r.totals["deleted"] == 3, r.totals
        if i >= 5:
            times["erase"].append(elapsed)
    systems.close()
    engine.dispose()
    state.dispose()
    return {k: median_ms(v) for k, v in times.items()}


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the big database afterwards")
    parser.add_argument("--reuse", action="store_true",
                        help="use the kept database (erasure picks other random subjects)")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument("--skip-small", action="store_true")
    parser.add_argument("--latency", type=float, default=0.0, metavar="MS",
                        help="reach the big database through a proxy that adds MS milliseconds each way")
    parser.add_argument("--cold", action="store_true",
                        help="drop the company database's files from the OS cache before every measured call "
                             "(needs read access to PostgreSQL's data directory)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="pd-bench-dsr-"))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{DB_NAME}"
    dsn = f"host=127.0.0.1 port=5432 user=postgres dbname={DB_NAME}"
    if not args.skip_scale:
        if not args.reuse:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{DB_NAME}"')
            print(f"loading {args.customers:,} customers ...", flush=True)
            started = time.perf_counter()
            with psycopg.connect(dsn, autocommit=True) as conn:
                counts = load(conn, args.customers)
            print(f"loaded {sum(counts.values()):,} rows in {time.perf_counter() - started:.0f} s: {counts}")
        with psycopg.connect(dsn, autocommit=True) as conn:  # a database kept by an older version
            conn.execute("CREATE INDEX IF NOT EXISTS ix_customer_email_lower ON customer (lower(email))")
            if not args.cold:
                prewarm(conn)
        with ExitStack() as stack:
            if args.latency:
                port = stack.enter_context(DelayProxy("127.0.0.1", 5432, args.latency))
                url, dsn = url.replace(":5432/", f":{port}/"), dsn.replace("port=5432", f"port={port}")
            scale = at_scale(url, dsn, args.runs, workdir, args.customers, args.cold)
        away = f", {args.latency:g} ms each way" if args.latency else ""
        print(f"at scale (median of {args.runs}, {'from disk' if args.cold else 'from the OS cache'}{away}):")
        for op in ("access", "erase"):
            ours, flat, hand = scale[f"ours_{op}"], scale[f"ours_noexpand_{op}"], scale[f"hand_{op}"]
            print(f"  {op:7s} ours {ours:7.2f} ms ({ours / hand:4.2f}x)   ours without identity expansion "
                  f"{flat:7.2f} ms ({flat / hand:4.2f}x)   hand-written {hand:7.2f} ms")
        find = scale["find_access"]
        print(f"  finding the subject's rows alone (access without expansion, state or Art. 15): "
              f"{find:.2f} ms ({find / scale['hand_access']:4.2f}x)")
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
    if args.skip_small:
        return
    from persondata.testing.databases import postgres_database

    with postgres_database("pdbench") as small_url:
        small = warm_small(small_url, args.runs, workdir)
    print(f"small webshop, warm (median of {args.runs}): access {small['access']:.1f} ms, "
          f"erase {small['erase']:.1f} ms")


if __name__ == "__main__":
    main()
