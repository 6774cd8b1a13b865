"""Crypto-shredding on expiry: destroy vault keys that no remaining ciphertext references.

A batch that erases rows with encrypted fields notes the key ids of their ciphertexts. At
the end of the run every encrypted column of the data map is asked (one query per column
per 1,000 key ids) which of those keys still encrypt a remaining value; the others are
destroyed, unless used in the last hour (a value may be on its way into a table).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from persondata.retention.spec import TableRules
from persondata.vault.crypto import KEY_ID_LEN, PREFIX_LEN, key_id_of

if TYPE_CHECKING:
    from persondata.retention.planner import Engine

GRACE = timedelta(hours=1)


def collect_key_ids(rules: TableRules, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Vault key ids of the encrypted values in rows."""
    out: set[str] = set()
    for column in rules.encrypted:
        for row in rows:
            kid = key_id_of(row.get(column))
            if kid is not None:
                out.add(kid)
    return out


def referenced(engine: Engine, key_ids: Iterable[str]) -> set[str]:
    """Which key ids some remaining value in an encrypted column still uses."""
    wanted = sorted(set(key_ids))
    found: set[str] = set()
    if not wanted:
        return found
    for rules in engine.rules:
        if not rules.encrypted:
            continue
        connector = engine.systems.get(rules.ref.system)
        table = connector.table(rules.ref.table)
        for column in rules.encrypted:
            col = table.c[column]
            kid = sa.func.substr(col, 6, KEY_ID_LEN)
            with connector.connection() as conn:
                for i in range(0, len(wanted), 1000):
                    chunk = wanted[i:i + 1000]
                    stmt = sa.select(kid).where(col.like("pdv1:%"), sa.func.length(col) > PREFIX_LEN,
                                                kid.in_(chunk)).distinct()
                    found |= {r[0] for r in conn.execute(stmt)}
    return found


def shred_unreferenced(engine: Engine, key_ids: set[str], actor: str, now: datetime) -> int:
    """Destroy the keys among key_ids that no remaining value uses; returns how many."""
    if not key_ids:
        return 0
    from persondata.vault import repository as vault_repository
    from persondata.vault.service import compact, shred_key_ids

    unused = set(key_ids) - referenced(engine, key_ids)
    if not unused:
        return 0
    with engine.state.transaction() as s:
        live = vault_repository.live_keys(s, unused)
        idle = [k.id for k in live if k.last_used_at <= now - GRACE]
        done = shred_key_ids(s, idle, actor=actor, now=now, reason="retention") if idle else 0
    if done:
        compact(engine.state.engine)
    return done
