"""Build Kystlys Kommunikation ApS's synthetic database (example `agency-with-payments`).

    python build_db.py sqlite:///kystlys.db [--customers 50] [--seed 1]
    AGENCY_DB_URL=sqlite:///kystlys.db python build_db.py

Tables match the data map in privacy.yaml (system `agency`). Card numbers are stored only
as their last 4 digits behind asterisks ('************4242'). Fixed people:
- Jane Jensen <jane@jensen-revision.example>, +4540506070, username 'janej': customer for
  3 years; a current card (expires end of next year) and an old card that expired 2 months
  ago (retention 'until card_expiry': expired); monthly invoices; a logged phone call; the
  newsletter; a note with sensitive data given with consent; a contact-form enquiry from 3
  years ago (2 years after last contact: expired).
- Mette Jensen <mette@jensen-revision.example>: same company, shares Jane's billing address.
- Henrik Lund <henrik@lund-auto.example>: customer relationship ended 6 years ago (past 5
  years: expired; his invoices are past bookkeeping too).
- Security reports: one anonymous, received yesterday (receipt due within 2 business days);
  one from soren.bach@post.example closed 3 years ago (expired).
"""

from __future__ import annotations

import sys
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
)

from persondata.example_data._synth import Rows, Synth, script_main, to_naive_utc, write

ENV_VARS = ("AGENCY_DB_URL",)
JANE = {"name": "Jane Jensen", "email": "jane@jensen-revision.example", "phone": "+4540506070",
        "username": "janej", "company": "Jensen Revision ApS"}
METTE = {"name": "Mette Jensen", "email": "mette@jensen-revision.example", "phone": "+4521232527",
         "username": "mettej", "company": "Jensen Revision ApS"}
HENRIK = {"name": "Henrik Lund", "email": "henrik@lund-auto.example", "phone": "+4528262422",
          "username": "hlund", "company": "Lund Auto ApS"}


def metadata() -> MetaData:
    """The agency's tables, with indexes on identity, ownership and anchor columns."""
    md = MetaData()
    Table("address", md,
          Column("id", Integer, primary_key=True),
          Column("street", String(200), nullable=True),
          Column("postal_code", String(16), nullable=True),
          Column("city", String(100), nullable=True),
          Column("released_at", DateTime, nullable=True, index=True))
    Table("customer", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("company", String(200), nullable=True),
          Column("username", String(100), nullable=True, index=True),
          Column("password_hash", String(200), nullable=True),
          Column("address_id", Integer, ForeignKey("address.id"), nullable=True, index=True),
          Column("created_at", DateTime, nullable=False),
          Column("ended_at", DateTime, nullable=True, index=True),
          Column("restricted", Boolean, nullable=False, default=False))
    Table("payment_card", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False, index=True),
          Column("card_number", String(19), nullable=True),
          Column("brand", String(16), nullable=True),
          Column("expires_on", Date, nullable=False, index=True),
          Column("added_at", DateTime, nullable=False))
    Table("invoice", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False, index=True),
          Column("invoice_no", String(32), nullable=False),
          Column("invoice_date", Date, nullable=False, index=True),
          Column("billing_name", String(200), nullable=True),
          Column("billing_address", String(300), nullable=True),
          Column("card_number", String(19), nullable=True),
          Column("amount", Numeric(12, 2), nullable=False))
    Table("contact_request", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(200), nullable=True),
          Column("address", String(300), nullable=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("email", String(254), nullable=True, index=True),
          Column("message", Text, nullable=True),
          Column("received_at", DateTime, nullable=False),
          Column("last_contact_at", DateTime, nullable=False, index=True))
    Table("contact_log", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=True, index=True),
          Column("name", String(200), nullable=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("email", String(254), nullable=True, index=True),
          Column("channel", String(16), nullable=False),
          Column("note", Text, nullable=True),
          Column("contacted_at", DateTime, nullable=False, index=True))
    Table("newsletter_subscriber", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("subscribed_at", DateTime, nullable=False))
    Table("customer_note", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False, index=True),
          Column("note", Text, nullable=True),
          Column("consent_given_at", DateTime, nullable=False))
    Table("security_report", md,
          Column("id", Integer, primary_key=True),
          Column("reporter_name", String(200), nullable=True),
          Column("reporter_email", String(254), nullable=True, index=True),
          Column("reporter_phone", String(64), nullable=True, index=True),
          Column("description", Text, nullable=True),
          Column("received_at", DateTime, nullable=False),
          Column("receipt_sent_at", DateTime, nullable=True),
          Column("feedback_sent_at", DateTime, nullable=True),
          Column("closed_at", DateTime, nullable=True, index=True))
    return md


def _month_end(year: int, month: int) -> date:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return nxt - timedelta(days=1)


def build(url: str, *, customers: int = 50, seed: int = 1, now: datetime | None = None) -> dict[str, int]:
    """Create the agency's tables at url and fill them; returns rows per table."""
    at = to_naive_utc(now)
    s = Synth(seed, "DK", at)
    fixed = (JANE, METTE, HENRIK)
    s.reserve(emails=[p["email"] for p in fixed] + ["soren.bach@post.example"],
              phones=[p["phone"] for p in fixed])
    md = metadata()
    rows = Rows(md)
    add = rows.add

    days = 365
    shared = s.street()
    people: list[dict[str, Any]] = [
        {**JANE, "created": at - timedelta(days=3 * days), "ended": None, "address": shared},
        {**METTE, "created": at - timedelta(days=2 * days), "ended": None, "address": shared},
        {**HENRIK, "created": at - timedelta(days=9 * days), "ended": at - timedelta(days=6 * days),
         "address": s.street()},
    ]
    for _ in range(max(0, customers - len(people))):
        company = s.company()
        name = s.name()
        created = s.ago(10 * days, 30)
        ended = s.after(created, 9 * days, 60) if s.chance(0.35) else None
        people.append(
            {"name": name, "email": s.email(name, s.domain(company)), "phone": s.mixed_phone(),
             "username": None, "company": company, "created": created,
             "ended": ended if ended and ended < at - timedelta(days=1) else None, "address": s.street()}
        )

    address_ids: dict[tuple[str, str, str], int] = {}
    invoice_no = 30000
    for p in people:
        addr = p["address"]
        if addr not in address_ids:
            address_ids[addr] = add("address", street=addr[0], postal_code=addr[1], city=addr[2],
                                    released_at=p["ended"])
        else:
            rows["address"][address_ids[addr] - 1]["released_at"] = None  # still used
        cid = add("customer", name=p["name"], email=p["email"], phone=p["phone"], company=p["company"],
                  username=p["username"] or p["email"].split("@")[0],
                  password_hash=f"argon2$synthetic${s.rng.getrandbits(64):x}", address_id=address_ids[addr],
                  created_at=p["created"], ended_at=p["ended"], restricted=s.chance(0.02))
        end = p["ended"] or at
        cards: list[tuple[str, date]] = []
        if p is people[0]:
            cards = [
                ("************4242", _month_end(at.year + 1, 12)),
                ("************1881",
                 _month_end((at - timedelta(days=60)).year, (at - timedelta(days=60)).month)),
            ]
        elif s.chance(0.7):
            for _ in range(s.rng.randint(1, 2)):
                expiry = s.after(p["created"], 6 * days, 30)
                if s.chance(0.5):
                    expiry = expiry + timedelta(days=s.rng.randint(30, 3 * days))
                cards.append(
                    (f"************{s.rng.randint(0, 9999):04d}", _month_end(expiry.year, expiry.month))
                )
        for number, expires in cards:
            add("payment_card", customer_id=cid, card_number=number,
                brand=s.pick(["visa", "mastercard", "dankort"]), expires_on=expires,
                added_at=s.after(p["created"], 30))
        card = cards[0][0] if cards else None
        month = p["created"] + timedelta(days=30)
        while month <= end:
            invoice_no += 1
            add("invoice", customer_id=cid, invoice_no=str(invoice_no), invoice_date=month.date(),
                billing_name=p["name"], billing_address=f"{addr[0]}, {addr[1]} {addr[2]}", card_number=card,
                amount=Decimal(s.rng.randint(50000, 900000)) / 100)
            month += timedelta(days=s.pick([30, 31, 91]))
        for _ in range(1 if p is people[0] else s.rng.randint(0, 3)):
            add("contact_log", customer_id=cid, name=p["name"], phone=p["phone"], email=p["email"],
                channel=s.pick(["phone", "email", "visit"]), note="Spørgsmål til kampagneplan.",
                contacted_at=s.after(p["created"], (end - p["created"]).days))
        if p is people[0] or s.chance(0.3):
            add("newsletter_subscriber", name=p["name"], email=p["email"],
                subscribed_at=s.after(p["created"], 90))
        if p is people[0] or s.chance(0.03):
            add("customer_note", customer_id=cid, note="Allergi over for nødder (til arrangementer).",
                consent_given_at=s.after(p["created"], 60))
    jane_street = f"{shared[0]}, {shared[1]} {shared[2]}"
    enquired = at - timedelta(days=3 * days)
    add("contact_request", name=JANE["name"], address=jane_street, phone=JANE["phone"], email=JANE["email"],
        message="Kan I hjælpe med vores nye hjemmeside?", received_at=enquired, last_contact_at=enquired)
    for _ in range(max(1, customers // 2)):
        name = s.name()
        street, postcode, city = s.street()
        received = s.ago(4 * days)
        add("contact_request", name=name, address=f"{street}, {postcode} {city}", phone=s.mixed_phone(),
            email=s.email(name), message="Hvad koster en kampagne?", received_at=received,
            last_contact_at=s.after(received, 30))
        if s.chance(0.3):
            name = s.name()
            add("contact_log", customer_id=None, name=name, phone=s.mixed_phone(), email=s.email(name),
                channel="phone", note="Ringede om ledige stillinger.", contacted_at=s.ago(7 * days))
        if s.chance(0.3):
            name = s.name()
            add("newsletter_subscriber", name=name, email=s.email(name), subscribed_at=s.ago(6 * days))
    add("security_report", reporter_name=None, reporter_email=None, reporter_phone=None,
        description="Jeg kan se andre kunders fakturaer ved at ændre tallet i adressen.",
        received_at=at - timedelta(days=1), receipt_sent_at=None, feedback_sent_at=None, closed_at=None)
    old = at - timedelta(days=3 * days + 30)
    add("security_report", reporter_name="Søren Bach", reporter_email="soren.bach@post.example",
        reporter_phone=None, description="Login-siden viser fejlbesked med e-mailadresser.", received_at=old,
        receipt_sent_at=old + timedelta(days=1), feedback_sent_at=old + timedelta(days=10),
        closed_at=old + timedelta(days=30))

    return write(url, md, rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the database at URL (default $AGENCY_DB_URL)."""
    return script_main(build, ENV_VARS[0], __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
