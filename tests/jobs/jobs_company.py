"""A company with several systems whose every row change is logged by triggers (for the job tests)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from persondata.policy.loader import load_policy
from persondata.policy.model import Policy

HEAD = """version: 1
controller:
  name: Nordlys Tele A/S
  country: DK
  registration: "DK12345674"
  email: privacy@nordlys.example
  languages: [da, en]
subjects:
  customer: {name: {da: Kunde, en: Customer}}
recipients:
  sms_partner: {name: Example SMS AB, role: processor, country: SE, dpa_signed: 2020-01-01}
purposes:
  service:
    name: {da: Service, en: Service}
    basis: contract
    subjects: [customer]
    categories: [user.contact.email, user.name]
    recipients: [sms_partner]
    retention: 1 years after relationship_end
  newsletter:
    name: {da: Nyhedsbrev, en: Newsletter}
    basis: consent
    subjects: [customer]
    categories: [user.contact.email]
    retention: until consent withdrawn
    consent: {withdraw: {da: Link i hvert nyhedsbrev, en: Link in every newsletter}, marketing: true}
  statistics:
    name: {da: Statistik, en: Statistics}
    basis: legitimate_interest
    interest: {da: At forbedre vores tjenester, en: To improve our services}
    subjects: [customer]
    categories: [user.contact.email]
    retention: 1 years after relationship_end
rights:
  verification: {erasure: email_code, access: email_code}
systems:
"""
SYSTEM = """  {name}:
    url: "sqlite:///{path}"
    tables:
      customer:
        primary_key: id
        identities: {{email: email}}
        purposes: [service, newsletter, statistics]
        anchors: {{relationship_end: closed_at}}
        fields:
          email: {{category: user.contact.email, erasure: delete}}
          name: user.name
      orders:
        primary_key: id
        belongs_to: {{customer_id: customer.id}}
        purposes: [service]
        fields:
          note: {{category: user.name, erasure: delete}}
"""
SCHEMA = """
CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT, name TEXT, closed_at TEXT);
CREATE INDEX ix_customer_email ON customer (email);
CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer (id), note TEXT);
CREATE INDEX ix_orders_customer_id ON orders (customer_id);
CREATE TABLE erasure_log (seq INTEGER PRIMARY KEY, tbl TEXT, row_id INTEGER, op TEXT);
CREATE TRIGGER customer_del AFTER DELETE ON customer
  BEGIN INSERT INTO erasure_log (tbl, row_id, op) VALUES ('customer', OLD.id, 'delete'); END;
CREATE TRIGGER customer_upd AFTER UPDATE ON customer
  BEGIN INSERT INTO erasure_log (tbl, row_id, op) VALUES ('customer', OLD.id, 'update'); END;
CREATE TRIGGER orders_del AFTER DELETE ON orders
  BEGIN INSERT INTO erasure_log (tbl, row_id, op) VALUES ('orders', OLD.id, 'delete'); END;
CREATE TRIGGER orders_upd AFTER UPDATE ON orders
  BEGIN INSERT INTO erasure_log (tbl, row_id, op) VALUES ('orders', OLD.id, 'update'); END;
"""
JANE = "jane@example.dk"


@dataclass
class Company:
    """Three systems, each holding Jane (customer + 3 orders) and Bob (customer + 2 orders)."""

    directory: Path
    systems: dict[str, Path]
    policy_path: Path
    jane: dict[str, list[tuple[str, int]]]  # system -> her rows (table, id)

    @property
    def policy(self) -> Policy:
        """The loaded policy."""
        return load_policy(self.policy_path).policy

    def log(self, system: str) -> list[tuple[str, int, str]]:
        """Every row change made in a system, in order."""
        with sqlite3.connect(self.systems[system]) as conn:
            return [tuple(r) for r in conn.execute("SELECT tbl, row_id, op FROM erasure_log ORDER BY seq")]

    def count(self, system: str, table: str) -> int:
        """Rows left in a table."""
        with sqlite3.connect(self.systems[system]) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def build_company(directory: Path, n: int = 3) -> Company:
    """Create the systems' databases and the policy file."""
    directory.mkdir(parents=True, exist_ok=True)
    systems, jane = {}, {}
    text = HEAD
    for i in range(1, n + 1):
        name = f"sys{i}"
        path = directory / f"{name}.db"
        with sqlite3.connect(path) as conn:
            conn.executescript(SCHEMA)
            offset = 10 * i  # different ids per system
            conn.execute("INSERT INTO customer VALUES (?, ?, 'Jane Jensen', NULL)", (offset, JANE))
            conn.execute("INSERT INTO customer VALUES (?, 'bob@example.dk', 'Bob Berg', NULL)", (offset + 1,))
            rows = [("customer", offset)]
            for k in range(3):
                conn.execute("INSERT INTO orders VALUES (?, ?, 'for Jane')", (100 * i + k, offset))
                rows.append(("orders", 100 * i + k))
            for k in range(3, 5):
                conn.execute("INSERT INTO orders VALUES (?, ?, 'for Bob')", (100 * i + k, offset + 1))
        systems[name] = path
        jane[name] = rows
        text += SYSTEM.format(name=name, path=path)
    policy_path = directory / "privacy.yaml"
    policy_path.write_text(text)
    return Company(directory, systems, policy_path, jane)
