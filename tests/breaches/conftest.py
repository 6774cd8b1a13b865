"""Breach register fixtures: a Danish (and Norwegian) policy, a small company database, a state DB."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import yaml

from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.policy.model import Policy
from persondata.testing.databases import ServiceUnavailable, postgres_database

CPH = ZoneInfo("Europe/Copenhagen")
POLICY_YAML = """\
version: 1
controller:
  name: Bureau Nord ApS
  country: DK
  registration: "12345674"
  address: Havnegade 1, 8000 Aarhus C
  email: privacy@bureaunord.example
  phone: "+45 70 11 22 33"
  dpo: {name: Mette Holm, email: dpo@bureaunord.example, phone: "+45 70 11 22 34"}
  languages: [da, en]
subjects:
  customer: {name: {da: Kunde, nb: Kunde, en: Customer}}
  enquirer: {name: {da: Henvender, nb: Henvender, en: Enquirer}}
purposes:
  customers:
    name: {da: Kundeforhold, en: Customer relationship}
    basis: contract
    subjects: [customer]
    categories: [user.name, user.contact.email, user.contact.phone_number, user.financial]
    retention: 5 years after relationship_end
  enquiries:
    name: {da: Henvendelser, en: Enquiries}
    basis: legitimate_interest
    interest: {da: At besvare henvendelser, en: To answer enquiries}
    subjects: [enquirer]
    categories: [user.contact.email, user.content]
    retention: 2 years after last_contact
breaches:
  contact: security@bureaunord.example
systems:
  shop:
    url: ${BREACH_TEST_SHOP_URL}
    tables:
      customer:
        primary_key: id
        identities: {email: email, phone: phone}
        purposes: [customers]
        anchors: {relationship_end: closed_at, created: created_at}
        fields: {name: user.name, email: user.contact.email, phone: user.contact.phone_number}
      invoice:
        primary_key: id
        belongs_to: {customer_id: customer.id}
        purposes: [customers]
        anchors: {invoice_date: issued_on}
        fields: {billing_name: user.name, amount: user.financial}
      invoice_line:
        primary_key: id
        belongs_to: {invoice_id: invoice.id}
        purposes: [customers]
        fields: {card_last4: user.financial.credit_card}
      enquiry:
        primary_key: id
        identities: {email: email}
        purposes: [enquiries]
        anchors: {last_contact: sent_at}
        fields: {email: user.contact.email, message: user.content}
      weblog:
        primary_key: id
        fields: {ip: user.device.ip_address}
"""


def make_policy(country: str = "DK", **breaches: str) -> Policy:
    """The test policy as a model (Norwegian variant with country NO and nb)."""
    data = yaml.safe_load(POLICY_YAML)
    if country == "NO":
        data["controller"].update(country="NO", registration="923609016",
                                  address="Storgata 1, 0155 Oslo", languages=["nb", "en"])
    data["breaches"].update(breaches)
    return Policy.model_validate(data)


@pytest.fixture
def policy_factory() -> Callable[..., Policy]:
    """make_policy, for tests that need the Norwegian variant or other reporter promises."""
    return make_policy


@pytest.fixture
def policy() -> Policy:
    """The Danish test policy."""
    return make_policy()


@pytest.fixture
def state_db(state_url: str) -> Iterator[Database]:
    """persondata's state, migrated, on SQLite and PostgreSQL."""
    db = Database(state_url)
    upgrade(db)
    try:
        yield db
    finally:
        db.dispose()


def build_company(url: str) -> None:
    """A small shop: 4 customers, invoices and lines owned by them, enquiries, a web log."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    md = sa.MetaData()
    customer = sa.Table("customer", md, sa.Column("id", sa.Integer, primary_key=True),
                        sa.Column("email", sa.String(200)), sa.Column("phone", sa.String(20)),
                        sa.Column("name", sa.String(200)), sa.Column("created_at", sa.DateTime),
                        sa.Column("closed_at", sa.Date, nullable=True))
    invoice = sa.Table("invoice", md, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("customer_id", sa.ForeignKey("customer.id")),
                       sa.Column("issued_on", sa.Date), sa.Column("billing_name", sa.String(200)),
                       sa.Column("amount", sa.Integer))
    line = sa.Table("invoice_line", md, sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("invoice_id", sa.ForeignKey("invoice.id")),
                    sa.Column("card_last4", sa.String(4)))
    enquiry = sa.Table("enquiry", md, sa.Column("id", sa.Integer, primary_key=True),
                       sa.Column("email", sa.String(200)), sa.Column("message", sa.Text),
                       sa.Column("sent_at", sa.DateTime(timezone=True)))
    weblog = sa.Table("weblog", md, sa.Column("id", sa.Integer, primary_key=True),
                      sa.Column("ip", sa.String(45)))
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(customer.insert(), [
            {"id": i, "email": f"c{i}@example.dk", "phone": f"+452000000{i}", "name": f"Kunde {i}",
             "created_at": datetime(2027, 1, i, 12, 0), "closed_at": None}
            for i in range(1, 5)
        ])
        conn.execute(customer.insert(), [{"id": 5, "email": None, "phone": "+4520000005",
                                          "name": "Uden e-mail", "created_at": datetime(2027, 3, 1, 9),
                                          "closed_at": date(2027, 3, 2)}])
        # invoices: customers 1, 1, 2, 3 (customer 4 has none); 2 in March, 2 in February
        conn.execute(invoice.insert(), [
            {"id": 1, "customer_id": 1, "issued_on": date(2027, 2, 10), "billing_name": "K1", "amount": 100},
            {"id": 2, "customer_id": 1, "issued_on": date(2027, 3, 10), "billing_name": "K1", "amount": 200},
            {"id": 3, "customer_id": 2, "issued_on": date(2027, 3, 11), "billing_name": "K2", "amount": 300},
            {"id": 4, "customer_id": 3, "issued_on": date(2027, 2, 12), "billing_name": "K3", "amount": 400},
        ])
        conn.execute(line.insert(), [
            {"id": i, "invoice_id": inv, "card_last4": last4}
            for i, inv, last4 in [(1, 1, "1111"), (2, 2, "1111"), (3, 3, "2222"), (4, 3, "2222"),
                                  (5, None, "9999")]  # an orphan line: a record, no person
        ])
        # enquiries: 6 rows from 3 distinct addresses (one also a customer)
        # SQLite keeps no offset: store its naive timestamps in local time (as apps there do).
        def stamp(text: str) -> datetime:
            value = datetime.fromisoformat(text)
            return value.astimezone(CPH).replace(tzinfo=None) if engine.dialect.name == "sqlite" else value

        conn.execute(enquiry.insert(), [
            {"id": i, "email": e, "message": "hej", "sent_at": stamp(t)}
            for i, (e, t) in enumerate([
                ("a@example.dk", "2027-03-20T10:00+01:00"), ("a@example.dk", "2027-03-21T10:00+01:00"),
                ("b@example.dk", "2027-03-22T10:00+01:00"), ("b@example.dk", "2027-02-01T10:00+01:00"),
                ("c1@example.dk", "2027-03-23T23:30+01:00"),
                ("c1@example.dk", "2027-03-23T23:30+00:00"),  # 00:30 on the 24th in Copenhagen
            ], start=1)
        ])
        conn.execute(weblog.insert(), [{"id": i, "ip": f"10.0.0.{i}"} for i in range(1, 8)])
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def shop_url(request: pytest.FixtureRequest, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The test shop on SQLite and on PostgreSQL, named in BREACH_TEST_SHOP_URL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'shop.db'}"
        build_company(url)
        monkeypatch.setenv("BREACH_TEST_SHOP_URL", url)
        yield url
        return
    try:
        with postgres_database("pdshop") as url:
            build_company(url)
            monkeypatch.setenv("BREACH_TEST_SHOP_URL", url)
            yield url
    except ServiceUnavailable as exc:
        message = f"postgres unavailable ({exc}); start PostgreSQL on 127.0.0.1:5432"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
def company_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The shop on SQLite, its URL in BREACH_TEST_SHOP_URL."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    build_company(url)
    monkeypatch.setenv("BREACH_TEST_SHOP_URL", url)
    return url


@pytest.fixture
def policy_file(tmp_path: Path) -> Callable[..., Path]:
    """Write the test policy (DK or NO) to a privacy.yaml for CLI runs; returns its path."""

    def write(country: str = "DK") -> Path:
        data = make_policy(country).model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        data["systems"]["shop"]["url"] = "${BREACH_TEST_SHOP_URL}"
        path = tmp_path / country / "privacy.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path

    return write
