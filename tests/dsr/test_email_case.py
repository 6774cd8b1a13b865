"""E-mail identities match whatever the case of the stored address, on every engine, by index."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from persondata.connectors import engines
from persondata.connectors.checks import check_systems
from persondata.connectors.graph import TableRef
from persondata.connectors.sql import quiet_reflection
from persondata.connectors.walk import discover
from persondata.db.engine import Database
from persondata.dsr.access import access
from persondata.dsr.erase import erase
from persondata.identity import Hasher, Identity, make_identity
from persondata.testing.webshop import NOW, Shop

OLE = make_identity("email", "ole@example.dk")


def _set(shop: Shop, sql: str) -> None:
    engine = sa.create_engine(shop.shop_url)
    with engine.begin() as c:
        c.execute(sa.text(sql))
    engine.dispose()


def _customers(shop: Shop) -> dict[int, str]:
    engine = sa.create_engine(shop.shop_url)
    with engine.connect() as c:
        found = {r.id: r.email for r in c.execute(sa.text("SELECT id, email FROM customer"))}
    engine.dispose()
    return found


def test_access_and_erasure_find_a_mixed_case_address(shop: Shop, state: Database, hasher: Hasher) -> None:
    _set(shop, "UPDATE customer SET email = 'Ole@Example.DK' WHERE id = 3")
    with state.transaction() as session:
        result = access(session, shop.policy, [OLE], hasher=hasher, actor="test", now=NOW, env=shop.env)
    tables = {t.name: t for t in result.tables}
    assert [r["email"] for r in tables["shop.customer"].rows] == ["Ole@Example.DK"]
    assert [r["id"] for r in tables["shop.orders"].rows] == [13]
    with state.transaction() as session:
        erase(session, shop.policy, [OLE], hasher=hasher, actor="dpo", now=NOW, env=shop.env)
    assert 3 not in _customers(shop)
    assert set(_customers(shop)) == {1, 2}


def test_expansion_normalises_addresses_found_in_rows(shop: Shop) -> None:
    _set(shop, "UPDATE customer SET email = 'Jane@Example.DK' WHERE id = 1")
    with shop.systems() as sy:
        found = discover(shop.datamap(), sy.get, [make_identity("phone", "+4520123456")])
    assert Identity("email", "jane@example.dk") in found.identities
    customer = found.tables[TableRef("shop", "customer")]
    assert customer.reach[1] == "identity"


@contextmanager
def _without_lower_index(shop: Shop) -> Iterator[str]:
    engine = sa.create_engine(shop.shop_url)
    dialect = engine.dialect.name
    if dialect in ("sqlite", "postgresql"):
        with engine.begin() as c:
            c.execute(sa.text("DROP INDEX ix_customer_email_lower"))
    try:
        yield dialect
    finally:
        if dialect in ("sqlite", "postgresql"):
            with engine.begin() as c:  # the database is shared with later tests
                c.execute(sa.text("CREATE INDEX ix_customer_email_lower ON customer (lower(email))"))
        engine.dispose()


def test_check_systems_asks_for_an_index_on_lower_email(shop: Shop) -> None:
    assert check_systems(shop.policy, shop.env) == []  # plain index on MariaDB, lower(email) elsewhere
    with _without_lower_index(shop) as dialect:
        problems = check_systems(shop.policy, shop.env)
    if dialect == "mysql":
        assert problems == []  # its default collation ignores case: the plain index serves
        return
    [problem] = problems
    assert problem.severity == "warning" and "e-mail identity column 'email'" in problem.message
    unquoted = problem.message.replace('"', "")
    assert "CREATE INDEX ix_customer_email_lower ON customer (lower(email))" in unquoted


def test_a_case_sensitive_mariadb_collation_is_compared_lower_cased(shop: Shop, state: Database,
                                                                     hasher: Hasher) -> None:
    engine = sa.create_engine(shop.shop_url)
    if engine.dialect.name != "mysql":
        engine.dispose()
        return  # PostgreSQL and SQLite always compare lower(email): the test above
    with engine.begin() as c:
        before = c.execute(sa.text(
            "SELECT collation_name FROM information_schema.columns WHERE table_schema = DATABASE()"
            " AND table_name = 'customer' AND column_name = 'email'")).scalar_one()
        c.execute(sa.text("ALTER TABLE customer MODIFY email VARCHAR(200) COLLATE utf8mb4_bin"))
    engines.clear()  # the schema changed under the same URL: reflect it again
    try:
        _set(shop, "UPDATE customer SET email = 'Ole@Example.DK' WHERE id = 3")
        with state.transaction() as session:
            result = access(session, shop.policy, [OLE], hasher=hasher, actor="test", now=NOW, env=shop.env)
        rows = {t.name: t for t in result.tables}["shop.customer"].rows
        assert [r["email"] for r in rows] == ["Ole@Example.DK"]
        with shop.systems() as sy, quiet_reflection():
            assert sy.get("shop").folded("customer") == {"email"}
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f"ALTER TABLE customer MODIFY email VARCHAR(200) COLLATE {before}"))
        engines.clear()
        engine.dispose()
