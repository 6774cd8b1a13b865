"""An independent check that no expired row still holds personal data: row by row, in Python.

`retention run` selects expired rows with SQL ranges; this reads every row of every table
instead and applies the pure expiry functions to it, so the example companies' scenario
tests can prove each retention promise without trusting the SQL that keeps it. A row found
expired passes only if its personal fields are already in their anonymised form (a parent
kept for its child rows). Consent and opt-outs kept in persondata's state are not looked at.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from persondata.connectors.sql import Systems
from persondata.connectors.strategies import anonymised
from persondata.identity import Hasher
from persondata.policy.model import Policy
from persondata.retention.expiry import AT_ONCE, is_expired, row_expiry
from persondata.retention.query import TableQuery
from persondata.retention.spec import all_rules


def overdue(policy: Policy, as_of: datetime, *, env: Mapping[str, str] | None = None,
            hasher: Hasher | None = None) -> dict[str, list[Any]]:
    """`system.table` -> keys of rows expired at as_of that still hold personal data."""
    out: dict[str, list[Any]] = {}
    with Systems(policy, env) as systems:
        for rules in all_rules(policy):
            connector = systems.get(rules.ref.system)
            query = TableQuery(connector, rules)
            columns = connector.columns(rules.ref.table)
            stmt = query.select(sa.true(), full=True)
            referenced = query.referenced()
            if referenced is not None:
                stmt = stmt.where(sa.not_(referenced))  # shared rows still pointed at are kept as they are
            with connector.connection() as conn:
                result = conn.execute(stmt)
                names = list(result.keys())
                rows = [dict(zip(names, r, strict=True)) for r in result.fetchall()]
            for row in rows:
                anchors = {n: row.get(f"__a_{n}") for n in rules.anchors}
                flagged = rules.opt_out is not None and bool(row.get("__flag"))
                if not is_expired(row_expiry(rules.terms, anchors, None, AT_ONCE if flagged else None),
                                  as_of):
                    continue
                own = {k: v for k, v in row.items() if not k.startswith("__")}
                kept_for_children = rules.erasure.mode == "anonymise" or bool(rules.children)
                if not kept_for_children or anonymised(rules.erasure, own, columns, hasher):
                    out.setdefault(str(rules.ref), []).append(row["__pk"])
    return out
