"""Erasure on SQLite, PostgreSQL and MariaDB: strategies, holds, shared rows, dry run, idempotency."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import yaml

from persondata.audit import service as audit_service
from persondata.db.engine import Database
from persondata.dsr import repository
from persondata.dsr.erase import erase
from persondata.dsr.results import ErasureResult
from persondata.identity import Hasher, make_identity
from persondata.policy.model import Policy
from persondata.testing.webshop import NOW, Shop

JANE = make_identity("email", "jane@example.dk")
OLE = make_identity("email", "ole@example.dk")
TABLES = ("address", "customer", "orders", "order_items", "payment_card", "login", "invoice")


def snapshot(shop: Shop) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of both systems, in key order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for url, tables in ((shop.shop_url, TABLES), (shop.support_url, ("ticket",))):
        engine = sa.create_engine(url)
        with engine.connect() as c:
            for t in tables:
                out[t] = [tuple(r) for r in c.execute(sa.text(f"SELECT * FROM {t} ORDER BY id"))]
        engine.dispose()
    return out


def rows(shop: Shop, table: str) -> dict[int, dict[str, Any]]:
    """The rows of a shop table by id."""
    engine = sa.create_engine(shop.support_url if table == "ticket" else shop.shop_url)
    with engine.connect() as c:
        found = {r.id: dict(r._mapping) for r in c.execute(sa.text(f"SELECT * FROM {table}"))}
    engine.dispose()
    return found


def run(shop: Shop, state: Database, hasher: Hasher, *, dry_run: bool = False, who: Any = JANE,
        **kw: Any) -> ErasureResult:
    with state.transaction() as session:
        return erase(session, shop.policy, [who], hasher=hasher, actor="dpo", now=NOW, env=shop.env,
                     dry_run=dry_run, **kw)


def by_table(result: ErasureResult) -> dict[str, dict[str, int]]:
    return {f"{t.system}.{t.table}": {k: v for k, v in (("deleted", t.deleted), ("anonymised", t.anonymised),
                                                        ("held", t.held), ("reported_only", t.reported_only))
                                      if v} for t in result.tables}


def test_dry_run_plans_exactly_and_changes_nothing(shop: Shop, state: Database, hasher: Hasher) -> None:
    before = snapshot(shop)
    plan = run(shop, state, hasher, dry_run=True)
    assert snapshot(shop) == before
    assert [s.status for s in plan.systems] == ["planned", "planned"]
    done = run(shop, state, hasher)
    assert by_table(plan) == by_table(done)
    assert [t.rows for t in plan.tables] == [t.rows for t in done.tables]
    assert plan.deferred_recorded == 0 and done.deferred_recorded == 2


def test_erasure_applies_each_strategy_and_holds_the_invoice(shop: Shop, state: Database,
                                                              hasher: Hasher) -> None:
    result = run(shop, state, hasher)
    assert result.complete
    assert by_table(result) == {
        "shop.customer": {"anonymised": 1},  # kept: it owns the held invoice
        "shop.invoice": {"deleted": 1, "held": 1},
        "shop.login": {"deleted": 1},
        "shop.order_items": {"anonymised": 1},
        "shop.orders": {"anonymised": 2},
        "shop.payment_card": {"anonymised": 1},
        "support.ticket": {"deleted": 1},  # found through the phone on her customer row
        "shop.address": {"reported_only": 1},  # shared with John
    }
    assert result.totals == {"deleted": 3, "anonymised": 5, "held": 1, "reported_only": 1, "unchanged": 2}
    [held] = result.held
    assert (held.table, held.key, held.purpose) == ("invoice", 40, "bookkeeping")
    assert held.until == date(2030, 1, 1)
    assert held.law == "Bogføringsloven § 10"
    customer = rows(shop, "customer")[1]
    erased = ("email", "phone", "name", "birth_date", "customer_no", "address_id")
    assert [customer[c] for c in erased] == [None] * 6
    orders = rows(shop, "orders")
    assert orders[10]["customer_id"] is None and orders[10]["delivery_name"] is None
    assert orders[10]["order_email"] == hasher.hash_value("jane@example.dk")
    assert str(orders[10]["total"]) in ("499.00", "499", "499.0")  # not personal: kept
    assert rows(shop, "order_items")[100]["gift_message"] == "[redacted]"
    card = rows(shop, "payment_card")[20]
    assert card["card_number"] == "************1234" and card["holder_name"] is None
    assert str(card["expires_on"]) == "2027-01-01"
    assert 30 not in rows(shop, "login") and 31 in rows(shop, "login")
    invoices = rows(shop, "invoice")
    assert set(invoices) == {40, 42} and bool(invoices[40]["restricted"]) and not invoices[42]["restricted"]
    assert invoices[40]["billing_name"] == "Jane Jensen"  # held: untouched
    assert set(rows(shop, "ticket")) == {2, 3}
    assert rows(shop, "address")[1]["street"] == "Strandvejen 1"
    john = rows(shop, "customer")[2]
    assert john["email"] == "john@example.dk" and john["address_id"] == 1
    assert [r.key for r in result.notify] == ["carrier", "accountant", "mailer"]


def test_a_plan_made_while_expansion_runs_is_kept_when_it_finds_nothing_new(
        shop: Shop, state: Database, hasher: Hasher, monkeypatch: pytest.MonkeyPatch) -> None:
    from persondata.dsr import erase as module

    plans: list[object] = []
    real = module.plan_erasure
    monkeypatch.setattr(module, "plan_erasure", lambda *a, **kw: plans.append(a) or real(*a, **kw))
    run(shop, state, hasher, dry_run=True)  # her ticket turns up in the expansion pass: planned again
    assert len(plans) == 2
    engine = sa.create_engine(shop.support_url)
    with engine.begin() as c:
        c.execute(sa.text("DELETE FROM ticket WHERE id = 1"))
    engine.dispose()
    plans.clear()
    result = run(shop, state, hasher)  # the expansion pass (her phone) finds nothing new
    assert len(plans) == 1
    assert by_table(result) == {
        "shop.customer": {"anonymised": 1}, "shop.invoice": {"deleted": 1, "held": 1},
        "shop.login": {"deleted": 1}, "shop.order_items": {"anonymised": 1}, "shop.orders": {"anonymised": 2},
        "shop.payment_card": {"anonymised": 1}, "shop.address": {"reported_only": 1}}
    assert rows(shop, "customer")[1]["email"] is None and 30 not in rows(shop, "login")


def test_held_rows_are_deferred_and_restricted(shop: Shop, state: Database, hasher: Hasher) -> None:
    run(shop, state, hasher)
    with state.transaction() as session:
        deferred = repository.open_deferred(session)
        restricted = repository.restricted_hashes(session)
    assert sorted((d.table_name, d.row_key, d.due_on, d.purpose) for d in deferred) == [
        ("customer", "1", date(2030, 1, 1), None), ("invoice", "40", date(2030, 1, 1), "bookkeeping")]
    phone = make_identity("phone", "+4520123456")
    assert {hasher.hash(JANE), hasher.hash(phone)} <= restricted


def test_rerun_is_harmless(shop: Shop, state: Database, hasher: Hasher) -> None:
    run(shop, state, hasher)
    after = snapshot(shop)
    again = run(shop, state, hasher)
    assert snapshot(shop) == after
    assert again.totals["deleted"] == again.totals["anonymised"] == 0
    with state.transaction() as session:
        assert len(repository.open_deferred(session)) == 2


def test_subject_without_holds_is_gone(shop: Shop, state: Database, hasher: Hasher) -> None:
    result = run(shop, state, hasher, who=OLE)
    assert result.held == []
    assert 3 not in rows(shop, "customer")
    assert rows(shop, "orders")[13]["customer_id"] is None  # anonymised order lets go of him
    assert rows(shop, "order_items")[104]["gift_message"] == "[redacted]"
    assert rows(shop, "payment_card")[21]["card_number"] == "************2222"
    assert 32 not in rows(shop, "login")
    assert rows(shop, "address")[2]["city"] == "Aarhus C"  # reported, never erased
    with state.transaction() as session:
        assert repository.open_deferred(session) == []
        assert repository.restricted_hashes(session) == set()


def test_every_system_is_audited(sqlite_shop: Shop, state: Database, hasher: Hasher) -> None:
    run(sqlite_shop, state, hasher, dry_run=True)
    run(sqlite_shop, state, hasher)
    with state.transaction() as session:
        entries = audit_service.tail(session, 10)
        assert audit_service.verify(session).ok
    assert [(e.action, e.target) for e in entries] == [
        ("dsr.erase.plan", "shop"), ("dsr.erase.plan", "support"), ("dsr.erase", "shop"),
        ("dsr.erase", "support")]
    details = json.loads(entries[2].details)
    assert details["status"] == "done" and details["tables"]["login"]["deleted"] == 1
    assert all(e.subject == hasher.hash(JANE) for e in entries)


def test_a_failing_system_leaves_nothing_half_done_and_resumes(sqlite_shop: Shop, state: Database,
                                                              hasher: Hasher) -> None:
    engine = sa.create_engine(sqlite_shop.support_url)
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TRIGGER no_delete BEFORE DELETE ON ticket BEGIN "
                          "SELECT RAISE(ABORT, 'tickets are archived'); END")
    first = run(sqlite_shop, state, hasher)
    assert not first.complete
    status = {s.system: (s.status, s.error) for s in first.systems}
    assert status["shop"] == ("done", None)
    assert status["support"][0] == "failed" and "tickets are archived" in str(status["support"][1])
    assert 1 in rows(sqlite_shop, "ticket")
    with engine.begin() as c:
        c.exec_driver_sql("DROP TRIGGER no_delete")
    engine.dispose()
    # The shop row that carried the phone is anonymised now: resume with the identities found first.
    with state.transaction() as session:
        second = erase(session, sqlite_shop.policy, [make_identity("phone", "+4520123456")], hasher=hasher,
                       actor="dpo", now=NOW, env=sqlite_shop.env, only=["support"])
    assert second.complete and by_table(second) == {"support.ticket": {"deleted": 1}}
    assert 1 not in rows(sqlite_shop, "ticket")


@pytest.mark.parametrize(("who", "login"), [(JANE, 30), (OLE, 32)], ids=["held-rows", "no-held-rows"])
def test_a_failing_change_records_the_failure_not_what_was_assumed(
        shop: Shop, state: Database, hasher: Hasher, who: Any, login: int) -> None:
    # One transaction, its changes and COMMIT sent together (PostgreSQL). Without held rows the
    # outcome is recorded while they are on their way, as if they succeed, and taken back here.
    engine = sa.create_engine(shop.shop_url)
    with engine.begin() as c:  # a table outside the data map still points at the login
        c.execute(sa.text("CREATE TABLE login_event (id INTEGER PRIMARY KEY, login_id INTEGER NOT NULL"
                          " REFERENCES login (id))"))
        c.execute(sa.text("INSERT INTO login_event (id, login_id) VALUES (1, :login)"), {"login": login})
    before = snapshot(shop)
    result = run(shop, state, hasher, who=who, only=["shop"])
    assert {s.system: s.status for s in result.systems}["shop"] == "failed"
    assert result.deferred_recorded == 0
    assert snapshot(shop) == before
    with state.transaction() as session:
        assert repository.open_deferred(session) == [] and repository.restricted_hashes(session) == set()
        entries = [e for e in audit_service.tail(session, 5) if (e.action, e.target) == ("dsr.erase", "shop")]
        assert [json.loads(e.details)["status"] for e in entries] == ["failed"]
        assert audit_service.verify(session).ok
    with engine.begin() as c:
        c.execute(sa.text("DROP TABLE login_event"))
    engine.dispose()
    again = run(shop, state, hasher, who=who, only=["shop"])
    assert {s.system: s.status for s in again.systems}["shop"] == "done", again.systems
    with state.transaction() as session:
        assert audit_service.verify(session).ok


def test_only_some_systems(sqlite_shop: Shop, state: Database, hasher: Hasher) -> None:
    result = run(sqlite_shop, state, hasher, only=["support"])
    assert {s.system: s.status for s in result.systems} == {"shop": "skipped", "support": "done"}
    assert rows(sqlite_shop, "customer")[1]["email"] == "jane@example.dk"
    assert 1 not in rows(sqlite_shop, "ticket")


def test_deferred_erasure_carried_out_when_due(sqlite_shop: Shop, state: Database, hasher: Hasher) -> None:
    from persondata.dsr.deferred import carry_out_deferred

    run(sqlite_shop, state, hasher)
    with state.transaction() as session:
        early = carry_out_deferred(session, sqlite_shop.policy, hasher=hasher, env=sqlite_shop.env,
                                   now=datetime(2029, 12, 31, tzinfo=UTC))
    assert early.due == 0 and 40 in rows(sqlite_shop, "invoice")
    with state.transaction() as session:
        result = carry_out_deferred(session, sqlite_shop.policy, hasher=hasher, env=sqlite_shop.env,
                                    now=datetime(2030, 1, 2, tzinfo=UTC))
    assert (result.due, result.done, result.deleted, result.lifted) == (2, 2, 2, 3)
    assert 40 not in rows(sqlite_shop, "invoice") and 1 not in rows(sqlite_shop, "customer")
    with state.transaction() as session:
        assert repository.open_deferred(session) == []
        assert repository.restricted_hashes(session) == set()


SHARED_POLICY = """
controller: {name: X, country: DK, email: x@example.dk}
purposes:
  service: {name: Service, basis: contract, retention: 1 years after relationship_end}
systems:
  tel:
    url: ${TEL_DB}
    tables:
      company:
        primary_key: id
        identities: {cvr: cvr}
        purposes: [service]
        fields: {contact_email: user.contact.email}
      site:
        primary_key: id
        belongs_to: {company_id: company.id}
        purposes: [service]
        fields: {street: user.contact.address}
      employee:
        primary_key: id
        identities: {email: email}
        references: {site_id: site.id}
        purposes: [service]
        fields: {email: user.contact.email}
"""


@pytest.mark.parametrize("expansion", [False, True], ids=["by-cvr", "by-cvr-then-email"])
def test_rows_others_still_point_at_are_shared_not_deleted(company_url: str, state: Database, hasher: Hasher,
                                                            expansion: bool) -> None:
    md = sa.MetaData()
    sa.Table("company", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("cvr", sa.String(10)), sa.Column("contact_email", sa.String(100)))
    sa.Table("site", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("company_id", sa.Integer, sa.ForeignKey("company.id"), nullable=False),
             sa.Column("street", sa.String(100)))
    sa.Table("employee", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("email", sa.String(100)), sa.Column("site_id", sa.Integer, sa.ForeignKey("site.id")))
    engine = sa.create_engine(company_url)
    with engine.begin() as c:
        md.create_all(c)
        c.execute(md.tables["company"].insert(), [{"id": 1, "cvr": "14856455", "contact_email": "boss@a.dk"}])
        c.execute(md.tables["site"].insert(), [{"id": 10, "company_id": 1, "street": "Havnegade 1"},
                                               {"id": 11, "company_id": 1, "street": "Old street 2"}])
        c.execute(md.tables["employee"].insert(), [{"id": 100, "email": "ann@a.dk", "site_id": 10}])
    # With an e-mail identity too, the plan is made while expansion runs, and made again with
    # the database asked which rows others still point at.
    text = SHARED_POLICY.replace("{cvr: cvr}", "{cvr: cvr, email: contact_email}") if expansion \
        else SHARED_POLICY
    policy = Policy.model_validate(yaml.safe_load(text))
    with state.transaction() as session:
        result = erase(session, policy, [make_identity("cvr", "14856455")], hasher=hasher, actor="dpo",
                       now=NOW, env={"TEL_DB": company_url})
    assert result.complete, result.systems
    site = {r.key: r for t in result.tables if t.table == "site" for r in t.rows}
    assert site[10].action == "report" and "1 other row(s) of employee" in str(site[10].note)
    assert site[11].action == "delete"
    company = next(t for t in result.tables if t.table == "company").rows[0]
    assert company.action == "anonymise" and "owns kept rows of site" in str(company.note)
    with engine.connect() as c:
        assert [tuple(r) for r in c.execute(sa.text("SELECT id, street FROM site"))] == [(10, "Havnegade 1")]
        company_row = c.execute(sa.text("SELECT cvr, contact_email FROM company")).one()
        assert tuple(company_row) == (None, None)
    engine.dispose()
