"""Erasure where every system lives in one database: on PostgreSQL the search's last
identity-expansion pass then goes with the changes as guards when it would only search tables
searched before, and an erasure whose guards find more rows is made again from a full search
(on SQLite and MariaDB the search is complete before anything changes; the same outcomes hold)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.dsr.test_erase import OLE, by_table, rows, run

from persondata.audit import service as audit_service
from persondata.connectors.found import Discovery
from persondata.db.engine import Database
from persondata.dsr import erase as module
from persondata.identity import Hasher
from persondata.testing.databases import run_sql
from persondata.testing.webshop import Shop, build_support, reset_shop, webshop_policy


@pytest.fixture
def one_db(company_db: str) -> Shop:
    """The shop and its support system in the same database."""
    reset_shop(company_db)  # drops a ticket table left by an earlier test
    build_support(company_db)
    return Shop(webshop_policy(), {"SHOP_DB": company_db, "SUPPORT_DB": company_db}, company_db, company_db)


@pytest.fixture
def shop_only(shop: Shop) -> Shop:
    """The shop without its support system (whose tickets only a phone number reaches)."""
    policy = shop.policy.model_copy(update={"systems": {"shop": shop.policy.systems["shop"]}})
    return Shop(policy, shop.env, shop.shop_url, shop.support_url)


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bool, Discovery]]:
    """Each attempt at an erasure: whether it deferred expansion, and what its search found."""
    seen: list[tuple[bool, Discovery]] = []
    real_erase, real_discover = module._erase, module.discover
    defer: list[bool] = []

    def attempt(*args: Any, **kwargs: Any) -> Any:
        defer.append(kwargs["defer"])
        return real_erase(*args, **kwargs)

    def discover(*args: Any, **kwargs: Any) -> Discovery:
        found = real_discover(*args, **kwargs)
        seen.append((defer[-1], found))
        return found

    monkeypatch.setattr(module, "_erase", attempt)
    monkeypatch.setattr(module, "discover", discover)
    return seen


def _erasures(state: Database) -> list[tuple[str, str | None, dict[str, Any]]]:
    with state.transaction() as session:
        assert audit_service.verify(session).ok
        return [(e.action, e.target, json.loads(e.details)) for e in audit_service.tail(session, 20)
                if e.action.startswith("dsr.erase")]


def test_expansion_goes_with_the_changes_when_it_searches_tables_searched_before(
        shop_only: Shop, state: Database, hasher: Hasher, attempts: list[tuple[bool, Discovery]]) -> None:
    result = run(shop_only, state, hasher)  # her phone searches the customer table again
    assert result.complete
    assert by_table(result) == {
        "shop.customer": {"anonymised": 1}, "shop.invoice": {"deleted": 1, "held": 1},
        "shop.login": {"deleted": 1}, "shop.order_items": {"anonymised": 1}, "shop.orders": {"anonymised": 2},
        "shop.payment_card": {"anonymised": 1}, "shop.address": {"reported_only": 1}}
    [(deferred, found)] = attempts
    assert deferred
    pipelined = shop_only.shop_url.startswith("postgresql")
    assert sorted(found.guards) == (["shop"] if pipelined else [])
    assert found.passes == (1 if pipelined else 2)
    assert "phone=+4520123456" in result.identities
    assert rows(shop_only, "customer")[1]["email"] is None and 30 not in rows(shop_only, "login")
    assert [(a, t) for a, t, _ in _erasures(state)] == [("dsr.erase", "shop")]


def test_a_table_only_the_new_identity_reaches_is_searched_before_any_change(
        one_db: Shop, state: Database, hasher: Hasher, attempts: list[tuple[bool, Discovery]]) -> None:
    # Her ticket is found only by the phone on her customer row: that pass is not deferred.
    result = run(one_db, state, hasher)
    assert [(deferred, found.guards) for deferred, found in attempts] == [(True, {})]
    assert result.complete and by_table(result)["support.ticket"] == {"deleted": 1}
    assert result.totals == {"deleted": 3, "anonymised": 5, "held": 1, "reported_only": 1, "unchanged": 2}
    assert set(rows(one_db, "ticket")) == {2, 3}
    assert [(a, t) for a, t, _ in _erasures(state)] == [("dsr.erase", "shop"), ("dsr.erase", "support")]


def test_an_outcome_recorded_ahead_is_taken_back_when_a_guard_finds_more(
        shop_only: Shop, state: Database, hasher: Hasher, attempts: list[tuple[bool, Discovery]]) -> None:
    # Ole has no held rows, so his outcome is recorded while his changes are on their way; a
    # second customer record carries his phone number under another address.
    run_sql(shop_only.shop_url, "UPDATE customer SET phone = '+4577777777' WHERE id = 3",
             "INSERT INTO customer (id, customer_no, email, phone, name, restricted)"
             " VALUES (4, 1004, 'ole.olsen@firma.dk', '77 77 77 77', 'Ole Olsen', false)")
    result = run(shop_only, state, hasher, who=OLE)
    pipelined = shop_only.shop_url.startswith("postgresql")
    assert [deferred for deferred, _ in attempts] == ([True, False] if pipelined else [True])
    assert result.complete and result.deferred_recorded == 0
    assert by_table(result)["shop.customer"] == {"deleted": 2}
    assert {3, 4}.isdisjoint(rows(shop_only, "customer"))
    [(action, target, details)] = _erasures(state)
    assert (action, target, details["status"]) == ("dsr.erase", "shop", "done")
    assert details["tables"]["customer"]["deleted"] == 2
    assert details["identities"] == ["customer_no", "email", "phone"]


def test_a_dry_run_and_an_erasure_of_some_systems_search_in_full(
        shop_only: Shop, state: Database, hasher: Hasher, attempts: list[tuple[bool, Discovery]]) -> None:
    run(shop_only, state, hasher, dry_run=True)
    run(shop_only, state, hasher, only=["shop"])
    assert [(deferred, found.guards) for deferred, found in attempts] == [(False, {}), (False, {})]
    assert [found.passes for _, found in attempts] == [2, 2]
    assert rows(shop_only, "customer")[1]["email"] is None
