"""The five-table webshop both sides of bench/vs_fides.sh run on, taken from persondata.testing.webshop.

    .venv/bin/python bench/fides/webshop.py build URL     # create the tables and rows in an empty database
    .venv/bin/python bench/fides/webshop.py reset-sql     # SQL that puts every row back (for the Fides side)

Tables: address, customer, orders, order_items, payment_card — the same schema and rows as
the webshop test fixture (login, invoice and the support system are left out: Fides has no
legal hold, and the issue's comparison is on five tables).
"""

from __future__ import annotations

import argparse
import sys

import sqlalchemy as sa
import yaml
from sqlalchemy.dialects import postgresql

from persondata.policy.model import Policy
from persondata.testing import webshop

TABLES = ("address", "customer", "orders", "order_items", "payment_card")
"""The benchmark's tables, parents first."""

SUBJECT = "jane@example.dk"
"""The customer whose access and erasure are measured (2 orders, 3 items, a card, a shared address)."""


def metadata() -> sa.MetaData:
    """The five tables."""
    full = webshop.shop_metadata()
    md = sa.MetaData()
    for name in TABLES:
        full.tables[name].to_metadata(md)
    return md


def policy() -> Policy:
    """The webshop policy restricted to the five tables (system `shop`, URL ${SHOP_DB})."""
    data = yaml.safe_load(webshop.POLICY_YAML)
    shop = data["systems"]["shop"]
    shop["tables"] = {k: v for k, v in shop["tables"].items() if k in TABLES}
    data["systems"] = {"shop": shop}
    used = {p for t in shop["tables"].values() for p in t.get("purposes", [])}
    data["purposes"] = {k: v for k, v in data["purposes"].items() if k in used}
    used_recipients = {r for p in data["purposes"].values() for r in p.get("recipients", [])}
    data["recipients"] = {k: v for k, v in data["recipients"].items() if k in used_recipients}
    return Policy.model_validate(data)


def build(url: str) -> None:
    """Create the five tables with the fixture's rows in an empty database."""
    md = metadata()
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            md.create_all(conn)
        reset(engine)
    finally:
        engine.dispose()


def reset(engine: sa.Engine) -> None:
    """Put every row back as the fixture has it (children emptied first)."""
    md = metadata()
    with engine.begin() as conn:
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in reversed(TABLES))))
        for table in md.sorted_tables:
            conn.execute(table.insert(), webshop.SHOP_ROWS[table.name])


def reset_sql() -> str:
    """The same reset as PostgreSQL statements with literal values (run by the Fides side)."""
    md = metadata()
    dialect = postgresql.dialect()
    lines = ["TRUNCATE " + ", ".join(f'"{t}"' for t in reversed(TABLES)) + ";"]
    for table in md.sorted_tables:
        for row in webshop.SHOP_ROWS[table.name]:
            stmt = table.insert().values(**row)
            lines.append(str(stmt.compile(dialect=dialect, compile_kwargs={"literal_binds": True})) + ";")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line: build URL | reset-sql."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="create the tables and rows in an empty database")
    b.add_argument("url")
    sub.add_parser("reset-sql", help="print SQL that puts every row back")
    args = parser.parse_args(argv)
    if args.cmd == "build":
        build(args.url)
    else:
        sys.stdout.write(reset_sql())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
