"""The data map graph and the walk that finds one subject's rows across systems."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from persondata.connectors.found import Discovery
from persondata.connectors.graph import DataMap, TableRef
from persondata.connectors.protocol import DataMapError
from persondata.connectors.spellings import variants
from persondata.connectors.sql import Systems
from persondata.connectors.walk import discover
from persondata.identity import Identity, make_identity
from persondata.policy.model import Policy
from persondata.testing.webshop import Shop, webshop_policy

JANE = make_identity("email", "jane@example.dk")


def test_order_puts_owners_first_and_erase_order_children_first() -> None:
    dm = DataMap(webshop_policy())
    order = [r.table for r in dm.order("shop")]
    for child, parent in [("orders", "customer"), ("order_items", "orders"), ("invoice", "customer"),
                          ("login", "customer"), ("payment_card", "customer")]:
        assert order.index(parent) < order.index(child)
    assert [r.table for r in dm.erase_order("shop")] == list(reversed(order))
    owned, referenced = dm.reachable()
    assert TableRef("shop", "order_items") in owned
    assert referenced == {TableRef("shop", "address")}


def _cyclic(url: str) -> Policy:
    return Policy.model_validate(yaml.safe_load(f"""
controller: {{name: X, country: DK, email: x@example.dk}}
systems:
  app:
    url: "{url}"
    tables:
      person: {{primary_key: id, identities: {{email: email}}}}
      team: {{primary_key: id, belongs_to: {{lead_id: member.id}}}}
      member: {{primary_key: id, belongs_to: {{person_id: person.id, team_id: team.id}}}}
"""))


def test_cycles_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cyc.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TABLE person (id INTEGER PRIMARY KEY, email TEXT)")
        c.exec_driver_sql("CREATE TABLE team (id INTEGER PRIMARY KEY, lead_id INTEGER)")
        c.exec_driver_sql("CREATE TABLE member (id INTEGER PRIMARY KEY, person_id INTEGER, team_id INTEGER)")
        c.exec_driver_sql("INSERT INTO person VALUES (1, 'a@example.dk'), (2, 'b@example.dk')")
        c.exec_driver_sql("INSERT INTO member VALUES (10, 1, 100), (11, 2, 100), (12, 2, 101)")
        c.exec_driver_sql("INSERT INTO team VALUES (100, 10), (101, 11)")
    engine.dispose()
    policy = _cyclic(url)
    dm = DataMap(policy)
    assert len(dm.order("app")) == 3
    with Systems(policy) as systems:
        found = discover(dm, systems.get, [make_identity("email", "a@example.dk")])
    rows = {str(r): sorted(t.rows) for r, t in found.tables.items()}
    # person 1 -> member 10 -> team 100 (led by 10) -> members 10, 11 of team 100 -> team 101
    # (led by 11) -> member 12 -> team 101 again: every row once, and the walk ends.
    assert rows == {"app.person": [1], "app.member": [10, 11, 12], "app.team": [100, 101]}


def test_unknown_edge_target_is_an_error() -> None:
    raw = yaml.safe_load(webshop_policy().model_dump_json())
    raw["systems"]["shop"]["tables"]["orders"]["belongs_to"] = {"customer_id": "client.id"}
    with pytest.raises(DataMapError, match=r"orders\.belongs_to\.customer_id: table 'client'"):
        DataMap(Policy.model_validate(raw))


def test_phone_variants() -> None:
    assert variants(Identity("phone", "+4520123456")) == {
        "+4520123456", "4520123456", "004520123456", "20123456", "20 12 34 56", "+45 20 12 34 56"}
    assert variants(Identity("email", "a@b.dk")) == {"a@b.dk"}


def test_subject_found_across_systems_and_levels(shop: Shop) -> None:
    with shop.systems() as systems:
        found = discover(shop.datamap(), systems.get, [JANE])
    rows = {str(r): sorted(t.rows) for r, t in found.tables.items()}
    assert rows == {
        "shop.customer": [1], "shop.orders": [10, 11], "shop.order_items": [100, 101, 102],
        "shop.payment_card": [20], "shop.login": [30], "shop.invoice": [40, 41],
        "support.ticket": [1],  # by the phone on her customer row, in another system
    }
    assert {str(r): sorted(t.rows) for r, t in found.references.items()} == {"shop.address": [1]}
    assert [str(i) for i in found.identities] == ["customer_no=1001", "email=jane@example.dk",
                                                  "phone=+4520123456"]
    customer = found.tables[TableRef("shop", "customer")]
    assert customer.reach[1] == "identity"
    assert found.tables[TableRef("shop", "order_items")].reach[100] == "owned"
    # 6 tables in the first pass, customer and ticket by the new identities, 1 reference.
    assert found.queries == 9
    assert found.passes == 2


def test_ahead_is_given_what_was_found_before_each_expansion_pass(shop: Shop) -> None:
    seen: list[Discovery] = []
    with shop.systems() as systems:
        found = discover(shop.datamap(), systems.get, [JANE], ahead=seen.append)
    [before] = seen  # one expansion pass
    assert TableRef("support", "ticket") not in before.tables  # that pass finds her ticket by phone
    assert [str(i) for i in before.identities] == [str(i) for i in found.identities]
    assert not found.same_finds(before)
    sa_engine = sa.create_engine(shop.support_url)
    with sa_engine.begin() as c:
        c.execute(sa.text("DELETE FROM ticket WHERE id = 1"))
    sa_engine.dispose()
    with shop.systems() as systems:
        again = discover(shop.datamap(), systems.get, [JANE], ahead=seen.append)
    assert len(seen) == 2 and again.same_finds(seen[1])  # the expansion pass found nothing new
    assert sorted(seen[1].tables[TableRef("shop", "orders")].rows) == [10, 11]


def test_without_expansion_only_the_given_identity(shop: Shop) -> None:
    with shop.systems() as systems:
        found = discover(shop.datamap(), systems.get, [JANE], expand=False)
    assert TableRef("support", "ticket") not in found.tables
    assert [str(i) for i in found.identities] == ["email=jane@example.dk"]


def test_found_by_phone_in_any_spelling(shop: Shop) -> None:
    with shop.systems() as systems:
        found = discover(shop.datamap(), systems.get, [make_identity("phone", "+45 20123456")])
    assert sorted(found.tables[TableRef("shop", "customer")].rows) == [1]  # stored as "20 12 34 56"
    assert sorted(found.tables[TableRef("support", "ticket")].rows) == [1]  # stored as +4520123456


def test_shared_address_is_a_reference_for_both(shop: Shop) -> None:
    with shop.systems() as systems:
        john = discover(shop.datamap(), systems.get, [make_identity("email", "john@example.dk")])
        nobody = discover(shop.datamap(), systems.get, [make_identity("email", "nobody@example.dk")])
    assert sorted(john.references[TableRef("shop", "address")].rows) == [1]
    assert TableRef("shop", "address") not in john.tables
    assert sorted(john.tables[TableRef("support", "ticket")].rows) == [2]
    assert nobody.tables == {} and nobody.references == {} and nobody.round_trips == 1
    # PostgreSQL: every table (6) and the address by reference, by subquery, sent together.
    assert nobody.queries == (7 if shop.shop_url.startswith("postgresql") else 1)


def test_custom_integer_identity(shop: Shop) -> None:
    with shop.systems() as systems:
        found = discover(shop.datamap(), systems.get, [make_identity("customer_no", "1003")])
    assert sorted(found.tables[TableRef("shop", "customer")].rows) == [3]
    assert sorted(found.tables[TableRef("shop", "orders")].rows) == [13]
