"""Access and portability: rows, Art. 15 information, the export zip, the report, the audit entry."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
import sqlalchemy as sa
import yaml

from persondata.audit import service as audit_service
from persondata.db.engine import Database
from persondata.dsr.access import access
from persondata.dsr.export import export_bytes
from persondata.dsr.results import AccessResult, TableOut
from persondata.errors import InputError
from persondata.identity import Hasher, make_identity
from persondata.policy.model import Policy
from persondata.settings import load_settings
from persondata.testing.webshop import NOW, POLICY_YAML, Shop
from persondata.vault.service import Vault

JANE = make_identity("email", "jane@example.dk")


def _tables(result: AccessResult) -> dict[str, TableOut]:
    return {t.name: t for t in result.tables}


def test_access_finds_everything_with_art15_information(shop: Shop, state: Database, hasher: Hasher) -> None:
    with state.transaction() as session:
        result = access(session, shop.policy, [JANE], hasher=hasher, actor="test", now=NOW, env=shop.env)
    tables = {t.name: t for t in result.tables}
    assert list(tables) == ["shop.customer", "shop.orders", "shop.order_items", "shop.payment_card",
                            "shop.login", "shop.invoice", "support.ticket"]
    assert result.row_count == 11
    assert [t.name for t in result.references] == ["shop.address"]
    assert result.references[0].rows[0]["street"] == "Strandvejen 1"
    customer = tables["shop.customer"]
    assert customer.rows[0]["email"] == "jane@example.dk"
    assert customer.rows[0]["birth_date"] == "1985-04-12"
    assert [p.name for p in customer.purposes] == ["Salg og levering", "Nyhedsbrev"]  # da: first language
    assert customer.purposes[0].retention_text == "3 år efter kundeforholdets ophør"
    mailer = next(r for r in customer.recipients if r.key == "mailer")
    assert mailer.third_country and mailer.country == "US" and mailer.transfer == "dpf"
    assert customer.source == "Direkte fra dig"
    assert tables["support.ticket"].source == "Fra dig eller fra din arbejdsgiver"
    assert tables["support.ticket"].rows[0]["caller_phone"] == "+4520123456"
    assert tables["shop.invoice"].purposes[0].detail == "Bogføringsloven § 10"
    # Art. 20: contract/consent tables are portable, legitimate interest ones are not.
    assert all(c.portable for c in customer.columns)
    assert not any(c.portable for c in tables["shop.login"].columns)
    assert {c.name: c.category for c in customer.columns}["phone"] == "user.contact.phone_number"
    assert result.authority is not None and result.authority.name == "Datatilsynet"
    assert [r.key for r in result.rights][:3] == ["access", "rectification", "erasure"]
    assert not result.restricted


def test_export_zip_has_json_csv_and_report(shop: Shop, state: Database, hasher: Hasher) -> None:
    with state.transaction() as session:
        result = access(session, shop.policy, [JANE], hasher=hasher, actor="test", now=NOW, env=shop.env,
                        lang="en")
    zf = zipfile.ZipFile(io.BytesIO(export_bytes(result)))
    names = zf.namelist()
    assert {"data.json", "report.html", "portable.json", "tables/shop.customer.csv",
            "tables/support.ticket.csv", "shared/shop.address.csv"} <= set(names)
    data = json.loads(zf.read("data.json"))
    assert data == result.to_json()
    items = list(csv.DictReader(io.StringIO(zf.read("tables/shop.order_items.csv").decode())))
    assert [(r["id"], r["product"], r["gift_message"]) for r in items] == [
        ("100", "Kaffekande", "Til mor"), ("101", "Kopper", ""), ("102", "Te", "")]
    assert "email" in json.loads(zf.read("portable.json"))["shop.customer"]
    html = zf.read("report.html").decode()
    for text in ("Your personal data at Webshop ApS", "Sales and delivery", "Mailchimp (Intuit Inc.)",
                 "outside the EU/EEA", "3 years after the end of the customer relationship",
                 "From you or from your employer", "Right to erasure", "Datatilsynet", "Jane Jensen",
                 "Strandvejen 1", "Bogføringsloven § 10"):
        assert text in html, text


@pytest.mark.parametrize(("lang", "words"), [("da", ["Dine personoplysninger", "Ret til sletning"]),
                                             ("nb", ["Dine personopplysninger", "Rett til sletting"])])
def test_report_in_the_subjects_language(sqlite_shop: Shop, state: Database, hasher: Hasher, lang: str,
                                         words: list[str]) -> None:
    with state.transaction() as session:
        result = access(session, sqlite_shop.policy, [JANE], hasher=hasher, actor="test", now=NOW,
                        env=sqlite_shop.env, lang=lang)
    html = zipfile.ZipFile(io.BytesIO(export_bytes(result))).read("report.html").decode()
    assert f'<html lang="{lang}">' in html
    for w in words:
        assert w in html


def test_access_is_audited_without_clear_identities(sqlite_shop: Shop, state: Database,
                                                    hasher: Hasher) -> None:
    with state.transaction() as session:
        access(session, sqlite_shop.policy, [JANE], hasher=hasher, actor="dpo", now=NOW, env=sqlite_shop.env)
    with state.transaction() as session:
        entries = audit_service.tail(session, 5)
        assert audit_service.verify(session).ok
    entry = entries[-1]
    assert (entry.action, entry.actor, entry.subject) == ("dsr.access", "dpo", hasher.hash(JANE))
    assert "jane" not in entry.details and "20 12" not in entry.details
    assert json.loads(entry.details)["rows"]["shop.customer"] == 1


def test_no_identity_is_bad_input(sqlite_shop: Shop, state: Database, hasher: Hasher) -> None:
    with state.transaction() as session, pytest.raises(InputError, match="at least one identity"):
        access(session, sqlite_shop.policy, [], hasher=hasher, actor="t", env=sqlite_shop.env)


def test_encrypted_fields_are_decrypted_through_the_hook(sqlite_shop: Shop, state: Database,
                                                         hasher: Hasher) -> None:
    text = POLICY_YAML.replace("body: user.content.private}",
                               "body: {category: user.content.private, encrypted: true}}")
    policy = Policy.model_validate(yaml.safe_load(text))
    phone = make_identity("phone", "+4520123456")
    with state.transaction() as session:
        token = Vault(session, load_settings()).encrypt(hasher.hash(phone), "Min kaffekande er i stykker")
    engine = sa.create_engine(sqlite_shop.support_url)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE ticket SET body = :b WHERE id = 1"), {"b": token})
    engine.dispose()
    with state.transaction() as session:
        plain = access(session, policy, [JANE], hasher=hasher, actor="t", now=NOW, env=sqlite_shop.env)
        vault = Vault(session, load_settings())
        clear = access(session, policy, [JANE], hasher=hasher, actor="t", now=NOW, env=sqlite_shop.env,
                       decrypt=lambda value: vault.decrypt_text(None, value))
    shown = _tables(plain)["support.ticket"]
    body = next(c for c in shown.columns if c.name == "body")
    assert body.encrypted and not body.decrypted
    assert shown.rows[0]["body"] == token
    assert _tables(clear)["support.ticket"].rows[0]["body"] == "Min kaffekande er i stykker"


def test_tables_described_while_expansion_runs_are_kept_when_it_finds_nothing_new(
        shop: Shop, state: Database, hasher: Hasher) -> None:
    from persondata.dsr import repository
    from persondata.dsr.models import Restriction

    engine = sa.create_engine(shop.support_url)
    with engine.begin() as c:  # the expansion pass (her phone) finds nothing new
        c.execute(sa.text("DELETE FROM ticket WHERE id = 1"))
    engine.dispose()
    phone = make_identity("phone", "+4520123456")
    with state.transaction() as session:
        repository.add_restrictions(session, [Restriction(
            group_id="g1", identity_hash=hasher.hash(phone), kind="phone", scope="subject", reason="test",
            actor="test", created_at=NOW)])
    with state.transaction() as session:
        result = access(session, shop.policy, [JANE], hasher=hasher, actor="test", now=NOW, env=shop.env)
    assert [t.name for t in result.tables] == ["shop.customer", "shop.orders", "shop.order_items",
                                               "shop.payment_card", "shop.login", "shop.invoice"]
    assert result.row_count == 10 and [t.name for t in result.references] == ["shop.address"]
    assert result.restricted  # by the phone on her customer row, found before the expansion pass
