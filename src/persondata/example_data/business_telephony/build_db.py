"""Build Vesterhav Telecom A/S's synthetic telephony database (example `business-telephony`).

    python build_db.py sqlite:///vesterhav.db [--customers 50] [--seed 1]
    TELEPHONY_DB_URL=sqlite:///vesterhav.db python build_db.py

Tables match the data map in privacy.yaml (system `telephony`). Location is stored at
country level only. Fixed people:
- Jens Hansen <jens@tomrer-hansen.example>, +4540414243: a phone user whose data came via
  his employer Tømrer Hansen ApS (customer number 1000001); 40 calls over the last 8 months
  (older than 6 months: expired traffic data; older than 3 months: past network management);
  listed in directory services (unlisted numbers' listings expire at once); a support
  ticket closed 2 years ago (past 1 year: expired)
  and one closed last month.
- Mette Hansen <mette@tomrer-hansen.example>, +4522446688: the employer's contact person.
- Anne Holm <anne@tomrer-hansen.example>, +4525262728: Jens's colleague at the same site
  (shared business address, site 1).
- Bent Poulsen <bent@poulsen-vvs.example>, +4529303132: subscription ended 4 years ago (past
  3 years after relationship end: expired).
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

ENV_VARS = ("TELEPHONY_DB_URL",)
JENS = {"name": "Jens Hansen", "email": "jens@tomrer-hansen.example", "phone": "+4540414243"}
METTE = {"name": "Mette Hansen", "email": "mette@tomrer-hansen.example", "phone": "+4522446688"}
ANNE = {"name": "Anne Holm", "email": "anne@tomrer-hansen.example", "phone": "+4525262728"}
BENT = {"name": "Bent Poulsen", "email": "bent@poulsen-vvs.example", "phone": "+4529303132"}
_COUNTRIES = ["DK"] * 14 + ["SE", "DE", "NO", "GB", "ES", "US"]


def metadata() -> MetaData:
    """The telephony tables, with indexes on identity, ownership and anchor columns."""
    md = MetaData()
    Table("business_customer", md,
          Column("id", Integer, primary_key=True),
          Column("customer_no", String(64), nullable=True, index=True),
          Column("company_name", String(200), nullable=True),
          Column("cvr", String(16), nullable=True, index=True),
          Column("contact_name", String(200), nullable=True),
          Column("contact_email", String(254), nullable=True, index=True),
          Column("contact_phone", String(64), nullable=True, index=True),
          Column("account_number", String(32), nullable=True),
          Column("created_at", DateTime, nullable=False),
          Column("ended_at", DateTime, nullable=True, index=True),
          Column("restricted", Boolean, nullable=False, default=False))
    Table("site", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("business_customer.id"), nullable=False, index=True),
          Column("street", String(200), nullable=True),
          Column("postal_code", String(16), nullable=True),
          Column("city", String(100), nullable=True),
          Column("closed_at", DateTime, nullable=True, index=True))
    Table("phone_user", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("business_customer.id"), nullable=False, index=True),
          Column("site_id", Integer, ForeignKey("site.id"), nullable=True, index=True),
          Column("name", String(200), nullable=True),
          Column("phone_number", String(64), nullable=True, index=True),
          Column("email", String(254), nullable=True, index=True),
          Column("created_at", DateTime, nullable=False),
          Column("ended_at", DateTime, nullable=True, index=True),
          Column("restricted", Boolean, nullable=False, default=False))
    Table("directory_listing", md,
          Column("id", Integer, primary_key=True),
          Column("phone_user_id", Integer, ForeignKey("phone_user.id"), nullable=False, index=True),
          Column("listed_name", String(200), nullable=True),
          Column("listed_number", String(64), nullable=True),
          Column("listed_address", String(300), nullable=True),
          Column("unlisted", Boolean, nullable=False, default=False, index=True),
          Column("ended_at", DateTime, nullable=True, index=True))
    Table("call_record", md,
          Column("id", Integer, primary_key=True),
          Column("phone_user_id", Integer, ForeignKey("phone_user.id"), nullable=False, index=True),
          Column("a_number", String(32), nullable=True),
          Column("b_number", String(32), nullable=True),
          Column("started_at", DateTime, nullable=False, index=True),
          Column("duration_s", Integer, nullable=True),
          Column("price", Numeric(10, 2), nullable=True),
          Column("country_from", String(2), nullable=True),
          Column("country_to", String(2), nullable=True))
    Table("invoice", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("business_customer.id"), nullable=False, index=True),
          Column("invoice_no", String(32), nullable=False),
          Column("invoice_date", Date, nullable=False, index=True),
          Column("billing_name", String(200), nullable=True),
          Column("usage_summary", String(200), nullable=True),
          Column("amount", Numeric(12, 2), nullable=False))
    Table("support_ticket", md,
          Column("id", Integer, primary_key=True),
          Column("phone_user_id", Integer, ForeignKey("phone_user.id"), nullable=True, index=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("description", Text, nullable=True),
          Column("opened_at", DateTime, nullable=False),
          Column("closed_at", DateTime, nullable=True, index=True))
    Table("newsletter_subscriber", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("company", String(200), nullable=True),
          Column("subscribed_at", DateTime, nullable=False))
    return md


def build(url: str, *, customers: int = 50, seed: int = 1, now: datetime | None = None) -> dict[str, int]:
    """Create the telephony tables at url and fill them; returns rows per table."""
    at = to_naive_utc(now)
    s = Synth(seed, "DK", at)
    fixed = (JENS, METTE, ANNE, BENT)
    s.reserve(emails=[p["email"] for p in fixed], phones=[p["phone"] for p in fixed])
    md = metadata()
    rows = Rows(md)
    add = rows.add

    days = 365
    companies: list[dict[str, Any]] = [
        {"name": "Tømrer Hansen ApS", "contact": METTE, "created": at - timedelta(days=5 * days),
         "ended": None,
         "users": [(JENS, at - timedelta(days=5 * days), None), (ANNE, at - timedelta(days=2 * days), None)]},
        {"name": "Poulsen VVS ApS", "contact": BENT, "created": at - timedelta(days=9 * days),
         "ended": at - timedelta(days=4 * days), "users": [(BENT, at - timedelta(days=9 * days), None)]},
    ]
    for _ in range(max(0, customers - len(companies))):
        name = s.company()
        created = s.ago(9 * days, 30)
        ended = s.after(created, 8 * days, 90) if s.chance(0.3) else None
        ended = ended if ended and ended < at - timedelta(days=1) else None
        domain = s.domain(name)
        contact_name = s.name()
        contact = {"name": contact_name, "email": s.email(contact_name, domain), "phone": s.mixed_phone()}
        users: list[tuple[dict[str, str], datetime, datetime | None]] = [(contact, created, None)]
        for _ in range(s.rng.randint(0, 5)):
            user_name = s.name()
            joined = s.after(created, 3 * days)
            left = s.after(joined, 4 * days, 30) if s.chance(0.2) else None
            users.append(
                ({"name": user_name, "email": s.email(user_name, domain), "phone": s.phone()}, joined,
                 left if left and left < at - timedelta(days=1) else None)
            )
        companies.append(
            {"name": name, "contact": contact, "created": created, "ended": ended, "users": users}
        )

    invoice_no = 900000
    for n, c in enumerate(companies, start=1):
        contact = c["contact"]
        cid = add("business_customer", customer_no=f"{1000000 + n}", company_name=c["name"],
                  cvr=s.registration(), contact_name=contact["name"], contact_email=contact["email"],
                  contact_phone=contact["phone"],
                  account_number=f"{s.rng.randint(1000, 9999)}-{s.rng.randint(10**9, 10**10 - 1)}",
                  created_at=c["created"], ended_at=c["ended"], restricted=False)
        street, postcode, city = s.street()
        site_id = add("site", customer_id=cid, street=street, postal_code=postcode, city=city,
                      closed_at=c["ended"])
        end = c["ended"] or at
        for person, joined, left in c["users"]:
            left = left or c["ended"]
            uid = add("phone_user", customer_id=cid, site_id=site_id, name=person["name"],
                      phone_number=person["phone"], email=person["email"], created_at=joined, ended_at=left,
                      restricted=False)
            add("directory_listing", phone_user_id=uid, listed_name=person["name"],
                listed_number=person["phone"], listed_address=f"{street}, {postcode} {city}",
                unlisted=not (n == 1 or s.chance(0.7)), ended_at=left)
            last = left or at
            first = max(joined, last - timedelta(days=270))
            count = 40 if person is JENS else s.rng.randint(0, 60)
            span = (last - first).total_seconds()
            for i in range(count):
                started = first + timedelta(seconds=span * (i + s.rng.random()) / max(count, 1))
                duration = s.rng.randint(5, 1800)
                dest = s.pick(_COUNTRIES)
                add(
                    "call_record",
                    phone_user_id=uid,
                    a_number=person["phone"],
                    b_number=s.other_phone()
                    if dest == "DK"
                    else f"+{s.rng.randint(30, 49)}{s.rng.randint(10**7, 10**8)}",
                    started_at=started.replace(microsecond=0),
                    duration_s=duration,
                    price=Decimal(duration * (1 if dest == "DK" else 9)) / 100,
                    country_from="DK" if s.chance(0.95) else s.pick(_COUNTRIES),
                    country_to=dest,
                )
            if person is JENS:
                for opened in (at - timedelta(days=2 * days + 10), at - timedelta(days=40)):
                    add("support_ticket", phone_user_id=uid, name=person["name"], email=person["email"],
                        phone=person["phone"], description="Omstilling virker ikke efter kl. 16.",
                        opened_at=opened, closed_at=opened + timedelta(days=3))
            elif s.chance(0.15):
                opened = s.after(joined, (last - joined).days)
                add("support_ticket", phone_user_id=uid, name=person["name"], email=person["email"],
                    phone=person["phone"], description="Telefonen registrerer ikke på netværket.",
                    opened_at=opened, closed_at=s.after(opened, 10, 0.1) if s.chance(0.9) else None)
        month = c["created"] + timedelta(days=30)
        while month <= end:
            invoice_no += 1
            calls = s.rng.randint(20, 900)
            add("invoice", customer_id=cid, invoice_no=str(invoice_no), invoice_date=month.date(),
                billing_name=contact["name"], usage_summary=f"{calls} opkald, {calls * 3} min",
                amount=Decimal(s.rng.randint(19900, 990000)) / 100)
            month += timedelta(days=s.pick([30, 31]))
    for _ in range(max(1, customers // 3)):
        name = s.name()
        company = s.company()
        add("newsletter_subscriber", name=name, email=s.email(name, s.domain(company)), company=company,
            subscribed_at=s.ago(6 * days))
        if s.chance(0.3):
            name = s.name()
            opened = s.ago(3 * days)
            add("support_ticket", phone_user_id=None, name=name, email=s.email(name), phone=s.mixed_phone(),
                description="Kan jeg flytte mit nummer til jer?", opened_at=opened,
                closed_at=s.after(opened, 5, 0.1))

    return write(url, md, rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the database at URL (default $TELEPHONY_DB_URL)."""
    return script_main(build, ENV_VARS[0], __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
