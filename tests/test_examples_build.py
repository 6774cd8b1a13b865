"""The example companies' synthetic databases on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import MetaData, column, create_engine, func, inspect, select, table

from persondata import examples
from persondata.policy.model import Policy
from persondata.policy.retention import parse_retention

NAMES = list(examples.EXAMPLES)
NOW = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)
FIXED = {
    "it-house-webshop": ("customer", "email", "jane@kontorhuset.example"),
    "network-software-vendor": ("contact", "email", "kari@fiberlaget.example"),
    "agency-with-payments": ("customer", "email", "jane@jensen-revision.example"),
    "business-telephony": ("phone_user", "email", "jens@tomrer-hansen.example"),
    "sms-gateway": ("account", "email", "jane@madsen-el.example"),
}


def policy(name: str) -> Policy:
    """The example's policy through the schema only."""
    return Policy.model_validate(yaml.safe_load(examples.policy_path(name).read_text(encoding="utf-8")))


@pytest.mark.parametrize("name", NAMES)
def test_build_matches_the_data_map(name: str, company_url: str) -> None:
    counts = examples.build(name, company_url, customers=12, seed=3, now=NOW)
    engine = create_engine(company_url)
    try:
        insp = inspect(engine)
        present = set(insp.get_table_names())
        for tname, columns in examples.columns_of(policy(name)).items():
            assert tname in present, f"{tname} missing"
            actual = {c["name"] for c in insp.get_columns(tname)}
            assert columns <= actual, f"{tname}: {columns - actual} missing"
            assert counts[tname] > 0, f"{tname} is empty"
        indexed = {(t, c) for t in present for ix in insp.get_indexes(t) for c in ix["column_names"]}
        for system in policy(name).systems.values():
            for tname, t in system.tables.items():
                for col in [*t.identities.values(), *t.belongs_to, *t.anchors.values()]:
                    assert (tname, col) in indexed, f"{tname}.{col} has no index"
        tname, col, value = FIXED[name]
        with engine.connect() as conn:
            for t, n in counts.items():
                assert conn.execute(select(func.count()).select_from(table(t))).scalar_one() == n
            person = table(tname, column(col))
            found = conn.execute(select(func.count()).select_from(person).where(person.c[col] == value))
            assert found.scalar_one() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", NAMES)
def test_build_is_deterministic_and_rebuildable(name: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    first = examples.build(name, url, customers=15, seed=7, now=NOW)
    again = examples.build(name, url, customers=15, seed=7, now=NOW)  # drops and recreates its tables
    assert first == again
    other = examples.build(name, f"sqlite:///{tmp_path / 'd.db'}", customers=15, seed=8, now=NOW)
    assert other != first


def test_build_db_runs_as_a_script(tmp_path: Path) -> None:
    import subprocess
    import sys

    script = examples.example_dir("sms-gateway") / "build_db.py"
    url = f"sqlite:///{tmp_path / 's.db'}"
    result = subprocess.run([sys.executable, str(script), url, "--customers", "5"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "sms_log" in result.stdout
    missing = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                             env={"PATH": "/usr/bin:/bin"})
    assert missing.returncode == 2
    assert "GATEWAY_DB_URL" in missing.stderr


def _expired(rule: str, value: object, now: datetime) -> bool | None:
    """Whether a row with this anchor value is past the rule at now (None: no anchor yet)."""
    if value is None:
        return None
    expires = parse_retention(rule).expires_at(value)  # type: ignore[type-var]
    if isinstance(expires, datetime):
        return expires <= now.replace(tzinfo=None)
    return bool(expires <= now.date())  # type: ignore[operator]


@pytest.mark.parametrize("name", NAMES)
def test_every_retention_rule_has_rows_on_both_sides(name: str, tmp_path: Path) -> None:
    """The synthetic data gives every anchored rule something to delete and something to keep."""
    url = f"sqlite:///{tmp_path / 'c.db'}"
    examples.build(name, url, customers=40, seed=1, now=NOW)
    p = policy(name)
    engine = create_engine(url)
    md = MetaData()
    md.reflect(engine)
    try:
        with engine.connect() as conn:
            for key, purpose in p.purposes.items():
                rule = parse_retention(purpose.retention or "")
                if rule.anchor is None or rule.until_consent_withdrawn:
                    continue
                seen: set[bool] = set()
                for system in p.systems.values():
                    for tname, t in system.tables.items():
                        if key not in t.purposes:
                            continue
                        col = t.anchors[rule.anchor]
                        for (value,) in conn.execute(select(md.tables[tname].c[col])):
                            state = _expired(purpose.retention or "", value, NOW)
                            seen.add(bool(state))
                assert seen == {True, False}, f"{key}: rows only {'expired' if True in seen else 'kept'}"
    finally:
        engine.dispose()
