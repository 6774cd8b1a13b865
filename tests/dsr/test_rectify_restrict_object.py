"""Rectification, restriction and objection on SQLite, PostgreSQL and MariaDB (state on SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from persondata.consent import service as consent
from persondata.consent.schemas import Source
from persondata.consent.suppression import is_suppressed
from persondata.db.engine import Database
from persondata.dsr import repository
from persondata.dsr.erase import erase
from persondata.dsr.service import (
    decide_objection,
    object_to,
    rectify,
    restrict,
    restriction_status,
    unrestrict,
)
from persondata.errors import ConflictError, IdentityError, InputError
from persondata.identity import Hasher, make_identity
from persondata.testing.webshop import NOW, Shop

JANE = make_identity("email", "jane@example.dk")
JANE_PHONE = make_identity("phone", "+4520123456")


def column(shop: Shop, table: str, name: str) -> dict[int, Any]:
    engine = sa.create_engine(shop.support_url if table == "ticket" else shop.shop_url)
    with engine.connect() as c:
        out = {r[0]: r[1] for r in c.execute(sa.text(f"SELECT id, {name} FROM {table}"))}
    engine.dispose()
    return out


def test_rectify_writes_every_table_of_the_category(shop: Shop, state: Database, hasher: Hasher) -> None:
    with state.transaction() as session:
        result = rectify(
            session,
            shop.policy,
            [JANE],
            {"user.contact.email": "Jane.New@Example.DK"},
            hasher=hasher,
            actor="dpo",
            now=NOW,
            env=shop.env,
        )
    assert {(c.table, c.column, c.rows) for c in result.changes} == {
        ("customer", "email", 1),
        ("orders", "order_email", 2),
    }
    assert {c.value for c in result.changes} == {"jane.new@example.dk"}  # validated and normalised
    assert column(shop, "customer", "email") == {
        1: "jane.new@example.dk",
        2: "john@example.dk",
        3: "ole@example.dk",
    }
    assert column(shop, "orders", "order_email")[10] == "jane.new@example.dk"
    assert column(shop, "orders", "order_email")[12] == "john@example.dk"
    assert [r.key for r in result.notify] == ["carrier", "mailer"]


def test_rectify_by_column_name_and_phone_validation(shop: Shop, state: Database, hasher: Hasher) -> None:
    with state.transaction() as session:
        result = rectify(
            session,
            shop.policy,
            [JANE],
            {"phone": "22 33 44 55", "name": "Jane Hansen"},
            hasher=hasher,
            actor="dpo",
            now=NOW,
            env=shop.env,
        )
    assert {(c.table, c.column, c.value) for c in result.changes} == {
        ("customer", "phone", "+4522334455"),
        ("customer", "name", "Jane Hansen"),
    }
    assert column(shop, "customer", "phone")[1] == "+4522334455"
    with state.transaction() as session, pytest.raises(IdentityError, match="not a valid phone"):
        rectify(
            session,
            shop.policy,
            [JANE],
            {"user.contact.phone_number": "12"},
            hasher=hasher,
            actor="dpo",
            now=NOW,
            env=shop.env,
        )
    with state.transaction() as session, pytest.raises(InputError, match=r"birth_date.*not a valid date"):
        rectify(
            session,
            shop.policy,
            [JANE],
            {"birth_date": "12/04/1985"},
            hasher=hasher,
            actor="dpo",
            env=shop.env,
        )
    with state.transaction() as session, pytest.raises(InputError, match="no field 'shoe_size'"):
        rectify(session, shop.policy, [JANE], {"shoe_size": "42"}, hasher=hasher, actor="dpo", env=shop.env)
    assert column(shop, "customer", "phone")[1] == "+4522334455"  # the refused changes wrote nothing


def test_rectify_dry_run_writes_nothing(sqlite_shop: Shop, state: Database, hasher: Hasher) -> None:
    with state.transaction() as session:
        result = rectify(
            session,
            sqlite_shop.policy,
            [JANE],
            {"user.name": "J. Jensen"},
            hasher=hasher,
            actor="dpo",
            env=sqlite_shop.env,
            dry_run=True,
        )
    assert {c.table for c in result.changes} == {"customer", "orders", "payment_card", "invoice"}
    assert column(sqlite_shop, "customer", "name")[1] == "Jane Jensen"


def test_restrict_flags_rows_and_is_checked_by_any_identity(
    shop: Shop, state: Database, hasher: Hasher
) -> None:
    with state.transaction() as session:
        result = restrict(
            session,
            shop.policy,
            [JANE],
            hasher=hasher,
            actor="dpo",
            reason="accuracy contested",
            now=NOW,
            env=shop.env,
        )
    assert result.changed and result.flagged == {"shop.customer": 1, "shop.invoice": 2}
    assert {r.key for r in result.notify} == {"carrier", "mailer", "accountant"}
    assert column(shop, "customer", "restricted") == {1: 1, 2: 0, 3: 0} or column(
        shop, "customer", "restricted"
    ) == {1: True, 2: False, 3: False}
    with state.transaction() as session:
        assert restriction_status(session, [JANE_PHONE], hasher).restricted  # found by expansion
        assert repository.is_restricted(session, hasher.hash(JANE))
        again = restrict(session, shop.policy, [JANE], hasher=hasher, actor="dpo", now=NOW, env=shop.env)
        assert not again.changed
    with state.transaction() as session:
        lifted = unrestrict(session, shop.policy, [JANE], hasher=hasher, actor="dpo", now=NOW, env=shop.env)
        assert lifted.changed
    with state.transaction() as session:
        assert not restriction_status(session, [JANE], hasher).restricted
        assert repository.restricted_hashes(session) == set()
    assert not any(column(shop, "customer", "restricted").values())


def test_unrestrict_keeps_held_rows_restricted(sqlite_shop: Shop, state: Database, hasher: Hasher) -> None:
    john = make_identity("email", "john@example.dk")
    with state.transaction() as session:
        restrict(
            session, sqlite_shop.policy, [john], hasher=hasher, actor="dpo", now=NOW, env=sqlite_shop.env
        )
    with state.transaction() as session:
        erase(
            session,
            sqlite_shop.policy,
            [john],
            hasher=hasher,
            actor="dpo",
            now=NOW,
            env=sqlite_shop.env,
            only=["support"],
        )  # his invoice 42 stays; shop rows are kept for now
        erase(
            session,
            sqlite_shop.policy,
            [john],
            hasher=hasher,
            actor="dpo",
            now=NOW,
            env=sqlite_shop.env,
            dry_run=False,
            only=["shop"],
        )
    with state.transaction() as session:
        status = restriction_status(session, [john], hasher)
        assert status.scopes == ["held_rows", "subject"] and status.held_rows == 2
    assert column(sqlite_shop, "invoice", "restricted")[42] == 1


def test_objection_to_direct_marketing_withdraws_and_suppresses(
    sqlite_shop: Shop, state: Database, hasher: Hasher
) -> None:
    with state.transaction() as session:
        consent.give(
            session,
            sqlite_shop.policy,
            hasher,
            JANE,
            "newsletter",
            source=Source.web_form,
            actor="web",
            at=NOW,
        )
        assert consent.is_allowed(session, hasher.hash(JANE), "newsletter")
    with state.transaction() as session:
        result = object_to(
            session, sqlite_shop.policy, [JANE], "newsletter", hasher=hasher, actor="dpo", now=NOW
        )
    assert (result.kind, result.status, result.withdrawn, result.suppressed) == (
        "direct_marketing",
        "applied",
        ["newsletter"],
        True,
    )
    with state.transaction() as session:
        assert not consent.is_allowed(session, hasher.hash(JANE), "newsletter")
        assert is_suppressed(session, hasher, JANE)


def test_objection_to_legitimate_interest_waits_for_the_dpo(
    sqlite_shop: Shop, state: Database, hasher: Hasher
) -> None:
    with state.transaction() as session:
        result = object_to(
            session,
            sqlite_shop.policy,
            [JANE],
            "security",
            hasher=hasher,
            actor="dpo",
            grounds="I never log in",
            now=NOW,
        )
        again = object_to(
            session, sqlite_shop.policy, [JANE], "security", hasher=hasher, actor="dpo", now=NOW
        )
    assert (result.kind, result.status) == ("legitimate_interest", "pending")
    assert result.interest == "At forhindre misbrug af konti"  # the purpose's stated interest
    assert again.objection_id == result.objection_id
    assert result.objection_id is not None
    with state.transaction() as session:
        decided = decide_objection(
            session, result.objection_id, upheld=True, note="no compelling grounds", actor="dpo"
        )
        assert decided.status == "upheld"
        assert [o.id for o in repository.pending_objections(session)] == []
    with state.transaction() as session, pytest.raises(ConflictError, match="already upheld"):
        decide_objection(session, result.objection_id, upheld=False, note="x", actor="dpo")


def test_objection_to_a_contract_purpose_is_refused(
    sqlite_shop: Shop, state: Database, hasher: Hasher
) -> None:
    with state.transaction() as session, pytest.raises(ConflictError, match="based on contract"):
        object_to(session, sqlite_shop.policy, [JANE], "sales", hasher=hasher, actor="dpo")
    with state.transaction() as session, pytest.raises(InputError, match="unknown purpose 'spam'"):
        object_to(session, sqlite_shop.policy, [JANE], "spam", hasher=hasher, actor="dpo")
