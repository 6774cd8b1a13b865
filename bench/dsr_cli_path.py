"""The "CLI path" in a warm process: every access/erasure builds its own `Systems` (as a CLI call,
a job or a request without shared connectors does). Prints median and p95 per call.

    .venv/bin/python bench/dsr_cli_path.py [--runs 50] [--engine sqlite|postgres|mariadb]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.dsr.service import access, erase
from persondata.identity import Hasher, make_identity
from persondata.testing.databases import mariadb_database, postgres_database
from persondata.testing.webshop import NOW, build_support, reset_shop, webshop_policy


def _ms(samples: list[float]) -> str:
    s = sorted(samples)
    return f"median {statistics.median(s) * 1000:.1f} ms, p95 {s[int(len(s) * 0.95) - 1] * 1000:.1f} ms"


def main() -> None:
    """Time access and erasure with a new Systems per call."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--engine", choices=["sqlite", "postgres", "mariadb"], default="sqlite")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        d = Path(tmp)
        shop_url = (f"sqlite:///{d / 'shop.db'}" if args.engine == "sqlite"
                    else stack.enter_context(postgres_database("pdbench")) if args.engine == "postgres"
                    else stack.enter_context(mariadb_database("pdbench")))
        support_url = f"sqlite:///{d / 'support.db'}"
        reset_shop(shop_url)
        build_support(support_url)
        env = {"SHOP_DB": shop_url, "SUPPORT_DB": support_url}
        policy = webshop_policy()
        state = Database(f"sqlite:///{d / 'state.db'}")
        upgrade(state)
        hasher = Hasher(os.environ.get("PERSONDATA_HASH_KEY", "bench-key" * 4))
        jane = make_identity("email", "jane@example.dk")
        ole = make_identity("email", "ole@example.dk")
        acc: list[float] = []
        era: list[float] = []
        for i in range(args.runs + 3):
            t0 = time.perf_counter()
            with state.transaction() as session:
                access(session, policy, [jane], hasher=hasher, actor="bench", now=NOW, env=env)
            t1 = time.perf_counter()
            reset_shop(shop_url)
            t2 = time.perf_counter()
            with state.transaction() as session:
                erase(session, policy, [ole], hasher=hasher, actor="bench", now=NOW, env=env)
            t3 = time.perf_counter()
            if i >= 3:  # warm-up
                acc.append(t1 - t0)
                era.append(t3 - t2)
            reset_shop(shop_url)
        state.dispose()
        print(f"{args.engine}: access  ({args.runs} runs, new Systems per call): {_ms(acc)}")
        print(f"{args.engine}: erasure ({args.runs} runs, new Systems per call): {_ms(era)}")


if __name__ == "__main__":
    main()
