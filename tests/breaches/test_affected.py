"""Affected subjects from the data map, counted on a real company database (SQLite, PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from persondata.breaches.affected import Window, count_affected, resolve_url
from persondata.errors import InputError, SystemFailure
from persondata.policy.model import Policy

CPH = ZoneInfo("Europe/Copenhagen")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CPH).astimezone(UTC)


def test_counts_distinct_subjects_per_table(shop_url: str, policy: Policy) -> None:
    result = count_affected(policy, ["shop.customer", "shop.invoice", "shop.invoice_line", "shop.enquiry",
                                     "shop.weblog"])
    rows = {t.table: t for t in result.tables}
    # customer: 5 rows; 4 e-mails and one customer known only by phone -> 5 people
    assert (rows["shop.customer"].records, rows["shop.customer"].subjects) == (5, 5)
    assert rows["shop.customer"].key == "email or phone"
    # invoice: 4 rows owned by customers 1, 1, 2, 3
    assert (rows["shop.invoice"].records, rows["shop.invoice"].subjects) == (4, 3)
    assert rows["shop.invoice"].owner == "shop.customer"
    # invoice_line -> invoice -> customer: lines of invoices 1, 2 (customer 1) and 3 (customer 2),
    # and one line without an invoice (a record, but nobody's)
    assert (rows["shop.invoice_line"].records, rows["shop.invoice_line"].subjects) == (5, 2)
    assert rows["shop.invoice_line"].key == "invoice_id → invoice → customer_id → customer"
    # enquiry: 6 rows from 3 addresses
    assert (rows["shop.enquiry"].records, rows["shop.enquiry"].subjects) == (6, 3)
    # weblog: no identity, no owner: records only
    assert (rows["shop.weblog"].records, rows["shop.weblog"].subjects) == (7, None)
    assert result.records == 5 + 4 + 5 + 6 + 7
    assert result.subjects == 5 + 3  # largest per subject table: customer 5, enquiry 3
    assert result.subjects_max == 5 + 3 + 2 + 3
    assert result.notes == ["shop.weblog: no identity or owner in the data map; subjects not counted"]
    assert result.categories == sorted({
        "user.name", "user.contact.email", "user.contact.phone_number", "user.financial",
        "user.financial.credit_card", "user.content", "user.device.ip_address"})


def test_time_window_on_an_anchor_uses_local_time(shop_url: str, policy: Policy) -> None:
    window = Window("last_contact", since=local("2027-03-20T00:00"), until=local("2027-03-24T00:00"))
    result = count_affected(policy, ["shop.enquiry"], window)
    (row,) = result.tables
    # 20-23 March in Copenhagen: a x2, b x1, c1 at 23:30; not b in February, not c1 at 00:30 on the 24th
    assert (row.records, row.subjects) == (4, 3)
    assert row.window is not None and row.window.startswith("last_contact >= 2027-03-19T23:00:00+00:00")


def test_window_on_a_date_column_and_on_a_child_table(shop_url: str, policy: Policy) -> None:
    window = Window("invoice_date", since=local("2027-03-01T00:00"))
    (row,) = count_affected(policy, ["shop.invoice"], window).tables
    assert (row.records, row.subjects) == (2, 2)  # invoices 2 (customer 1) and 3 (customer 2)
    # a plain column name works too
    window = Window("issued_on", until=local("2027-03-01T00:00"))
    (row,) = count_affected(policy, ["shop.invoice"], window).tables
    assert (row.records, row.subjects) == (2, 2)  # invoices 1 (customer 1) and 4 (customer 3)


def test_bad_input_is_named(shop_url: str, policy: Policy) -> None:
    with pytest.raises(InputError, match=r"shop\.nope: not a table of the policy's data map"):
        count_affected(policy, ["shop.nope"])
    with pytest.raises(InputError, match=r"shop\.weblog: no anchor or column 'sent_at'"):
        count_affected(policy, ["shop.weblog"], Window("sent_at", since=local("2027-01-01T00:00")))
    with pytest.raises(InputError, match="the window is empty"):
        count_affected(policy, ["shop.enquiry"], Window("last_contact", since=local("2027-03-02T00:00"),
                                                        until=local("2027-03-01T00:00")))
    with pytest.raises(InputError, match="at least one"):
        count_affected(policy, [])


def test_values_are_bound_not_spliced(shop_url: str, policy: Policy) -> None:
    # an anchor name that is SQL is only ever looked up as a column name
    with pytest.raises(InputError, match="no anchor or column"):
        count_affected(policy, ["shop.enquiry"],
                       Window("sent_at; DROP TABLE enquiry", since=local("2027-01-01T00:00")))
    assert count_affected(policy, ["shop.enquiry"]).records == 6


def test_unset_url_variable_and_missing_database_are_clear(tmp_path: Path, policy: Policy,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BREACH_TEST_SHOP_URL", raising=False)
    with pytest.raises(InputError, match="BREACH_TEST_SHOP_URL"):
        count_affected(policy, ["shop.customer"])
    monkeypatch.setenv("BREACH_TEST_SHOP_URL", f"sqlite:///{tmp_path / 'missing.db'}")
    with pytest.raises(InputError, match="does not exist"):
        count_affected(policy, ["shop.customer"])
    assert not (tmp_path / "missing.db").exists()
    monkeypatch.setenv("BREACH_TEST_SHOP_URL", "postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(SystemFailure, match="system shop"):
        count_affected(policy, ["shop.customer"])


def test_table_in_data_map_but_not_in_database(tmp_path: Path, policy: Policy,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'empty.db'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT)")
    engine.dispose()
    monkeypatch.setenv("BREACH_TEST_SHOP_URL", url)
    with pytest.raises(InputError, match="column 'phone' of the data map is not in the database"):
        count_affected(policy, ["shop.customer"])
    with pytest.raises(InputError, match=r"shop\.enquiry: the table is in the data map but not in the"):
        count_affected(policy, ["shop.enquiry"])


def test_resolve_url_fills_variables() -> None:
    assert resolve_url("sqlite:///${DIR}/x.db", {"DIR": "/data"}) == "sqlite:////data/x.db"
    with pytest.raises(InputError, match="MISSING"):
        resolve_url("${MISSING}", {})
