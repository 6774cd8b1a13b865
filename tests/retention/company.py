"""A test company with one table per retention promise of the five seeds, on any engine.

AS_OF is the moment the tests look at; each row sits just before, at, or just after the
boundary of its rule, across month ends and a leap day.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
import yaml

from persondata.policy.model import Policy

AS_OF = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

POLICY = """
version: 1
controller: {name: Testfirma ApS, country: DK, email: privacy@test.example}
purposes:
  contact_form: {name: Contact form, basis: legitimate_interest, interest: Answer questions,
                 retention: 2 years after last_contact}
  customer: {name: Customers, basis: contract, retention: 5 years after relationship_end}
  recruitment: {name: Recruitment, basis: contract, retention: 6 months after application_rejected}
  account: {name: Accounts, basis: contract, retention: 3 months after account_terminated}
  sms_log: {name: SMS log, basis: contract, retention: 3 months after sent_at}
  sms_by_email: {name: SMS by e-mail, basis: contract, retention: 3 days after received_at}
  bookkeeping: {name: Bookkeeping, basis: legal_obligation, law: Bogføringsloven,
                retention: 5 years after end of year of invoice_date}
  offers: {name: Offers, basis: legitimate_interest, interest: Offers to customers,
           retention: 2 years after last_purchase}
  newsletter: {name: Newsletter, basis: consent, retention: until consent withdrawn,
               consent: {withdraw: Unsubscribe link}}
systems:
  main:
    url: "${COMPANY_URL}"
    tables:
      contact:
        primary_key: id
        identities: {email: email}
        purposes: [contact_form]
        anchors: {last_contact: last_contact_at}
        fields: {name: user.name, email: user.contact.email}
      customer:
        primary_key: id
        identities: {email: email, phone: phone}
        purposes: [customer]
        anchors: {relationship_end: ended_at}
        fields:
          name: {category: user.name, erasure: redact}
          email: {category: user.contact.email, erasure: "null"}
          phone: {category: user.contact.phone_number, erasure: "null"}
          customer_no: {category: user.unique_id, erasure: delete}
      invoice:
        primary_key: id
        belongs_to: {customer_id: customer.id}
        purposes: [bookkeeping, offers]
        anchors: {invoice_date: issued_on, last_purchase: issued_on}
        fields: {billing_name: user.name}
      payment:
        primary_key: id
        belongs_to: {customer_id: customer.id}
        purposes: [bookkeeping, customer]
        anchors: {invoice_date: paid_on}
        fields: {amount: user.financial}
      invoice_line:
        primary_key: id
        belongs_to: {invoice_id: invoice.id}
        fields: {text: user.behavior.purchase_history}
      applicant:
        primary_key: id
        identities: {email: email}
        purposes: [recruitment]
        anchors: {application_rejected: rejected_at}
        fields: {name: user.name, email: user.contact.email}
      account:
        primary_key: id
        identities: {email: email}
        purposes: [account]
        anchors: {account_terminated: terminated_at}
        fields: {email: user.contact.email}
      sms_log:
        primary_key: id
        belongs_to: {account_id: account.id}
        purposes: [sms_log]
        anchors: {sent_at: sent_at}
        opt_out_flag: no_logging
        fields: {recipient: user.contact.phone_number, body: user.content.private}
      sms_email:
        primary_key: id
        belongs_to: {account_id: account.id}
        purposes: [sms_by_email]
        anchors: {received_at: received_at}
        fields:
          body: {category: user.content.private, encrypted: true}
      subscriber:
        primary_key: id
        identities: {email: email}
        purposes: [newsletter]
        fields: {email: user.contact.email}
"""


def policy(url: str) -> Policy:
    """The test policy pointing at a company database."""
    return Policy.model_validate(yaml.safe_load(POLICY.replace("${COMPANY_URL}", url)))


def dt(*args: int) -> datetime:
    """A naive UTC datetime as company databases store them."""
    return datetime(*args)  # type: ignore[misc]


def schema(md: sa.MetaData) -> dict[str, sa.Table]:
    """The company's tables."""
    s = sa.String(200)
    t = {
        "contact": sa.Table("contact", md, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("name", s), sa.Column("email", s),
                            sa.Column("last_contact_at", sa.DateTime, index=True)),
        "customer": sa.Table("customer", md, sa.Column("id", sa.Integer, primary_key=True),
                             sa.Column("customer_no", s), sa.Column("name", s), sa.Column("email", s),
                             sa.Column("phone", s), sa.Column("ended_at", sa.DateTime)),
        "invoice": sa.Table("invoice", md, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id")),
                            sa.Column("billing_name", s), sa.Column("issued_on", sa.Date)),
        "payment": sa.Table("payment", md, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("customer_id", sa.Integer, sa.ForeignKey("customer.id")),
                            sa.Column("amount", sa.Integer), sa.Column("paid_on", sa.Date)),
        "invoice_line": sa.Table("invoice_line", md, sa.Column("id", sa.Integer, primary_key=True),
                                 sa.Column("invoice_id", sa.Integer, sa.ForeignKey("invoice.id")),
                                 sa.Column("text", s)),
        "applicant": sa.Table("applicant", md, sa.Column("id", sa.Integer, primary_key=True),
                              sa.Column("name", s), sa.Column("email", s),
                              sa.Column("rejected_at", sa.DateTime)),
        "account": sa.Table("account", md, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("email", s), sa.Column("terminated_at", sa.DateTime)),
        "sms_log": sa.Table("sms_log", md, sa.Column("id", sa.Integer, primary_key=True),
                            sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
                            sa.Column("recipient", s), sa.Column("body", s),
                            sa.Column("sent_at", sa.DateTime), sa.Column("no_logging", sa.Boolean)),
        "sms_email": sa.Table("sms_email", md, sa.Column("id", sa.Integer, primary_key=True),
                              sa.Column("account_id", sa.Integer, sa.ForeignKey("account.id")),
                              sa.Column("body", sa.Text), sa.Column("received_at", sa.DateTime)),
        "subscriber": sa.Table("subscriber", md, sa.Column("id", sa.Integer, primary_key=True),
                               sa.Column("email", s)),
    }
    return t


ROWS: dict[str, list[dict[str, Any]]] = {
    # 2 years after last contact: 1 and 3 have expired (3 exactly at AS_OF), 2 one hour later, 4 never.
    "contact": [
        {"id": 1, "name": "Old Contact", "email": "old@x.dk", "last_contact_at": dt(2023, 2, 28, 11)},
        {"id": 2, "name": "New Contact", "email": "new@x.dk", "last_contact_at": dt(2023, 3, 1, 13)},
        {"id": 3, "name": "Edge Contact", "email": "edge@x.dk", "last_contact_at": dt(2023, 3, 1, 12)},
        {"id": 4, "name": "Open Contact", "email": "open@x.dk", "last_contact_at": None},
    ],
    # 5 years after the relationship ended: 1 ended on a leap day (expired 2025-02-28) but owns a
    # held invoice -> anonymised and kept; 2 is a customer still; 3 expired, no invoices -> deleted.
    "customer": [
        {"id": 1, "customer_no": "C1", "name": "Leap Day", "email": "leap@x.dk", "phone": "+4520000001",
         "ended_at": dt(2020, 2, 29, 9)},
        {"id": 2, "customer_no": "C2", "name": "Active", "email": "active@x.dk", "phone": None,
         "ended_at": None},
        {"id": 3, "customer_no": "C3", "name": "Gone", "email": "gone@x.dk", "phone": None,
         "ended_at": dt(2019, 5, 1)},
        {"id": 4, "customer_no": "C4", "name": "Soon", "email": "soon@x.dk", "phone": None,
         "ended_at": dt(2020, 3, 2)},
    ],
    # Bookkeeping 5 years after end of year + offers 2 years: 2019 invoices have expired
    # (1 January 2025), the one of 1 January 2020 is held by bookkeeping until 2026.
    "invoice": [
        {"id": 1, "customer_id": 1, "billing_name": "Leap Day", "issued_on": date(2019, 12, 31)},
        {"id": 2, "customer_id": 1, "billing_name": "Leap Day", "issued_on": date(2020, 1, 1)},
        {"id": 3, "customer_id": 3, "billing_name": "Gone", "issued_on": date(2019, 1, 2)},
    ],
    # Bookkeeping + the customer relationship (anchor on the owner): customer 2 is still a
    # customer, so only a deferred erasure can remove payment 1 once bookkeeping lets go.
    "payment": [
        {"id": 1, "customer_id": 2, "amount": 100, "paid_on": date(2019, 6, 1)},
        {"id": 2, "customer_id": 2, "amount": 200, "paid_on": date(2024, 6, 1)},
    ],
    "invoice_line": [
        {"id": 1, "invoice_id": 1, "text": "Router"},
        {"id": 2, "invoice_id": 2, "text": "Switch"},
        {"id": 3, "invoice_id": 3, "text": "Cable"},
    ],
    # 6 months after rejection: 31 Aug + 6 months = 28 Feb (expired); 1 Sep 12:00:01 not yet.
    "applicant": [
        {"id": 1, "name": "Rejected", "email": "rej@x.dk", "rejected_at": dt(2024, 8, 31, 8)},
        {"id": 2, "name": "Later", "email": "later@x.dk", "rejected_at": dt(2024, 9, 1, 12, 0, 1)},
        {"id": 3, "name": "Pending", "email": "pending@x.dk", "rejected_at": None},
    ],
    # 3 months after the account closed: 30 Nov + 3 months = 28 Feb (expired).
    "account": [
        {"id": 1, "email": "closed@x.dk", "terminated_at": dt(2024, 11, 30, 10)},
        {"id": 2, "email": "open@x.dk", "terminated_at": None},
        {"id": 3, "email": "optout@x.dk", "terminated_at": None},
    ],
    # SMS log 3 months after sending; 3 is flagged no_logging (expires at once).
    "sms_log": [
        {"id": 1, "account_id": 2, "recipient": "+4520000002", "body": "hi",
         "sent_at": dt(2024, 12, 1, 11, 59), "no_logging": False},
        {"id": 2, "account_id": 2, "recipient": "+4520000002", "body": "hey",
         "sent_at": dt(2024, 12, 1, 12, 1), "no_logging": False},
        {"id": 3, "account_id": 2, "recipient": "+4520000003", "body": "secret", "sent_at": dt(2025, 2, 28),
         "no_logging": True},
        {"id": 4, "account_id": 1, "recipient": "+4520000004", "body": "old", "sent_at": dt(2024, 10, 1),
         "no_logging": False},
        {"id": 5, "account_id": 3, "recipient": "+4520000005", "body": "opt", "sent_at": dt(2025, 2, 27),
         "no_logging": False},
    ],
    # SMS by e-mail 3 days: 26 Feb 12:00 has just expired, 27 Feb has not.
    "sms_email": [
        {"id": 1, "account_id": 2, "body": None, "received_at": dt(2025, 2, 26, 12)},
        {"id": 2, "account_id": 2, "body": None, "received_at": dt(2025, 2, 27, 9)},
    ],
    "subscriber": [
        {"id": 1, "email": "withdrawn@x.dk"},
        {"id": 2, "email": "given@x.dk"},
        {"id": 3, "email": "unknown@x.dk"},
    ],
}


def build(url: str, rows: dict[str, list[dict[str, Any]]] | None = None) -> sa.Engine:
    """Create the tables and insert the rows; returns the engine (dispose it when done)."""
    engine = sa.create_engine(url)
    md = sa.MetaData()
    tables = schema(md)
    md.create_all(engine)
    with engine.begin() as conn:
        for name in ("contact", "customer", "invoice", "payment", "invoice_line", "applicant", "account",
                     "sms_log", "sms_email", "subscriber"):
            data = (rows or ROWS).get(name)
            if data:
                conn.execute(tables[name].insert(), data)
    return engine


def ids(engine: sa.Engine, table: str) -> list[int]:
    """Primary keys left in a table."""
    with engine.connect() as conn:
        return sorted(r[0] for r in conn.execute(sa.text(f"SELECT id FROM {table}")))


def row(engine: sa.Engine, table: str, key: int) -> dict[str, Any] | None:
    """One row as a dict."""
    with engine.connect() as conn:
        found = conn.execute(sa.text(f"SELECT * FROM {table} WHERE id = :k"), {"k": key}).first()
    return dict(found._mapping) if found else None


def utc(d: datetime) -> datetime:
    """An aware UTC datetime."""
    return d.replace(tzinfo=UTC)
