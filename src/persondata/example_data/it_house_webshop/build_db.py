"""Build Havbro IT A/S's synthetic databases (example `it-house-webshop`).

    python build_db.py sqlite:///havbro.db [--customers 50] [--seed 1]
    WEBSHOP_DB_URL=sqlite:///havbro.db python build_db.py

All three systems of the data map (webshop, crm, recruitment) are created in the one
database at URL; point WEBSHOP_DB_URL, CRM_DB_URL and RECRUITMENT_DB_URL at it.
Fixed people for scenarios:
- Jane Holm <jane@kontorhuset.example>, +4520202020, customer K000001 at Kontorhuset ApS:
  orders 4 years ago (past the 3-year sales rule, invoice still held by bookkeeping), 1 year
  ago and 10 days ago; service cases closed about 4 and 2 years ago (the first expired), web
  visits, a newsletter subscription, a campaign entry (campaign ended 5 months ago: expired);
  also a service contact in the CRM and a job applicant rejected 8 months ago with
  consented sensitive data (past 6 months: expired).
- Peter Kjær <peter@kontorhuset.example>, customer K000002, shares Jane's address (address 1);
  entered a campaign that is still running.
- Lars Bach <lars.bach@post.example>: applicant rejected 2 months ago (kept).
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

ENV_VARS = ("WEBSHOP_DB_URL", "CRM_DB_URL", "RECRUITMENT_DB_URL")
JANE = {"name": "Jane Holm", "email": "jane@kontorhuset.example", "phone": "+4520202020",
        "customer_no": "K000001", "company": "Kontorhuset ApS"}
PETER = {"name": "Peter Kjær", "email": "peter@kontorhuset.example", "phone": "+4521222324",
         "customer_no": "K000002", "company": "Kontorhuset ApS"}
LARS = {"name": "Lars Bach", "email": "lars.bach@post.example", "phone": "+4528293031"}
_PRODUCTS = ['Laptop 14"', "Dockingstation", 'Skærm 27"', "Router", "Switch 24p", "NAS 4-bay",
             "Office-licens", "Antivirus 1 år", "Headset", "Printer", "Online Backup 1 TB", "Firewall"]


def metadata() -> MetaData:
    """The tables of the three systems, with indexes on identity, ownership and anchor columns."""
    md = MetaData()
    Table("address", md,
          Column("id", Integer, primary_key=True),
          Column("street", String(200), nullable=True),
          Column("postal_code", String(16), nullable=True),
          Column("city", String(100), nullable=True),
          Column("last_used_at", DateTime, nullable=True, index=True))
    Table("customer", md,
          Column("id", Integer, primary_key=True),
          Column("customer_no", String(64), nullable=True, index=True),
          Column("company_name", String(200), nullable=True),
          Column("cvr", String(16), nullable=True, index=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("username", String(100), nullable=True),
          Column("password_hash", String(200), nullable=True),
          Column("address_id", Integer, ForeignKey("address.id"), nullable=True, index=True),
          Column("created_at", DateTime, nullable=False),
          Column("last_login_at", DateTime, nullable=True, index=True),
          Column("last_purchase_at", DateTime, nullable=True, index=True),
          Column("restricted", Boolean, nullable=False, default=False))
    Table("orders", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False, index=True),
          Column("order_no", String(32), nullable=False),
          Column("ordered_at", DateTime, nullable=False, index=True),
          Column("delivery_name", String(200), nullable=True),
          Column("delivery_phone", String(64), nullable=True),
          Column("delivery_address_id", Integer, ForeignKey("address.id"), nullable=True, index=True),
          Column("items", Text, nullable=True),
          Column("supplier", String(100), nullable=True),
          Column("total", Numeric(12, 2), nullable=False))
    Table("service_case", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False, index=True),
          Column("kind", String(32), nullable=True),
          Column("contact_name", String(200), nullable=True),
          Column("contact_phone", String(64), nullable=True),
          Column("description", Text, nullable=True),
          Column("opened_at", DateTime, nullable=False),
          Column("closed_at", DateTime, nullable=True, index=True))
    Table("invoice", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=False, index=True),
          Column("invoice_no", String(32), nullable=False),
          Column("invoice_date", Date, nullable=False, index=True),
          Column("billing_name", String(200), nullable=True),
          Column("billing_address", String(300), nullable=True),
          Column("cvr", String(16), nullable=True),
          Column("lines", Text, nullable=True),
          Column("amount", Numeric(12, 2), nullable=False))
    Table("web_visit", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=True, index=True),
          Column("ip_address", String(64), nullable=True),
          Column("user_agent", String(100), nullable=True),
          Column("path", String(200), nullable=True),
          Column("visited_at", DateTime, nullable=False, index=True))
    Table("campaign_entry", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=True, index=True),
          Column("campaign", String(100), nullable=False),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("address", String(300), nullable=True),
          Column("gender", String(16), nullable=True),
          Column("birth_date", Date, nullable=True),
          Column("interests", String(200), nullable=True),
          Column("entered_at", DateTime, nullable=False),
          Column("campaign_ends_at", DateTime, nullable=False, index=True))
    Table("newsletter_subscriber", md,
          Column("id", Integer, primary_key=True),
          Column("customer_id", Integer, ForeignKey("customer.id"), nullable=True, index=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("subscribed_at", DateTime, nullable=False))
    Table("service_contact", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("company_name", String(200), nullable=True),
          Column("cvr", String(16), nullable=True, index=True),
          Column("contract_started_at", DateTime, nullable=False),
          Column("contract_ended_at", DateTime, nullable=True, index=True),
          Column("restricted", Boolean, nullable=False, default=False))
    Table("applicant", md,
          Column("id", Integer, primary_key=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("address", String(300), nullable=True),
          Column("position", String(100), nullable=False),
          Column("cv_text", Text, nullable=True),
          Column("source", String(32), nullable=False),
          Column("applied_at", DateTime, nullable=False),
          Column("rejected_at", DateTime, nullable=True, index=True),
          Column("hired_at", DateTime, nullable=True))
    Table("applicant_sensitive", md,
          Column("id", Integer, primary_key=True),
          Column("applicant_id", Integer, ForeignKey("applicant.id"), nullable=False, index=True),
          Column("cpr", String(16), nullable=True),
          Column("criminal_record", Text, nullable=True),
          Column("health_info", Text, nullable=True),
          Column("consent_given_at", DateTime, nullable=False),
          Column("rejected_at", DateTime, nullable=True, index=True))
    return md


def _cpr(s: Synth, born: datetime) -> str:
    """A CPR-shaped number (ddmmyy-nnnn; modern CPR numbers carry no checksum)."""
    return f"{born:%d%m%y}-{s.rng.randint(1000, 9999)}"


def build(url: str, *, customers: int = 50, seed: int = 1, now: datetime | None = None) -> dict[str, int]:
    """Create the webshop, CRM and recruitment tables at url and fill them; returns rows per table."""
    at = to_naive_utc(now)
    s = Synth(seed, "DK", at)
    s.reserve(emails=[JANE["email"], PETER["email"], LARS["email"]],
              phones=[JANE["phone"], PETER["phone"], LARS["phone"]])
    md = metadata()
    rows = Rows(md)
    add = rows.add

    days = 365
    shared = s.street()
    people: list[dict[str, Any]] = [
        {**JANE, "cvr": s.registration(), "created": at - timedelta(days=6 * days), "address": shared,
         "orders": [at - timedelta(days=4 * days), at - timedelta(days=days), at - timedelta(days=10)],
         "login": at - timedelta(days=3)},
        {**PETER, "cvr": None, "created": at - timedelta(days=2 * days), "address": shared,
         "orders": [at - timedelta(days=200)], "login": at - timedelta(days=40)},
    ]
    people[1]["cvr"] = people[0]["cvr"]
    for _ in range(max(0, customers - len(people))):
        company = s.company()
        name = s.name()
        created = s.ago(9 * days, 30)
        n_orders = s.rng.randint(0, 6)
        orders = sorted(s.after(created, 8 * days) for _ in range(n_orders))
        last = max(orders) if orders else created
        people.append(
            {"name": name, "company": company, "email": s.email(name, s.domain(company)),
             "phone": s.mixed_phone(), "customer_no": None, "cvr": s.registration(), "created": created,
             "address": s.street(), "orders": orders, "login": s.after(last, 2 * days)}
        )

    address_ids: dict[tuple[str, str, str], int] = {}
    order_no = invoice_no = 50000
    for n, p in enumerate(people, start=1):
        orders = p["orders"]
        last_order = max(orders) if orders else None
        addr = p["address"]
        if addr not in address_ids:
            address_ids[addr] = add("address", street=addr[0], postal_code=addr[1], city=addr[2],
                                    last_used_at=last_order)
        else:
            aid = address_ids[addr]
            row = rows["address"][aid - 1]
            if last_order and (row["last_used_at"] is None or row["last_used_at"] < last_order):
                row["last_used_at"] = last_order
        address_id = address_ids[addr]
        cid = add("customer", customer_no=p["customer_no"] or f"K{n:06d}", company_name=p["company"],
                  cvr=p["cvr"], name=p["name"], email=p["email"], phone=p["phone"],
                  username=p["email"].split("@")[0],
                  password_hash=f"argon2$synthetic${s.rng.getrandbits(64):x}", address_id=address_id,
                  created_at=p["created"], last_login_at=p["login"], last_purchase_at=last_order,
                  restricted=s.chance(0.02))
        billing = f"{addr[0]}, {addr[1]} {addr[2]}"
        for ordered in orders:
            order_no += 1
            invoice_no += 1
            items = ", ".join(sorted({str(s.pick(_PRODUCTS)) for _ in range(s.rng.randint(1, 3))}))
            total = Decimal(s.rng.randint(19900, 2500000)) / 100
            add("orders", customer_id=cid, order_no=str(order_no), ordered_at=ordered,
                delivery_name=p["name"], delivery_phone=p["phone"], delivery_address_id=address_id,
                items=items, supplier=s.pick([None, None, None, "Licensleverandør A/S"]), total=total)
            add("invoice", customer_id=cid, invoice_no=str(invoice_no), invoice_date=ordered.date(),
                billing_name=p["name"], billing_address=billing, cvr=p["cvr"], lines=items, amount=total)
        cases = [at - timedelta(days=4 * days), at - timedelta(days=2 * days)] if n == 1 else \
            [s.after(orders[0], 2 * days)] if orders and s.chance(0.3) else []
        for opened in cases:
            add("service_case", customer_id=cid, kind=s.pick(["complaint", "repair", "return", "upgrade"]),
                contact_name=p["name"], contact_phone=p["phone"], description="Skærmen flimrer ved opstart.",
                opened_at=opened, closed_at=s.after(opened, 30, 1) if n == 1 or s.chance(0.9) else None)
        for _ in range(3 if n == 1 else s.rng.randint(0, 12)):
            add("web_visit", customer_id=cid, ip_address=s.ip(), user_agent=s.user_agent(),
                path=s.pick(["/", "/shop", "/kurv", "/konto", "/support"]), visited_at=s.ago(2 * days))
        if n == 1 or s.chance(0.35):
            add("newsletter_subscriber", customer_id=cid, name=p["name"], email=p["email"],
                subscribed_at=s.after(p["created"], 60))
        if n <= 2 or s.chance(0.1):
            ends = {1: at - timedelta(days=150), 2: at + timedelta(days=20)}.get(n) or s.ago(3 * days)
            born = s.ago(60 * days, 20 * days)
            add("campaign_entry", customer_id=cid, campaign=f"Sommerkonkurrence {ends.year}", name=p["name"],
                email=p["email"], phone=p["phone"], address=billing, gender=s.pick(["kvinde", "mand"]),
                birth_date=born.date(), interests=s.pick(["gaming", "netværk", "sikkerhed", "foto"]),
                entered_at=ends - timedelta(days=20), campaign_ends_at=ends)
    for _ in range(max(1, customers // 4)):
        add("web_visit", customer_id=None, ip_address=s.ip(), user_agent=s.user_agent(), path="/",
            visited_at=s.ago(2 * days))
        name = s.name()
        add("newsletter_subscriber", customer_id=None, name=name, email=s.email(name),
            subscribed_at=s.ago(5 * days))

    # CRM: contact persons at IT service customers (Jane is one too).
    add("service_contact", name=JANE["name"], email=JANE["email"], phone=JANE["phone"],
        company_name=JANE["company"], cvr=people[0]["cvr"], contract_started_at=at - timedelta(days=5 * days),
        contract_ended_at=None, restricted=False)
    for _ in range(max(1, customers // 2)):
        company = s.company()
        name = s.name()
        started = s.ago(9 * days, 60)
        ended = s.after(started, 8 * days, 90) if s.chance(0.4) else None
        add("service_contact", name=name, email=s.email(name, s.domain(company)), phone=s.mixed_phone(),
            company_name=company, cvr=s.registration(), contract_started_at=started,
            contract_ended_at=ended if ended and ended < at else None, restricted=False)

    # Recruitment: Jane (rejected 8 months ago, with consented sensitive data), Lars (2 months ago).
    def applicant(person: dict[str, Any], applied: datetime, rejected: datetime | None,
                  hired: datetime | None, sensitive: bool) -> None:
        street, postcode, city = s.street()
        app_id = add("applicant", name=person["name"], email=person["email"], phone=person["phone"],
                     address=f"{street}, {postcode} {city}",
                     position=s.pick(["Supporter", "Systemadministrator", "Udvikler", "Sælger"]),
                     cv_text="Erfaring med Windows Server, netværk og kundeservice.",
                     source=s.pick(["direct", "direct", "linkedin", "facebook", "agency"]),
                     applied_at=applied, rejected_at=rejected, hired_at=hired)
        if sensitive:
            add("applicant_sensitive", applicant_id=app_id, cpr=_cpr(s, s.ago(55 * days, 20 * days)),
                criminal_record="Ren straffeattest.", health_info=None,
                consent_given_at=applied + timedelta(days=1), rejected_at=rejected)

    applicant(JANE, at - timedelta(days=270), at - timedelta(days=240), None, True)
    applicant(LARS, at - timedelta(days=90), at - timedelta(days=60), None, True)
    for _ in range(max(1, customers // 3)):
        name = s.name()
        applied = s.ago(4 * days, 5)
        outcome = s.rng.random()
        rejected = s.after(applied, 60, 5) if outcome < 0.75 else None
        hired = s.after(applied, 60, 5) if outcome > 0.9 else None
        applicant({"name": name, "email": s.email(name), "phone": s.mixed_phone()}, applied, rejected, hired,
                  s.chance(0.3))

    return write(url, md, rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the databases at URL (default $WEBSHOP_DB_URL)."""
    return script_main(build, ENV_VARS[0], __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
