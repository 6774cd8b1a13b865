"""`validate --check-systems`: the data map against the real databases."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from persondata.connectors.checks import check_systems
from persondata.connectors.sql import quiet_reflection
from persondata.policy.loader import LoadedPolicy, load_policy
from persondata.testing.webshop import POLICY_YAML, Shop


def _loaded(tmp_path: Path, text: str = POLICY_YAML) -> LoadedPolicy:
    path = tmp_path / "privacy.yaml"
    path.write_text(text, encoding="utf-8")
    return load_policy(path, {})


def _line(text: str, needle: str) -> int:
    return text.splitlines().index(next(line for line in text.splitlines() if needle in line)) + 1


def test_a_matching_database_has_no_problems(shop: Shop, tmp_path: Path) -> None:
    assert check_systems(_loaded(tmp_path), shop.env) == []
    assert check_systems(shop.policy, shop.env) == []  # a bare Policy works too (line 0)


def test_missing_columns_tables_and_indexes(shop: Shop, tmp_path: Path) -> None:
    engine = sa.create_engine(shop.shop_url)
    with engine.begin() as c, quiet_reflection():
        ix = next(i["name"] for i in sa.inspect(c).get_indexes("customer") if i["column_names"] == ["phone"])
        customer = sa.Table("customer", sa.MetaData(), autoload_with=c)
        c.execute(sa.schema.DropIndex(sa.Index(ix, customer.c.phone)))
    engine.dispose()
    text = (POLICY_YAML.replace("identities: {email: email, phone: phone, customer_no: customer_no}",
                                "identities: {email: email, phone: phone, customer_no: client_no}")
            .replace("      invoice:\n", "      invoices:\n")
            .replace("belongs_to: {order_id: orders.id}", "belongs_to: {order_id: orders.order_no}")
            .replace("          delivery_name: {",
                     "          order_no: user.unique_id\n          delivery_name: {"))
    try:
        problems = check_systems(_loaded(tmp_path, text), shop.env)
    finally:
        engine = sa.create_engine(shop.shop_url)
        with engine.begin() as c:  # the database is shared with later tests
            c.execute(sa.schema.CreateIndex(sa.Index(ix, customer.c.phone)))
        engine.dispose()
    found = {(p.line, p.severity, p.message.split(": ", 1)[1]) for p in problems}
    file = str(tmp_path / "privacy.yaml")
    assert all(p.file == file for p in problems)
    assert (_line(text, "customer_no: client_no"), "error",
            "column 'client_no' does not exist in the database table customer") in found
    assert (_line(text, "invoices:"), "error", "table 'invoices' does not exist in the database") in found
    assert (_line(text, "order_id: orders.order_no"), "error",
            "column 'order_no' does not exist in table orders") in found
    assert (_line(text, "order_no: user.unique_id"), "error",
            "column 'order_no' does not exist in the database table orders") in found
    [index] = [p for p in problems if "no index" in p.message]
    assert index.severity == "warning" and "identity column 'phone'" in index.message
    unquoted = index.message.replace('"', "").replace("`", "")
    assert "CREATE INDEX ix_customer_phone ON customer (phone)" in unquoted
    assert len(problems) == 5


def test_unreachable_system_and_unset_variable(tmp_path: Path) -> None:
    env = {"SHOP_DB": "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"}
    problems = check_systems(_loaded(tmp_path), env)
    messages = sorted(p.message for p in problems)
    assert len(problems) == 2 and all(p.severity == "error" for p in problems)
    assert "systems.shop: cannot connect to postgresql+psycopg://nobody@127.0.0.1:1/none" in messages[0]
    assert "SUPPORT_DB is not set" in messages[1]


def test_validate_check_systems_command(sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    from persondata.cli.main import run
    from persondata.testing.webshop import build, write_policy

    shop = build(sqlite_url, tmp_path)
    for key, value in shop.env.items():
        monkeypatch.setenv(key, value)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as c:
        c.exec_driver_sql("DROP INDEX ix_customer_phone")
    engine.dispose()
    policy = write_policy(tmp_path)
    try:
        run(["--policy", str(policy), "validate", "--check-systems"])
    except SystemExit as exc:
        assert exc.code == 0
    out = capsys.readouterr().out
    assert "identity column 'phone' has no index" in out and "CREATE INDEX ix_customer_phone" in out
