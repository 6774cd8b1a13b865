"""The DSR engine on the five example companies' data maps, with data from their build scripts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from persondata import examples
from persondata.connectors.checks import check_systems
from persondata.db.engine import Database
from persondata.dsr.access import access
from persondata.dsr.erase import erase
from persondata.errors import IdentityError
from persondata.identity import Hasher, Identity, make_identity
from persondata.policy.loader import load_policy
from persondata.policy.model import Policy

NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
NAMES = ["it-house-webshop", "network-software-vendor", "agency-with-payments", "business-telephony",
         "sms-gateway"]


def a_subject(policy: Policy, url: str) -> Identity:
    """The first identity value stored in the data map's first identity table."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            for system in policy.systems.values():
                for table, spec in system.tables.items():
                    for kind, column in spec.identities.items():
                        t = sa.Table(table, sa.MetaData(), autoload_with=conn)
                        rows = conn.execute(sa.select(t.c[column]).where(t.c[column].is_not(None))
                                            .order_by(t.c[spec.primary_key]).limit(20))
                        for (value,) in rows:
                            try:
                                return make_identity(kind, str(value), policy.controller.country)
                            except IdentityError:
                                continue
    finally:
        engine.dispose()
    raise AssertionError("no identity in the example's data")


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_access_and_erasure_on_the_example(name: str, tmp_path: Path, state: Database,
                                           hasher: Hasher) -> None:
    url = f"sqlite:///{tmp_path / 'company.db'}"
    examples.build(name, url, customers=20, seed=1, now=NOW)
    env = examples.env_for(name, url)
    policy = load_policy(examples.policy_path(name), env={}).policy
    assert [p for p in check_systems(policy, env) if p.severity == "error"] == []
    who = a_subject(policy, url)
    with state.transaction() as session:
        found = access(session, policy, [who], hasher=hasher, actor="test", now=NOW, env=env)
    assert found.row_count >= 1
    assert all(tb.purposes and tb.source for tb in found.tables)
    with state.transaction() as session:
        plan = erase(session, policy, [who], hasher=hasher, actor="test", now=NOW, env=env, dry_run=True)
        done = erase(session, policy, [who], hasher=hasher, actor="test", now=NOW, env=env)
    assert done.complete
    assert done.totals == plan.totals
    assert done.totals["deleted"] + done.totals["anonymised"] + done.totals["held"] >= 1
    with state.transaction() as session:
        again = erase(session, policy, [who], hasher=hasher, actor="test", now=NOW, env=env)
        after = access(session, policy, [who], hasher=hasher, actor="test", now=NOW, env=env)
    assert again.totals["deleted"] == again.totals["anonymised"] == 0
    held = {(h.system, h.table, h.key) for h in done.held}
    kept = {(t.system, t.table, r.key) for t in done.tables for r in t.rows
            if r.action in ("anonymise", "unchanged", "report")}
    left = {(t.system, t.table, row[policy.systems[t.system].tables[t.table].primary_key])
            for t in after.tables for row in t.rows}
    assert left <= held | kept  # what can still be found is held, anonymised or shared with others
