"""The SQL connector on SQLite, PostgreSQL and MariaDB: reflection, batching, binding, quoting, read-only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from persondata.connectors.protocol import Condition, DataMapError, Guard, Lookup, StaleFinds, Via, Write
from persondata.connectors.sql import SqlConnector, Systems
from persondata.errors import InputError, SystemFailure
from persondata.policy.model import Policy
from persondata.testing.webshop import Shop, build_support, reset_shop, webshop_policy


@contextmanager
def counting(connector: SqlConnector) -> Iterator[list[str]]:
    """Collect the SQL statements a connector sends (on PostgreSQL where they leave for psycopg:
    batches of a session that manages its transaction go to libpq through `pg_pipeline`, the rest
    to psycopg's cursors; SQLAlchemy sees neither)."""
    statements: list[str] = []
    if connector.dialect == "postgresql":
        import psycopg

        from persondata.connectors import pg_pipeline

        original, run = psycopg.Cursor.execute, pg_pipeline.run

        def execute(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
            statements.append(str(query))
            return original(self, query, *args, **kwargs)

        def pipeline(raw: Any, batch: Any, *, begin: str | None = None, commit: bool = False,
                     meanwhile: Any = None) -> Any:
            statements.extend([*([begin] if begin else []), *(sql for sql, _ in batch),
                               *(["COMMIT"] if commit else [])])
            return run(raw, batch, begin=begin, commit=commit, meanwhile=meanwhile)

        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        pg_pipeline.run = pipeline  # type: ignore[assignment]
        try:
            yield statements
        finally:
            psycopg.Cursor.execute = original  # type: ignore[method-assign]
            pg_pipeline.run = run
        return

    def listener(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    sa.event.listen(connector.engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        sa.event.remove(connector.engine, "before_cursor_execute", listener)


def test_tables_are_reflected_once_and_cached(shop: Shop) -> None:
    with shop.systems() as systems:
        conn = systems.get("shop")
        first = conn.table("customer")
        with counting(conn) as statements:
            assert conn.table("customer") is first
            assert conn.table("invoice") is not None  # reflected in the same first pass
            assert conn.columns("customer")["email"].is_text
        assert statements == []
        assert systems.get("shop") is conn


def test_fetch_uses_one_query_per_thousand_values(shop: Shop) -> None:
    with shop.systems() as systems:
        conn = systems.get("shop")
        conn.table("customer")
        wanted = [f"nobody{i}@example.dk" for i in range(2500)] + ["jane@example.dk"]
        with counting(conn) as statements, conn.session() as s:
            rows = s.fetch("customer", {"email": wanted, "phone": ["+4531313131"]})
        selects = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
        assert len(selects) == 3  # 2,502 values in chunks of 1,000
        assert sorted(r["name"] for r in rows) == ["Jane Jensen", "John Jensen"]


def test_values_are_bound_never_pasted(shop: Shop) -> None:
    hostile = "x' OR '1'='1"
    with shop.systems() as systems:
        conn = systems.get("shop")
        with conn.session() as s:
            assert s.fetch("customer", {"email": [hostile]}) == []
        with conn.session(write=True) as s:
            assert s.update("customer", [1], {"name": hostile}) == 1
        with conn.session() as s:
            assert [r["name"] for r in s.fetch_keys("customer", [1])] == [hostile]
            assert len(s.scan("customer")) == 3


def test_identifiers_are_quoted(company_url: str) -> None:
    md = sa.MetaData()
    sa.Table("order", md, sa.Column("select", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("from", sa.String(50)))
    engine = sa.create_engine(company_url)
    with engine.begin() as c:
        md.create_all(c)
        c.execute(md.tables["order"].insert(), [{"select": 1, "from": "a"}, {"select": 2, "from": "b"}])
    engine.dispose()
    conn = SqlConnector("odd", company_url)
    try:
        with conn.session(write=True) as s:
            assert s.delete("order", [1]) == 1
        with conn.session() as s:
            assert s.fetch("order", {"from": ["a", "b"]}) == [{"select": 2, "from": "b"}]
    finally:
        conn.dispose()


def test_integer_identity_is_matched_from_text(shop: Shop) -> None:
    with shop.systems() as systems, systems.get("shop").session() as s:
        rows = s.fetch("customer", {"customer_no": ["1002", "not-a-number"]})
    assert [r["email"] for r in rows] == ["john@example.dk"]


def test_read_session_never_writes(shop: Shop) -> None:
    with shop.systems() as systems:
        conn = systems.get("shop")
        if conn.dialect in ("postgresql", "mysql"):
            with pytest.raises(SystemFailure, match=r"(?i)read.only"), conn.session() as s:
                s.update("customer", [1], {"name": "changed"})
        else:  # SQLite: a read is rolled back, so nothing it did can stay
            with conn.session() as s:
                s.update("customer", [1], {"name": "changed"})
        with conn.session() as s:
            assert s.fetch_keys("customer", [1])[0]["name"] == "Jane Jensen"


def test_write_session_rolls_back_on_error(shop: Shop) -> None:
    with shop.systems() as systems:
        conn = systems.get("shop")
        with pytest.raises(SystemFailure), conn.session(write=True) as s:
            s.update("customer", [1], {"name": "half"})
            s.delete("customer", [2])  # orders, invoice and login still point at John
        with conn.session() as s:
            assert {r["name"] for r in s.fetch_keys("customer", [1, 2])} == {"Jane Jensen", "John Jensen"}


def test_scan_pages_by_primary_key(shop: Shop) -> None:
    with shop.systems() as systems, systems.get("shop").session() as s:
        first = s.scan("order_items", [Condition("qty", ">=", 1)], limit=2)
        second = s.scan("order_items", [Condition("qty", ">=", 1)], after=first[-1]["id"], limit=2)
        nulls = s.scan("order_items", [Condition("gift_message", "null")], columns=["qty"])
    assert [r["id"] for r in first] == [100, 101]
    assert [r["id"] for r in second] == [102, 103]
    assert [r["id"] for r in nulls] == [101, 102, 103]
    assert set(nulls[0]) == {"id", "qty"}


def test_update_rows_sets_per_row_values(shop: Shop) -> None:
    with shop.systems() as systems:
        conn = systems.get("shop")
        with conn.session(write=True) as s:
            changes = [(100, {"qty": 7}), (101, {"qty": 8, "gift_message": "x"})]
            assert s.update_rows("order_items", changes) == 2
        with conn.session() as s:
            rows = {r["id"]: r for r in s.fetch_keys("order_items", [100, 101])}
    assert (rows[100]["qty"], rows[101]["qty"], rows[101]["gift_message"]) == (7, 8, "x")


def test_missing_table_and_column_are_named(shop: Shop) -> None:
    with shop.systems() as systems:
        conn = systems.get("shop")
        with pytest.raises(DataMapError, match="table nosuch does not exist"):
            conn.table("nosuch")
        with pytest.raises(DataMapError, match="customer has no column 'nope'"):
            conn.column("customer", "nope")


def _policy(url: str) -> Policy:
    return Policy.model_validate(yaml.safe_load(f"""
controller: {{name: X, country: DK, email: x@example.dk}}
systems:
  crm: {{url: "{url}", tables: {{person: {{primary_key: id}}}}}}
"""))


def test_unset_variable_and_unreachable_system(tmp_path: Path) -> None:
    with Systems(_policy("${CRM_URL}"), env={}) as systems, pytest.raises(InputError, match="CRM_URL"):
        systems.get("crm")
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    with Systems(_policy(url), env={}) as systems:
        with pytest.raises(SystemFailure, match="system crm: cannot reach"):
            systems.get("crm").table("person")
        with pytest.raises(InputError, match="no system 'other'"):
            systems.get("other")


def test_lookups_follow_parents_by_subquery(shop: Shop) -> None:
    jane = Lookup("customer", {"email": ["JANE@example.dk"]})  # e-mail matched whatever its case
    orders = Lookup("orders", {}, (Via("customer_id", jane, "id"),))
    items = Lookup("order_items", {"order_id": [12]}, (Via("order_id", orders, "id"),))
    shared = Lookup("address", {}, (Via("id", jane, "address_id"),))
    with shop.systems() as systems, systems.get("shop").session() as s:
        rows = s.lookup([jane, orders, items, shared, Lookup("customer", {"email": ["nobody@example.dk"]})])
    ids = [sorted(r["id"] for r in found) for found in rows]
    assert ids == [[1], [10, 11], [100, 101, 102, 103], [1], []]
    assert items.statements() == 2  # the literal order id, and the chain through jane's orders


def test_writes_are_applied_in_order_with_their_counts(shop: Shop) -> None:
    hostile = "x' OR '1'='1"
    with shop.systems() as systems:
        conn = systems.get("shop")
        with conn.session(write=True) as s:
            done = s.write([
                Write("order_items", "update", [100, 104], {"gift_message": hostile}),
                Write("order_items", "update_rows",
                      changes=[(101, {"qty": 9}), (102, {"qty": 8, "product": "X"})]),
                Write("order_items", "delete", [103, 999]),
                Write("order_items", "delete", [104]),
            ])
        assert done == [2, 2, 1, 1]
        with conn.session() as s:
            rows = {r["id"]: r for r in s.fetch_keys("order_items", [100, 101, 102, 103, 104])}
    assert sorted(rows) == [100, 101, 102]
    assert (rows[100]["gift_message"], rows[101]["qty"], rows[102]["qty"], rows[102]["product"]) == (
        hostile, 9, 8, "X")


def test_a_failing_write_batch_changes_nothing(shop: Shop) -> None:
    with shop.systems() as systems:
        conn = systems.get("shop")
        with pytest.raises(SystemFailure), conn.session(write=True) as s:
            s.write([Write("customer", "update", [1], {"name": "half"}),
                     Write("customer", "delete", [2])])  # orders, invoice and login still point at John
        with conn.session() as s:
            assert {r["name"] for r in s.fetch_keys("customer", [1, 2])} == {"Jane Jensen", "John Jensen"}


def test_guards_go_first_and_stop_the_changes_when_they_find_more(shop: Shop) -> None:
    # Jane's phone is stored as "20 12 34 56"; customer 1 is the only row with it.
    by_phone = Lookup("customer", {"phone": ["20 12 34 56", "+4520123456"]})
    with shop.systems() as systems:
        conn = systems.get("shop")
        conn.columns("customer")  # reflected before counting
        with conn.session(write=True) as s, counting(conn) as sent:
            done = s.write([Write("customer", "update", [1], {"name": "Jane J."})],
                           guards=[Guard(by_phone, {1})])
        assert done == [1]
        if conn.dialect == "postgresql":  # the BEGIN and the guard went with the change
            assert len(sent) == 3 and sent[0] == "BEGIN" and "EXISTS" in sent[1]
        with pytest.raises(StaleFinds, match="system shop"), conn.session(write=True) as s:
            s.write([Write("customer", "update", [1], {"name": "changed"}), Write("login", "delete", [30])],
                    guards=[Guard(Lookup("customer", {"email": ["jane@example.dk"]}), {1}),
                            Guard(by_phone, {2})])
        with conn.session() as s:
            assert s.fetch_keys("customer", [1])[0]["name"] == "Jane J."  # nothing of the second batch
            assert [r["id"] for r in s.fetch_keys("login", [30])] == [30]


def test_values_that_look_like_array_syntax_match_exactly(shop: Shop) -> None:
    # On PostgreSQL a lookup's values go as one array parameter: quotes, backslashes, commas,
    # braces and the word NULL are values like any other.
    odd = ['a"b', "c\\d", "e,f", "{g}", "NULL", " h ", 'ø"\\,{}']
    with shop.systems() as systems:
        conn = systems.get("shop")
        with conn.session(write=True) as s:
            s.write([Write("customer", "update_rows", changes=[(1, {"name": odd[0]}), (2, {"name": odd[1]}),
                                                               (3, {"name": odd[6]})])])
        with conn.session() as s:
            def ids(values: list[str]) -> list[int]:
                return sorted(r["id"] for r in s.lookup([Lookup("customer", {"name": values})])[0])

            assert ids(odd) == [1, 2, 3]
            assert ids([odd[0]]) == [1] and ids([odd[6]]) == [3] and ids(["NULL", "{g}", "e,f"]) == []
            assert [len(r) for r in s.lookup([Lookup("orders", {"customer_id": [1, 3]})])] == [3]


def test_lookups_and_writes_name_a_missing_column(shop: Shop) -> None:
    with shop.systems() as systems:
        conn = systems.get("shop")
        missing = "customer has no column 'nope'"
        with conn.session() as s, pytest.raises(DataMapError, match=missing):
            s.lookup([Lookup("customer", {"nope": ["x"]})])
        with conn.session(write=True) as s, pytest.raises(DataMapError, match=missing):
            s.write([Write("customer", "update", [1], {"nope": "x"})])


def test_a_connection_lost_mid_lookup_is_replaced(pg_url: str, tmp_path: Path) -> None:
    # PostgreSQL only: there lookups go to psycopg directly, past SQLAlchemy's own error handling.
    reset_shop(pg_url)
    support = f"sqlite:///{tmp_path / 'support.db'}"
    build_support(support)
    shop = Shop(webshop_policy(), {"SHOP_DB": pg_url, "SUPPORT_DB": support}, pg_url, support)
    jane = [Lookup("customer", {"email": ["jane@example.dk"]}), Lookup("orders", {"customer_id": [1]})]
    with shop.systems() as systems:
        conn = systems.get("shop")
        with pytest.raises(SystemFailure, match="system shop"), conn.session() as s:
            pid = s.conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            killer = sa.create_engine(pg_url)
            try:
                with killer.connect() as other:
                    other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid or 0)})")
            finally:
                killer.dispose()
            s.lookup(jane)
        with conn.session() as s:  # the pool gives a new connection, not the dead one
            assert [len(rows) for rows in s.lookup(jane)] == [1, 2]


def _in_transaction(url: str, pid: int) -> bool:
    """Whether a PostgreSQL backend is inside a transaction, seen from another connection."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as other:
            state = other.exec_driver_sql("SELECT state FROM pg_stat_activity WHERE pid = %(pid)s",
                                          {"pid": int(pid)}).scalar()
    finally:
        engine.dispose()
    return str(state).startswith("idle in transaction")


def test_a_read_session_holds_no_transaction_between_batches(pg_url: str, tmp_path: Path) -> None:
    # PostgreSQL: each batch of lookups is its own read-only unit, so ending a read costs no
    # COMMIT round trip and a session kept open between batches holds no snapshot or locks.
    reset_shop(pg_url)
    connector = SqlConnector("shop", pg_url, webshop_policy().systems["shop"])
    try:
        with connector.session() as s:
            raw: Any = s.conn.connection.driver_connection
            assert [len(r) for r in s.lookup([Lookup("customer", {"email": ["JANE@example.dk"]})])] == [1]
            assert not _in_transaction(pg_url, raw.info.backend_pid)
            with pytest.raises(SystemFailure, match=r"(?i)read.only"):
                s.update("customer", [1], {"name": "changed"})  # anything else is still refused
            assert s.fetch_keys("customer", [1])[0]["name"] == "Jane Jensen"
    finally:
        connector.dispose()


def test_the_last_write_batch_carries_the_commit(shop: Shop) -> None:
    with shop.systems() as systems:
        conn = systems.get("shop")
        tx = conn.begin(write=True)
        try:
            assert tx.session.write([Write("customer", "update", [1], {"name": "Jane J."})], last=True) == [1]
            if conn.dialect == "postgresql":  # sent with the change: visible before commit() is called
                raw: Any = tx.conn.connection.driver_connection
                assert not _in_transaction(shop.shop_url, raw.info.backend_pid)
            tx.commit()  # harmless where the COMMIT went already
        finally:
            tx.close()
        with conn.session() as s:
            assert s.fetch_keys("customer", [1])[0]["name"] == "Jane J."
