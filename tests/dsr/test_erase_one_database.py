"""Erasure where both of the webshop's systems live in one database: on PostgreSQL the search's
last identity-expansion pass then goes with the changes as guards, and an erasure whose guards
find more rows is made again from a full search (on SQLite and MariaDB the search is complete
before anything changes; the same outcomes hold)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa
from tests.dsr.test_erase import JANE, OLE, by_table, rows, run

from persondata.audit import service as audit_service
from persondata.connectors.found import Discovery
from persondata.db.engine import Database
from persondata.dsr import erase as module
from persondata.identity import Hasher
from persondata.testing.webshop import Shop, build_support, reset_shop, webshop_policy


@pytest.fixture
def one_db(company_db: str) -> Shop:
    """The shop and its support system in the same database."""
    reset_shop(company_db)  # drops a ticket table left by an earlier test
    build_support(company_db)
    return Shop(webshop_policy(), {"SHOP_DB": company_db, "SUPPORT_DB": company_db}, company_db, company_db)


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


def _execute(url: str, *statements: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as c:
        for sql in statements:
            c.execute(sa.text(sql))
    engine.dispose()


def _erasures(state: Database) -> list[tuple[str, str | None, dict[str, Any]]]:
    with state.transaction() as session:
        assert audit_service.verify(session).ok
        return [(e.action, e.target, json.loads(e.details)) for e in audit_service.tail(session, 20)
                if e.action.startswith("dsr.erase")]


def test_expansion_goes_with_the_changes_when_it_finds_nothing_new(
        one_db: Shop, state: Database, hasher: Hasher, attempts: list[tuple[bool, Discovery]]) -> None:
    _execute(one_db.shop_url, "DELETE FROM ticket WHERE id = 1")  # her phone now finds nothing more
    result = run(one_db, state, hasher)
    assert result.complete
    assert by_table(result) == {
        "shop.customer": {"anonymised": 1}, "shop.invoice": {"deleted": 1, "held": 1},
        "shop.login": {"deleted": 1}, "shop.order_items": {"anonymised": 1}, "shop.orders": {"anonymised": 2},
        "shop.payment_card": {"anonymised": 1}, "shop.address": {"reported_only": 1}}
    [(deferred, found)] = attempts
    assert deferred
    pipelined = one_db.shop_url.startswith("postgresql")
    assert sorted(found.guards) == (["shop", "support"] if pipelined else [])
    assert found.passes == (1 if pipelined else 2)
    assert "phone=+4520123456" in result.identities
    assert rows(one_db, "customer")[1]["email"] is None and 30 not in rows(one_db, "login")
    assert [(a, t) for a, t, _ in _erasures(state)] == [("dsr.erase", "shop")]


def test_guards_that_find_more_start_the_erasure_over(
        one_db: Shop, state: Database, hasher: Hasher, attempts: list[tuple[bool, Discovery]]) -> None:
    # Her ticket is found only by the phone on her customer row: on PostgreSQL the first attempt
    # has not seen it, its guard does, and nothing of that attempt is kept.
    result = run(one_db, state, hasher)
    pipelined = one_db.shop_url.startswith("postgresql")
    assert [deferred for deferred, _ in attempts] == ([True, False] if pipelined else [True])
    assert result.complete and by_table(result)["support.ticket"] == {"deleted": 1}
    assert result.totals == {"deleted": 3, "anonymised": 5, "held": 1, "reported_only": 1, "unchanged": 2}
    assert set(rows(one_db, "ticket")) == {2, 3}
    assert [(a, t) for a, t, _ in _erasures(state)] == [("dsr.erase", "shop"), ("dsr.erase", "support")]


def test_an_outcome_recorded_ahead_is_taken_back_when_a_guard_finds_more(
        one_db: Shop, state: Database, hasher: Hasher, attempts: list[tuple[bool, Discovery]]) -> None:
    # Ole has no held rows, so his outcome is recorded while his changes are on their way; a
    # second customer record carries his phone number under another address.
    _execute(one_db.shop_url, "UPDATE customer SET phone = '+4577777777' WHERE id = 3",
             "INSERT INTO customer (id, customer_no, email, phone, name, restricted)"
             " VALUES (4, 1004, 'ole.olsen@firma.dk', '77 77 77 77', 'Ole Olsen', false)")
    result = run(one_db, state, hasher, who=OLE)
    pipelined = one_db.shop_url.startswith("postgresql")
    assert [deferred for deferred, _ in attempts] == ([True, False] if pipelined else [True])
    assert result.complete and result.deferred_recorded == 0
    assert by_table(result)["shop.customer"] == {"deleted": 2}
    assert {3, 4}.isdisjoint(rows(one_db, "customer"))
    [(action, target, details)] = _erasures(state)
    assert (action, target, details["status"]) == ("dsr.erase", "shop", "done")
    assert details["tables"]["customer"]["deleted"] == 2
    assert details["identities"] == ["customer_no", "email", "phone"]


def test_a_dry_run_and_erasure_of_one_system_search_in_full(
        one_db: Shop, state: Database, hasher: Hasher, attempts: list[tuple[bool, Discovery]]) -> None:
    run(one_db, state, hasher, dry_run=True)
    run(one_db, state, hasher, only=["support"])
    assert [(deferred, found.guards) for deferred, found in attempts] == [(False, {}), (False, {})]
    assert 1 not in rows(one_db, "ticket") and rows(one_db, "customer")[1]["email"] == JANE.value
