"""Build Signalpost ApS's synthetic SMS gateway database (example `sms-gateway`).

    python build_db.py sqlite:///signalpost.db [--customers 50] [--seed 1]
    GATEWAY_DB_URL=postgresql+psycopg://localhost/signalpost python build_db.py

Tables match the data map in privacy.yaml (system `gateway`). Fixed people for scenarios:
- Jane Madsen <jane@madsen-el.example>, +4520304050, account SP000001: active, logs SMS;
  SMS from the last 6 months (older than 3 months = expired), SMS by e-mail from the last
  6 days (older than 3 days = expired), monthly invoices and payments for 4 years, a newsletter
  subscription and a support request.
- Mikkel Dam <mikkel@dam-transport.example>, +4522334455, account SP000002: opted out of
  logging (`no_logging` on his SMS rows: they expire at once).
- Sofie Krogh <sofie@krogh-design.example>, account SP000003: terminated 5 months ago
  (3 months after termination = expired), invoices kept for bookkeeping; two abuse cases
  reported to an abuse register, one closed 4 years ago (expired), one 200 days ago.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
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

ENV_VARS = ("GATEWAY_DB_URL",)
JANE = {"name": "Jane Madsen", "email": "jane@madsen-el.example", "phone": "+4520304050",
        "account_no": "SP000001", "company": "Madsen El ApS"}
MIKKEL = {"name": "Mikkel Dam", "email": "mikkel@dam-transport.example", "phone": "+4522334455",
          "account_no": "SP000002", "company": "Dam Transport A/S"}
SOFIE = {"name": "Sofie Krogh", "email": "sofie@krogh-design.example", "phone": "+4526272829",
         "account_no": "SP000003", "company": "Krogh Design I/S"}
Encrypt = Callable[[str, str, datetime], str]
"""(account e-mail, plaintext, time) -> vault token, e.g. a persondata Vault under the subject's hash."""


def metadata() -> MetaData:
    """The gateway's tables, with indexes on identity, ownership and anchor columns."""
    md = MetaData()
    Table("account", md,
          Column("id", Integer, primary_key=True),
          Column("account_no", String(64), nullable=True, index=True),
          Column("company_name", String(200), nullable=True),
          Column("cvr", String(16), nullable=True, index=True),
          Column("contact_name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("created_at", DateTime, nullable=False),
          Column("terminated_at", DateTime, nullable=True, index=True),
          Column("logging_opt_out", Boolean, nullable=False, default=False),
          Column("restricted", Boolean, nullable=False, default=False))
    Table("sms_log", md,
          Column("id", Integer, primary_key=True),
          Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
          Column("sender", String(64), nullable=True),
          Column("recipient", String(64), nullable=True),
          Column("body", String(160), nullable=True),
          Column("sent_at", DateTime, nullable=False, index=True),
          Column("status", String(16), nullable=False),
          Column("no_logging", Boolean, nullable=False, default=False, index=True))
    Table("sms_email", md,
          Column("id", Integer, primary_key=True),
          Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
          Column("from_address", String(254), nullable=True),
          Column("to_number", String(64), nullable=True),
          Column("body_ciphertext", Text, nullable=True),
          Column("received_at", DateTime, nullable=False, index=True))
    Table("premium_charge", md,
          Column("id", Integer, primary_key=True),
          Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
          Column("msisdn", String(64), nullable=True),
          Column("amount", Numeric(12, 2), nullable=True),
          Column("charged_at", DateTime, nullable=False, index=True))
    Table("invoice", md,
          Column("id", Integer, primary_key=True),
          Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
          Column("invoice_no", String(32), nullable=False),
          Column("invoice_date", Date, nullable=False, index=True),
          Column("billing_name", String(200), nullable=True),
          Column("company_name", String(200), nullable=True),
          Column("cvr", String(16), nullable=True),
          Column("amount", Numeric(12, 2), nullable=True))
    Table("payment", md,
          Column("id", Integer, primary_key=True),
          Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
          Column("paid_at", DateTime, nullable=False, index=True),
          Column("amount", Numeric(12, 2), nullable=True))
    Table("abuse_case", md,
          Column("id", Integer, primary_key=True),
          Column("account_id", Integer, ForeignKey("account.id"), nullable=False, index=True),
          Column("kind", String(32), nullable=False),
          Column("description", Text, nullable=True),
          Column("detected_at", DateTime, nullable=False),
          Column("reported_to_register", Boolean, nullable=False, default=False),
          Column("closed_at", DateTime, nullable=True, index=True))
    Table("support_request", md,
          Column("id", Integer, primary_key=True),
          Column("account_id", Integer, ForeignKey("account.id"), nullable=True, index=True),
          Column("name", String(200), nullable=True),
          Column("email", String(254), nullable=True, index=True),
          Column("phone", String(64), nullable=True, index=True),
          Column("message", Text, nullable=True),
          Column("opened_at", DateTime, nullable=False),
          Column("closed_at", DateTime, nullable=True, index=True))
    Table("page_view", md,
          Column("id", Integer, primary_key=True),
          Column("account_id", Integer, ForeignKey("account.id"), nullable=True, index=True),
          Column("ip_address", String(64), nullable=True),
          Column("browser", String(64), nullable=True),
          Column("path", String(200), nullable=True),
          Column("viewed_at", DateTime, nullable=False, index=True))
    Table("newsletter_subscription", md,
          Column("id", Integer, primary_key=True),
          Column("account_id", Integer, ForeignKey("account.id"), nullable=True, index=True),
          Column("email", String(254), nullable=True, index=True),
          Column("subscribed_at", DateTime, nullable=False))
    return md


_MESSAGES = ["Din tid hos tandlægen er bekræftet {d}.", "Husk mødet i morgen kl. {h}.",
             "Din pakke er klar til afhentning.", "Vagtplan for uge {w} er opdateret.", "Kode til login: {c}",
             "Alarm: temperatur over grænse i rum {w}.", "Tak for din bestilling, levering {d}.",
             "Servicebesøg bekræftet {d} kl. {h}."]
_PATHS = ["/", "/priser", "/email2sms", "/bulk-sms", "/api", "/support", "/konto", "/login"]


def _message(s: Synth) -> str:
    text = str(s.pick(_MESSAGES)).format(d=f"{s.rng.randint(1, 28)}/{s.rng.randint(1, 12)}",
                                         h=f"{s.rng.randint(7, 18)}:00", w=s.rng.randint(1, 52),
                                         c=s.rng.randint(100000, 999999))
    return text[:160]


def build(url: str, *, customers: int = 50, seed: int = 1, now: datetime | None = None,
          encrypt: Encrypt | None = None) -> dict[str, int]:
    """Create the gateway tables at url and fill them; returns rows per table.

    With `encrypt`, SMS-by-e-mail bodies are real vault tokens; without, they are tokens
    whose key is in no vault (as if already shredded).
    """
    at = to_naive_utc(now)
    s = Synth(seed, "DK", at)
    s.reserve(emails=[p["email"] for p in (JANE, MIKKEL, SOFIE)],
              phones=[p["phone"] for p in (JANE, MIKKEL, SOFIE)])
    md = metadata()
    rows = Rows(md)
    add = rows.add

    people: list[dict[str, Any]] = []
    for fixed, created, terminated, opt_out in (
        (JANE, s.ago(4 * 365 + 30, 4 * 365), None, False),
        (MIKKEL, s.ago(3 * 365, 2 * 365), None, True),
        (SOFIE, s.ago(6 * 365, 5 * 365), at - timedelta(days=150), False),
    ):
        people.append(
            {**fixed, "cvr": s.registration(), "created": created, "terminated": terminated,
             "opt_out": opt_out}
        )
    for _ in range(max(0, customers - len(people))):
        company = s.company()
        name = s.name()
        created = s.ago(8 * 365, 20)
        terminated = s.after(created, 7 * 365, 30) if s.chance(0.35) else None
        if terminated is not None and terminated >= at - timedelta(days=1):
            terminated = None
        people.append(
            {"name": name, "company": company, "email": s.email(name, s.domain(company)),
             "phone": s.mixed_phone(), "account_no": None, "cvr": s.registration(), "created": created,
             "terminated": terminated, "opt_out": s.chance(0.1)}
        )

    invoice_no = 10000
    for n, p in enumerate(people, start=1):
        account_no = p["account_no"] or f"SP{n:06d}"
        aid = add("account", account_no=account_no, company_name=p["company"], cvr=p["cvr"],
                  contact_name=p["name"], email=p["email"], phone=p["phone"], created_at=p["created"],
                  terminated_at=p["terminated"], logging_opt_out=p["opt_out"], restricted=s.chance(0.02))
        end = p["terminated"] or at
        active_from = max(p["created"], end - timedelta(days=180))
        span = (end - active_from).total_seconds()
        count = 30 if p is people[0] else s.rng.randint(0, 40)
        for i in range(count):
            sent = active_from + timedelta(seconds=span * (i + s.rng.random()) / max(count, 1))
            add("sms_log", account_id=aid, sender=p["company"][:11], recipient=s.other_phone(),
                body=_message(s), sent_at=sent.replace(microsecond=0),
                status=s.pick(["delivered", "delivered", "delivered", "failed", "pending"]),
                no_logging=p["opt_out"])
        if p["terminated"] is None:
            for i in range(6 if p is people[0] else s.rng.randint(0, 8)):
                received = at - timedelta(days=i + s.rng.random()) if p is people[0] else s.ago(7)
                body = _message(s)
                token = encrypt(p["email"], body, received) if encrypt else s.fake_ciphertext()
                add("sms_email", account_id=aid, from_address=p["email"], to_number=s.other_phone(),
                    body_ciphertext=token, received_at=received)
        if s.chance(0.2):
            for _ in range(s.rng.randint(1, 6)):
                add("premium_charge", account_id=aid, msisdn=s.other_phone(),
                    amount=Decimal(s.pick(["5.00", "10.00", "25.00", "50.00"])),
                    charged_at=s.after(active_from, 180))
        month = p["created"].replace(day=1, hour=0, minute=0, second=0) + timedelta(days=32)
        while month <= end:
            month = month.replace(day=1)
            invoice_no += 1
            amount = Decimal(s.rng.randint(9900, 250000)) / 100
            add("invoice", account_id=aid, invoice_no=str(invoice_no), invoice_date=month.date(),
                billing_name=p["name"], company_name=p["company"], cvr=p["cvr"], amount=amount)
            paid = month + timedelta(days=s.rng.randint(8, 30))
            if paid < at:
                add("payment", account_id=aid, paid_at=paid, amount=amount)
            month += timedelta(days=32)
        abuse: list[datetime] = []
        if p["account_no"] == SOFIE["account_no"]:  # one case long closed, one recent
            abuse = [at - timedelta(days=4 * 365 + 30), at - timedelta(days=230)]
        elif s.chance(0.08) and p is not people[0]:
            abuse = [s.after(p["created"], 3 * 365)]
        for detected in abuse:
            add("abuse_case", account_id=aid, kind=s.pick(["spam", "fraud", "phishing"]),
                description="Uopfordrede beskeder til mange modtagere.", detected_at=detected,
                reported_to_register=True, closed_at=detected + timedelta(days=30))
        for _ in range(1 if p is people[0] else s.rng.randint(0, 3)):
            opened = s.after(p["created"], 4 * 365)
            add("support_request", account_id=aid, name=p["name"], email=p["email"], phone=p["phone"],
                message="Hvordan sætter jeg afsendernavn op?", opened_at=opened,
                closed_at=s.after(opened, 10, 0.1) if s.chance(0.9) else None)
        for _ in range(s.rng.randint(0, 20)):
            add("page_view", account_id=aid, ip_address=s.ip(), browser=s.user_agent(), path=s.pick(_PATHS),
                viewed_at=s.ago(200))
        if p is people[0] or s.chance(0.4):
            add("newsletter_subscription", account_id=aid, email=p["email"],
                subscribed_at=s.after(p["created"], 30))
    for _ in range(max(1, customers // 5)):
        name = s.name()
        email = s.email(name)
        opened = s.ago(3 * 365)
        add("support_request", account_id=None, name=name, email=email, phone=s.mixed_phone(),
            message="Kan I levere SMS til Norge?", opened_at=opened, closed_at=s.after(opened, 5, 0.1))
        add("page_view", account_id=None, ip_address=s.ip(), browser=s.user_agent(), path="/",
            viewed_at=s.ago(200))

    return write(url, md, rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: build the database at URL (default $GATEWAY_DB_URL)."""
    return script_main(build, ENV_VARS[0], __doc__, argv)


if __name__ == "__main__":
    sys.exit(main())
