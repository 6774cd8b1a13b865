"""The classic webshop for tests and benchmarks: schema, data and a matching policy.

System `shop` (any SQLAlchemy URL): address (shared by Jane and John), customer, orders,
order_items, payment_card, login, invoice (bookkeeping: held for 5 years after the end of
the invoice year). System `support` (a second database): ticket, found by phone only.

Jane (jane@example.dk, stored phone "20 12 34 56") has two orders with three items, a
card, a login, an invoice from 2024 (held until 2030-01-01) and one from 2017 (expired),
and a support ticket under +4520123456 — reachable only through the phone on her
customer row. John shares her address. Ole (ole@example.dk) has no invoice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
import yaml

from persondata.connectors.graph import DataMap
from persondata.connectors.sql import Systems, quiet_reflection
from persondata.policy.model import Policy

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
"""The time the webshop tests run at."""

POLICY_YAML = """\
version: 1
controller:
  name: Webshop ApS
  country: DK
  registration: "DK12345674"
  email: privacy@webshop.example
  languages: [da, en]
subjects:
  customer: {name: {da: Kunde, en: Customer}}
identities:
  customer_no: {name: {da: Kundenummer, en: Customer number}}
purposes:
  sales:
    name: {da: Salg og levering, en: Sales and delivery}
    basis: contract
    subjects: [customer]
    categories: [user.name, user.contact.email, user.contact.phone_number, user.contact.address,
                 user.financial.credit_card, user.account.username, user.demographic.date_of_birth,
                 user.content.private]
    recipients: [carrier]
    retention: 3 years after relationship_end
  bookkeeping:
    name: {da: Bogføring, en: Bookkeeping}
    basis: legal_obligation
    law: Bogføringsloven § 10
    subjects: [customer]
    categories: [user.name, user.financial]
    recipients: [accountant]
    retention: 5 years after end of year of invoice_date
  newsletter:
    name: {da: Nyhedsbrev, en: Newsletter}
    basis: consent
    subjects: [customer]
    categories: [user.contact.email]
    recipients: [mailer]
    retention: until consent withdrawn
    consent: {withdraw: {da: Afmeld via linket i hver e-mail, en: Unsubscribe link in every e-mail},
              marketing: true}
  security:
    name: {da: Sikkerhed, en: Security}
    basis: legitimate_interest
    interest: {da: At forhindre misbrug af konti, en: Preventing account abuse}
    subjects: [customer]
    categories: [user.device.ip_address, user.account.username]
    retention: 6 months after last_login
  support:
    name: {da: Kundeservice, en: Customer service}
    basis: legitimate_interest
    interest: {da: At besvare henvendelser, en: Answering enquiries}
    subjects: [customer]
    categories: [user.contact.phone_number, user.content.private]
    retention: 2 years after last_contact
    source: {da: Fra dig eller fra din arbejdsgiver, en: From you or from your employer}
recipients:
  carrier: {name: PostNord AB, role: processor, country: SE, dpa_signed: 2023-01-15}
  accountant: {name: Revisorhuset ApS, role: processor, country: DK, dpa_signed: 2022-06-01}
  mailer: {name: Mailchimp (Intuit Inc.), role: processor, country: US, transfer: dpf, dpa_signed: 2024-02-01}
systems:
  shop:
    url: ${SHOP_DB}
    tables:
      address:
        primary_key: id
        purposes: [sales]
        fields: {street: user.contact.address.street, postcode: user.contact.address.postal_code,
                 city: user.contact.address.city}
      customer:
        primary_key: id
        identities: {email: email, phone: phone, customer_no: customer_no}
        references: {address_id: address.id}
        purposes: [sales, newsletter]
        anchors: {relationship_end: closed_at}
        restricted_flag: restricted
        fields:
          name: user.name
          email: user.contact.email
          phone: user.contact.phone_number
          birth_date: user.demographic.date_of_birth
      orders:
        primary_key: id
        belongs_to: {customer_id: customer.id}
        purposes: [sales]
        anchors: {relationship_end: ordered_at}
        fields:
          delivery_name: {category: user.name, erasure: "null"}
          order_email: {category: user.contact.email, erasure: hash}
      order_items:
        primary_key: id
        belongs_to: {order_id: orders.id}
        purposes: [sales]
        fields:
          gift_message: {category: user.content.private, erasure: redact}
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
      invoice:
        primary_key: id
        belongs_to: {customer_id: customer.id}
        purposes: [bookkeeping]
        anchors: {invoice_date: issued_on}
        restricted_flag: restricted
        fields: {billing_name: user.name, amount: user.financial}
  support:
    url: ${SUPPORT_DB}
    tables:
      ticket:
        primary_key: id
        identities: {phone: caller_phone}
        purposes: [support]
        anchors: {last_contact: opened_at}
        fields: {caller_phone: user.contact.phone_number, body: user.content.private}
"""


def webshop_policy() -> Policy:
    """The webshop's policy (system URLs stay ${SHOP_DB} / ${SUPPORT_DB})."""
    return Policy.model_validate(yaml.safe_load(POLICY_YAML))


def shop_metadata() -> sa.MetaData:
    """The shop system's tables."""
    md = sa.MetaData()
    s = sa.String
    sa.Table("address", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("street", s(200)), sa.Column("postcode", s(10)), sa.Column("city", s(100)))
    customer = sa.Table(
             "customer", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("customer_no", sa.Integer, unique=True),
             sa.Column("email", s(200), index=True), sa.Column("phone", s(40), index=True),
             sa.Column("name", s(200)), sa.Column("birth_date", sa.Date),
             sa.Column("address_id", sa.Integer, sa.ForeignKey("address.id"), index=True),
             sa.Column("restricted", sa.Boolean, nullable=False, server_default=sa.false()),
             sa.Column("closed_at", sa.DateTime))
    # e-mail identities are matched as lower(email) on PostgreSQL and SQLite (MariaDB: its collation
    # ignores case, and the plain index serves)
    for dialect in ("sqlite", "postgresql"):
        sa.event.listen(customer, "after_create", sa.DDL(
            "CREATE INDEX ix_customer_email_lower ON customer (lower(email))").execute_if(dialect=dialect))
    sa.Table("orders", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), index=True),
             sa.Column("ordered_at", sa.DateTime, nullable=False),
             sa.Column("delivery_name", s(200)), sa.Column("order_email", s(200)),
             sa.Column("total", sa.Numeric(10, 2), nullable=False))
    sa.Table("order_items", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("order_id", sa.Integer, sa.ForeignKey("orders.id"), nullable=False, index=True),
             sa.Column("product", s(100), nullable=False), sa.Column("qty", sa.Integer, nullable=False),
             sa.Column("gift_message", s(500)))
    sa.Table("payment_card", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), index=True),
             sa.Column("card_number", s(19), nullable=False), sa.Column("holder_name", s(200)),
             sa.Column("expires_on", sa.Date))
    sa.Table("login", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True),
             sa.Column("username", s(100), nullable=False), sa.Column("last_ip", s(45)),
             sa.Column("last_login_at", sa.DateTime))
    sa.Table("invoice", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True),
             sa.Column("issued_on", sa.Date, nullable=False), sa.Column("billing_name", s(200)),
             sa.Column("amount", sa.Numeric(10, 2), nullable=False),
             sa.Column("restricted", sa.Boolean, nullable=False, server_default=sa.false()))
    return md


def support_metadata() -> sa.MetaData:
    """The support system's tables."""
    md = sa.MetaData()
    sa.Table("ticket", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("caller_phone", sa.String(40), index=True), sa.Column("body", sa.Text),
             sa.Column("opened_at", sa.DateTime, nullable=False))
    return md


def _dt(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0)


SHOP_ROWS: dict[str, list[dict[str, object]]] = {
    "address": [
        {"id": 1, "street": "Strandvejen 1", "postcode": "2100", "city": "København Ø"},
        {"id": 2, "street": "Bygaden 7", "postcode": "8000", "city": "Aarhus C"},
    ],
    "customer": [
        {"id": 1, "customer_no": 1001, "email": "jane@example.dk", "phone": "20 12 34 56",
         "name": "Jane Jensen", "birth_date": date(1985, 4, 12), "address_id": 1, "closed_at": None},
        {"id": 2, "customer_no": 1002, "email": "john@example.dk", "phone": "+4531313131",
         "name": "John Jensen", "birth_date": date(1983, 1, 2), "address_id": 1, "closed_at": None},
        {"id": 3, "customer_no": 1003, "email": "ole@example.dk", "phone": None,
         "name": "Ole Olsen", "birth_date": None, "address_id": 2, "closed_at": _dt(2024, 1, 31)},
    ],
    "orders": [
        {"id": 10, "customer_id": 1, "ordered_at": _dt(2024, 3, 9), "delivery_name": "Jane Jensen",
         "order_email": "jane@example.dk", "total": Decimal("499.00")},
        {"id": 11, "customer_id": 1, "ordered_at": _dt(2017, 4, 30), "delivery_name": "Jane J.",
         "order_email": "jane@example.dk", "total": Decimal("120.50")},
        {"id": 12, "customer_id": 2, "ordered_at": _dt(2024, 5, 1), "delivery_name": "John Jensen",
         "order_email": "john@example.dk", "total": Decimal("75.00")},
        {"id": 13, "customer_id": 3, "ordered_at": _dt(2023, 12, 1), "delivery_name": "Ole Olsen",
         "order_email": "ole@example.dk", "total": Decimal("30.00")},
    ],
    "order_items": [
        {"id": 100, "order_id": 10, "product": "Kaffekande", "qty": 1, "gift_message": "Til mor"},
        {"id": 101, "order_id": 10, "product": "Kopper", "qty": 4, "gift_message": None},
        {"id": 102, "order_id": 11, "product": "Te", "qty": 2, "gift_message": None},
        {"id": 103, "order_id": 12, "product": "Bog", "qty": 1, "gift_message": None},
        {"id": 104, "order_id": 13, "product": "Kort", "qty": 3, "gift_message": "Hej Ole"},
    ],
    "payment_card": [
        {"id": 20, "customer_id": 1, "card_number": "4571123412341234", "holder_name": "JANE JENSEN",
         "expires_on": date(2027, 8, 31)},
        {"id": 21, "customer_id": 3, "card_number": "5019000011112222", "holder_name": "OLE OLSEN",
         "expires_on": date(2026, 1, 31)},
    ],
    "login": [
        {"id": 30, "customer_id": 1, "username": "janej", "last_ip": "192.0.2.10",
         "last_login_at": _dt(2025, 5, 30)},
        {"id": 31, "customer_id": 2, "username": "johnj", "last_ip": "192.0.2.11",
         "last_login_at": _dt(2025, 5, 1)},
        {"id": 32, "customer_id": 3, "username": "ole", "last_ip": "192.0.2.12",
         "last_login_at": _dt(2024, 1, 20)},
    ],
    "invoice": [
        {"id": 40, "customer_id": 1, "issued_on": date(2024, 3, 10), "billing_name": "Jane Jensen",
         "amount": Decimal("499.00")},
        {"id": 41, "customer_id": 1, "issued_on": date(2017, 5, 1), "billing_name": "Jane J.",
         "amount": Decimal("120.50")},
        {"id": 42, "customer_id": 2, "issued_on": date(2024, 5, 2), "billing_name": "John Jensen",
         "amount": Decimal("75.00")},
    ],
}

SUPPORT_ROWS: dict[str, list[dict[str, object]]] = {
    "ticket": [
        {"id": 1, "caller_phone": "+4520123456", "body": "Min kaffekande er gået i stykker",
         "opened_at": _dt(2025, 4, 2)},
        {"id": 2, "caller_phone": "+4531313131", "body": "Hvor er min bog?", "opened_at": _dt(2025, 5, 3)},
        {"id": 3, "caller_phone": "+4540404040", "body": "Spørgsmål om levering",
         "opened_at": _dt(2025, 5, 4)},
    ],
}


def _fill(url: str, md: sa.MetaData, rows: dict[str, list[dict[str, object]]]) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            md.create_all(conn)
            for table in md.sorted_tables:
                if rows.get(table.name):
                    conn.execute(table.insert(), rows[table.name])
    finally:
        engine.dispose()


def build_shop(url: str) -> None:
    """Create the shop system's tables and rows in an empty database."""
    _fill(url, shop_metadata(), SHOP_ROWS)


def build_support(url: str) -> None:
    """Create the support system's table and rows in an empty database."""
    _fill(url, support_metadata(), SUPPORT_ROWS)


@dataclass
class Shop:
    """A built webshop: its policy, the environment for its ${VAR}s, and the URLs."""

    policy: Policy
    env: dict[str, str]
    shop_url: str
    support_url: str

    def systems(self) -> Systems:
        """New connectors for the shop's systems."""
        return Systems(self.policy, self.env)

    def datamap(self) -> DataMap:
        """The data map graph."""
        return DataMap(self.policy)


def build(shop_url: str, directory: Path) -> Shop:
    """Build the shop on a URL and the support system as SQLite in a directory."""
    support_url = f"sqlite:///{directory / 'support.db'}"
    build_shop(shop_url)
    build_support(support_url)
    return Shop(webshop_policy(), {"SHOP_DB": shop_url, "SUPPORT_DB": support_url}, shop_url, support_url)


def write_policy(directory: Path) -> Path:
    """Write the webshop's policy file (privacy.yaml) into a directory."""
    path = directory / "privacy.yaml"
    path.write_text(POLICY_YAML, encoding="utf-8")
    return path


def reset_shop(url: str) -> None:
    """Give a database the shop's tables with their original rows (rows only, when the tables exist)."""
    md = shop_metadata()
    engine = sa.create_engine(url)
    try:
        existing = set(sa.inspect(engine).get_table_names())
        if existing != set(md.tables):
            found = sa.MetaData()
            with quiet_reflection():
                found.reflect(engine)
            found.drop_all(engine)
            with engine.begin() as conn:
                md.create_all(conn)
        with engine.begin() as conn:
            for table in reversed(md.sorted_tables):
                conn.execute(table.delete())
            for table in md.sorted_tables:
                conn.execute(table.insert(), SHOP_ROWS[table.name])
    finally:
        engine.dispose()
