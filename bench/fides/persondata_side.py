"""persondata's side of bench/vs_fides.sh: warm access and erasure of one webshop customer.

    .venv/bin/python bench/fides/persondata_side.py --shop-url URL --state-url URL [--runs 5] [--warmup 3]

Each request goes through the same service call `persondata dsr access|erase` makes
(persondata.dsr.service.access / erase inside one state-database transaction, audited), in
this process after warm-up runs. Two variants are timed:

- `cli`: like the command line, new connectors per request (engine, connection, reflection);
- `kept`: connectors kept open between requests, as a long-running worker does.

The erased rows are put back before every erasure run (not timed). Prints JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
import webshop

from persondata.connectors.sql import Systems
from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.dsr import service
from persondata.identity import Hasher, Identity, make_identity
from persondata.policy.model import Policy


def summary(times: list[float]) -> dict[str, Any]:
    """Median, min and every run, in seconds."""
    return {"median": statistics.median(times), "min": min(times), "runs": times}


class Side:
    """The policy, state database, hasher and shop of one benchmark run."""

    def __init__(self, shop_url: str, state_url: str) -> None:
        self.policy: Policy = webshop.policy()
        self.env = {"SHOP_DB": shop_url}
        self.db = Database(state_url)
        upgrade(self.db)
        self.hasher = Hasher(secrets.token_hex(32))
        self.ids: list[Identity] = [make_identity("email", webshop.SUBJECT, self.policy.controller.country)]
        self.shop = sa.create_engine(shop_url)

    def access(self, systems: Systems | None) -> dict[str, Any]:
        """One access request (as `persondata dsr access --json` computes it)."""
        with self.db.transaction() as session:
            result = service.access(session, self.policy, self.ids, hasher=self.hasher, actor="bench",
                                    env=self.env, systems=systems)
        return result.to_json()

    def erase(self, systems: Systems | None) -> dict[str, Any]:
        """One erasure request (as `persondata dsr erase` makes it)."""
        with self.db.transaction() as session:
            result = service.erase(session, self.policy, self.ids, hasher=self.hasher, actor="bench",
                                   env=self.env, systems=systems)
        if not result.complete:
            raise RuntimeError(f"erasure failed: {result.systems}")
        return result.to_json()

    def reset(self) -> None:
        """Put the webshop's rows back."""
        webshop.reset(self.shop)

    def close(self) -> None:
        """Close the engines."""
        self.shop.dispose()
        self.db.dispose()


def timed(fn: Callable[[], object], runs: int, warmup: int,
          before: Callable[[], None] | None = None) -> list[float]:
    """Seconds per run of fn after warm-up runs; `before` runs untimed ahead of each call."""
    times: list[float] = []
    for i in range(warmup + runs):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        elapsed = time.perf_counter() - start
        if i >= warmup:
            times.append(elapsed)
    return times


def check(side: Side) -> dict[str, Any]:
    """One access and one erasure, checked against the fixture, so the timed runs do real work."""
    side.reset()
    got = side.access(None)
    rows = {t["table"]: len(t["rows"]) for t in got["tables"] + got["references"]}
    expected = {"customer": 1, "orders": 2, "order_items": 3, "payment_card": 1, "address": 1}
    if rows != expected:
        raise RuntimeError(f"access found {rows}, expected {expected}")
    erased = side.erase(None)
    with side.shop.connect() as conn:
        left = conn.execute(sa.text("SELECT count(*) FROM customer WHERE email = :e"),
                            {"e": webshop.SUBJECT}).scalar_one()
    if left:
        raise RuntimeError("the customer's e-mail is still in the customer table after erasure")
    side.reset()
    actions = {t["table"]: sorted({r["action"] for r in t["rows"]}) for t in erased["tables"]}
    return {"access_rows": rows, "erasure_actions": actions, "erasure_totals": erased.get("totals")}


def main(argv: list[str] | None = None) -> int:
    """Run the persondata side and print its figures as JSON."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shop-url", required=True, help="SQLAlchemy URL of the built webshop database")
    parser.add_argument("--state-url", required=True, help="SQLAlchemy URL of an empty state database")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args(argv)

    side = Side(args.shop_url, args.state_url)
    try:
        out: dict[str, Any] = {"check": check(side)}
        for variant in ("cli", "kept"):
            systems = Systems(side.policy, side.env) if variant == "kept" else None
            try:
                out[variant] = {
                    "access": summary(timed(lambda s=systems: side.access(s), args.runs, args.warmup)),
                    "erasure": summary(timed(lambda s=systems: side.erase(s), args.runs, args.warmup,
                                             before=side.reset)),
                }
            finally:
                if systems is not None:
                    systems.close()
        side.reset()
    finally:
        side.close()
    json.dump(out, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
