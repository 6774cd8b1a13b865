"""persondata's side of bench/vs_fides.sh: warm access and erasure of one webshop customer.

    .venv/bin/python bench/fides/persondata_side.py --shop-url URL --state-url URL [--runs 5] [--warmup 3]

Each request goes through the same service call `persondata dsr access|erase` makes
(persondata.dsr.service.access / erase inside one state-database transaction, audited), in
this process after warm-up runs (alone, or driven by bench/fides/drive.py with --serve so
that both sides' requests alternate under the same machine load). Two variants are timed:

- `cli`: like the command line, new connectors per request (engine, connection, reflection);
- `kept`: connectors kept open between requests, as a long-running worker does.

Only the request itself is timed; the erased rows are put back before each erasure (untimed).
Prints JSON on stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
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


def timed(fn: Callable[[], float], runs: int, warmup: int) -> list[float]:
    """The seconds fn reports for each run after the warm-up runs."""
    times = [fn() for _ in range(warmup + runs)]
    return times[warmup:]


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


def one(side: Side, kind: str, systems: Systems | None) -> float:
    """Seconds for one request of a kind ("access" or "erasure"); erasure's rows are put back first."""
    if kind == "erasure":
        side.reset()
    start = time.perf_counter()
    if kind == "access":
        side.access(systems)
    else:
        side.erase(systems)
    return time.perf_counter() - start


def serve(side: Side) -> None:
    """Line protocol for the Fides driver, which interleaves both sides' requests.

    Writes the check as one JSON line, then answers each `KIND VARIANT` line (access|erasure,
    cli|kept) with `{"seconds": ...}`; stops at end of input or `quit`.
    """
    kept = Systems(side.policy, side.env)
    try:
        print(json.dumps({"check": check(side)}), flush=True)
        for line in sys.stdin:
            words = line.split()
            if not words or words[0] == "quit":
                break
            kind, variant = words
            seconds = one(side, kind, kept if variant == "kept" else None)
            print(json.dumps({"seconds": seconds}), flush=True)
        side.reset()
    finally:
        kept.close()


def main(argv: list[str] | None = None) -> int:
    """Run the persondata side alone (figures as JSON) or, with --serve, for the Fides driver."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shop-url", required=True, help="SQLAlchemy URL of the built webshop database")
    parser.add_argument("--state-url", required=True, help="SQLAlchemy URL of an empty state database")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--serve", action="store_true", help="answer requests on stdin (see serve())")
    args = parser.parse_args(argv)

    side = Side(args.shop_url, args.state_url)
    try:
        if args.serve:
            try:
                serve(side)
            except BrokenPipeError:  # the driver stopped: nothing more to say
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                return 1
            return 0
        out: dict[str, Any] = {"check": check(side)}
        for variant in ("cli", "kept"):
            systems = Systems(side.policy, side.env) if variant == "kept" else None
            try:
                out[variant] = {
                    kind: summary(timed(partial(one, side, kind, systems), args.runs, args.warmup))
                    for kind in ("access", "erasure")}
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
