"""Build Kabelkart Programvare AS's synthetic customer register (example `network-software-vendor`).

    python build_db.py sqlite:///kabelkart.db [--customers 50] [--seed 1]
    CRM_DB_URL=sqlite:///kabelkart.db python build_db.py

Tables match the data map in privacy.yaml (system `customer_register`). Fixed people:
- Kari Nordmann <kari@fiberlaget.example>, +4791234567, customer number KK-00001 at
  Fiberlaget Vest AS: registered 10 March 2016, so on the contact list as a legacy consent
  (source 'legacy', before 25 May 2018); licences, two courses, correspondence, invoices.
- Ola Nordmann <ola@fiberlaget.example>, +4741234567: same company (shares its address).
- Ingrid Lie <ingrid@bredband-lie.example>: her company stopped being a customer 2 years ago
  (retention 'until relationship_end': expired); invoices still within bookkeeping.
- Staff access register: trond.berg@kabelkart.example (active, reviewed this quarter) and
  silje.moen@kabelkart.example (access revoked 3 years ago: past 2 years, expired).
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
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

ENV_VARS = ("CRM_DB_URL",)
KARI = {"name": "Kari Nordmann", "email": "kari@fiberlaget.example", "phone": "+4791234567",
        "customer_no": "KK-00001"}
OLA = {"name": "Ola Nordmann", "email": "ola@fiberlaget.example", "phone": "+4741234567",
       "customer_no": "KK-00002"}
INGRID = {"name": "Ingrid Lie", "email": "ingrid@bredband-lie.example", "phone": "+4792345678",
          "customer_no": "KK-00003"}
LEGACY_BEFORE = datetime(2018, 5, 25)
_COURSES = ["Kabelkart grunnkurs", "Kabelkart fiber", "Kabelkart rapporter", "Kabelkart API"]


def metadata() -> MetaData:
    """The customer register's tables, with indexes on identity, ownership and anchor columns."""
    md = MetaData()
    Table("company", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(200), nullable=True),
          Column("orgnr", String(16), nullable=True, index=True),
          Column("delivery_address", String(300), nullable=True),
          Column("invoice_address", String(300), nullable=True),
          Column("customer_since", DateTime, nullable=False),
          Column("customer_until", DateTime, nullable=True, index=True))
    Table("contact", md,
          Column("id", Integer, primary_key=True),
          Column("company_id", Integer, ForeignKey("company.id"), nullable=True, index=True),
          Column("customer_no", String(64), nullable=True, index=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("registered_at", DateTime, nullable=False),
          Column("relationship_ended_at", DateTime, nullable=True, index=True),
          Column("restricted", Boolean, nullable=False, default=False))
    Table("mailing_list", md,
          Column("id", Integer, primary_key=True),
          Column("contact_id", Integer, ForeignKey("contact.id"), nullable=True, index=True),
          Column("email", String(254), nullable=True, index=True),
          Column("name", String(200), nullable=True),
          Column("company", String(200), nullable=True),
          Column("browser", String(100), nullable=True),
          Column("source", String(16), nullable=False),
          Column("subscribed_at", DateTime, nullable=False))
    Table("license", md,
          Column("id", Integer, primary_key=True),
          Column("contact_id", Integer, ForeignKey("contact.id"), nullable=False, index=True),
          Column("product", String(100), nullable=True),
          Column("license_key", String(64), nullable=False),
          Column("sent_to", String(254), nullable=True),
          Column("sent_at", DateTime, nullable=False),
          Column("maintenance_until", DateTime, nullable=True, index=True))
    Table("course_participation", md,
          Column("id", Integer, primary_key=True),
          Column("contact_id", Integer, ForeignKey("contact.id"), nullable=False, index=True),
          Column("course", String(100), nullable=True),
          Column("attended_on", Date, nullable=False),
          Column("relationship_ended_at", DateTime, nullable=True, index=True))
    Table("correspondence", md,
          Column("id", Integer, primary_key=True),
          Column("contact_id", Integer, ForeignKey("contact.id"), nullable=False, index=True),
          Column("direction", String(8), nullable=False),
          Column("subject", String(200), nullable=True),
          Column("body", Text, nullable=True),
          Column("sent_at", DateTime, nullable=False),
          Column("relationship_ended_at", DateTime, nullable=True, index=True))
    Table("invoice", md,
          Column("id", Integer, primary_key=True),
          Column("contact_id", Integer, ForeignKey("contact.id"), nullable=False, index=True),
          Column("company_id", Integer, ForeignKey("company.id"), nullable=True, index=True),
          Column("invoice_no", String(32), nullable=False),
          Column("invoice_date", Date, nullable=False, index=True),
          Column("billing_name", String(200), nullable=True),
          Column("invoice_address", String(300), nullable=True),
          Column("amount", Numeric(12, 2), nullable=False))
    Table("staff_access", md,
          Column("id", Integer, primary_key=True),
          Column("employee_name", String(200), nullable=True),
          Column("employee_email", String(254), nullable=True, index=True),
          Column("access_level", String(32), nullable=True),
          Column("granted_at", DateTime, nullable=False),
          Column("granted_by", String(200), nullable=False),
          Column("last_reviewed_at", DateTime, nullable=True),
          Column("revoked_at", DateTime, nullable=True, index=True))
    return md


def build(url: str, *, customers: int = 50, seed: int = 1, now: datetime | None = None) -> dict[str, int]:
    """Create the customer register at url and fill it; returns rows per table."""
    at = to_naive_utc(now)
    s = Synth(seed, "NO", at)
    s.reserve(emails=[p["email"] for p in (KARI, OLA, INGRID)],
              phones=[p["phone"] for p in (KARI, OLA, INGRID)])
    md = metadata()
    rows = Rows(md)
    add = rows.add

    days = 365
    companies: list[dict[str, Any]] = [
        {"name": "Fiberlaget Vest AS", "since": datetime(2016, 3, 10, 9, 30), "until": None,
         "people": [(KARI, datetime(2016, 3, 10, 9, 30)), (OLA, at - timedelta(days=3 * days))]},
        {"name": "Bredbånd Lie AS", "since": at - timedelta(days=7 * days),
         "until": at - timedelta(days=2 * days), "people": [(INGRID, at - timedelta(days=7 * days))]},
    ]
    n_companies = max(1, customers // 2)
    for _ in range(max(0, n_companies - len(companies))):
        name = s.company()
        since = s.ago(12 * days, 30)
        until = s.after(since, 10 * days, 180) if s.chance(0.3) else None
        if until is not None and until >= at - timedelta(days=1):
            until = None
        people = []
        for _ in range(s.rng.randint(1, 3)):
            person = s.name()
            people.append(
                (
                    {"name": person, "email": s.email(person, s.domain(name)), "phone": s.mixed_phone(),
                     "customer_no": None},
                    s.after(since, 2 * days),
                )
            )
        companies.append({"name": name, "since": since, "until": until, "people": people})

    contact_no = 0
    invoice_no = 70000
    for c in companies:
        street, postcode, city = s.street()
        address = f"{street}, {postcode} {city}"
        company_id = add("company", name=c["name"], orgnr=s.registration(), delivery_address=address,
                         invoice_address=address, customer_since=c["since"], customer_until=c["until"])
        for person, registered in c["people"]:
            contact_no += 1
            ended = c["until"]
            cid = add("contact", company_id=company_id,
                      customer_no=person["customer_no"] or f"KK-{contact_no:05d}", name=person["name"],
                      email=person["email"], phone=person["phone"], registered_at=registered,
                      relationship_ended_at=ended, restricted=False)
            legacy = registered < LEGACY_BEFORE
            if person is KARI or legacy or s.chance(0.5):
                add("mailing_list", contact_id=cid, email=person["email"], name=person["name"],
                    company=c["name"], browser=None if legacy else s.user_agent(),
                    source="legacy" if legacy else "customer", subscribed_at=registered)
            for _ in range(2 if person is KARI else s.rng.randint(0, 3)):
                sent = s.after(registered, 6 * days)
                maintenance = ended or sent + timedelta(days=days * s.rng.randint(1, 6))
                add("license", contact_id=cid,
                    product=s.pick(["Kabelkart Pro", "Kabelkart Fiber", "Kabelkart Viewer"]),
                    license_key=f"{s.rng.getrandbits(80):020X}", sent_to=person["email"], sent_at=sent,
                    maintenance_until=maintenance)
            for _ in range(2 if person is KARI else s.rng.randint(0, 2)):
                add("course_participation", contact_id=cid, course=s.pick(_COURSES),
                    attended_on=s.after(registered, 6 * days).date(), relationship_ended_at=ended)
            for _ in range(3 if person is KARI else s.rng.randint(0, 4)):
                add(
                    "correspondence",
                    contact_id=cid,
                    direction=s.pick(["in", "out"]),
                    subject=s.pick(
                        ["Lisensfornyelse", "Spørsmål om eksport", "Adresseoppdatering", "Kursdato"]
                    ),
                    body="Hei! Takk for henvendelsen.",
                    sent_at=s.after(registered, 6 * days),
                    relationship_ended_at=ended,
                )
            end = ended or at
            for year in range(registered.year, end.year + 1):
                invoice_date = (
                    datetime(year, 1, 15) if year > registered.year else registered + timedelta(days=5)
                )
                if invoice_date > end:
                    continue
                invoice_no += 1
                add("invoice", contact_id=cid, company_id=company_id, invoice_no=str(invoice_no),
                    invoice_date=invoice_date.date(), billing_name=person["name"], invoice_address=address,
                    amount=Decimal(s.rng.randint(500000, 4500000)) / 100)
    # Website registrations (JotForm): not customers, on the list by consent.
    for _ in range(max(1, customers // 3)):
        person = s.name()
        subscribed = s.ago(9 * days)
        add("mailing_list", contact_id=None, email=s.email(person), name=person, company=s.company(),
            browser=s.user_agent(), source="legacy" if subscribed < LEGACY_BEFORE else "jotform",
            subscribed_at=subscribed)
    # Staff access register.
    add("staff_access", employee_name="Trond Berg", employee_email="trond.berg@kabelkart.example",
        access_level="admin", granted_at=at - timedelta(days=5 * days), granted_by="Daglig leder",
        last_reviewed_at=at - timedelta(days=20), revoked_at=None)
    add("staff_access", employee_name="Silje Moen", employee_email="silje.moen@kabelkart.example",
        access_level="read", granted_at=at - timedelta(days=6 * days), granted_by="Daglig leder",
        last_reviewed_at=at - timedelta(days=3 * days + 60), revoked_at=at - timedelta(days=3 * days))
    for _ in range(max(1, customers // 10)):
        person = s.name()
        granted = s.ago(8 * days, 30)
        revoked = s.after(granted, 5 * days, 60) if s.chance(0.4) else None
        add("staff_access", employee_name=person, employee_email=s.email(person, "kabelkart.example"),
            access_level=s.pick(["read", "support", "admin"]), granted_at=granted, granted_by="Daglig leder",
            last_reviewed_at=s.ago(90), revoked_at=revoked if revoked and revoked < at else None)

    return write(url, md, rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the customer register at URL (default $CRM_DB_URL)."""
    return script_main(build, ENV_VARS[0], __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
