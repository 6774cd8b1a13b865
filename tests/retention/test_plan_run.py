"""Plan and run against the test company on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import timedelta

from persondata.retention.planner import Engine, plan
from persondata.retention.runner import Runner

from . import company
from .company import AS_OF
from .conftest import World


def _engine(w: World, as_of=AS_OF) -> Engine:  # type: ignore[no-untyped-def]
    return Engine(w.policy, w.settings, w.state, w.systems, as_of)


def test_plan_counts_each_seed_phrase(world: World) -> None:
    p = plan(_engine(world))
    got = {(ln.table, ln.action): ln.rows for ln in p.lines if ln.rows}
    print(p.to_dict())
    assert got[("contact", "delete")] == 2
    assert got[("applicant", "delete")] == 1
    assert got[("sms_email", "delete")] == 1
    assert got[("invoice_line", "delete")] == 2  # lines of the two expired invoices (inherited)


def test_run_erases_what_expired(world: World) -> None:
    report = Runner(_engine(world)).run()
    e = world.engine
    assert company.ids(e, "contact") == [2, 4]
    assert company.ids(e, "applicant") == [2, 3]
    assert company.ids(e, "sms_email") == [2]
    assert company.ids(e, "sms_log") == [2, 5]
    assert company.ids(e, "invoice") == [2]
    assert company.ids(e, "invoice_line") == [2]
    assert company.ids(e, "account") == [2, 3]
    assert company.ids(e, "customer") == [1, 2, 4]
    kept = company.row(e, "customer", 1)
    assert kept is not None and kept["email"] is None and kept["name"] == "[redacted]"
    assert report.status == "completed"
    again = Runner(_engine(world)).run()
    assert again.totals.get("delete", 0) == 0 and again.totals.get("anonymise", 0) == 0
    later = plan(_engine(world, AS_OF + timedelta(days=400)))
    assert any(ln.table == "invoice" and ln.rows for ln in later.lines)


def test_plan_forecasts_parents_whose_children_go_in_the_same_run(world: World) -> None:
    p = plan(_engine(world))
    got = {(ln.table, ln.action): ln.rows for ln in p.lines if ln.rows}
    assert got[("account", "delete")] == 1  # its SMS logs go first
    assert got[("invoice", "delete")] == 2
    # customer 1 keeps its 2020 invoice
    assert got[("customer", "delete")] == 1 and got[("customer", "anonymise")] == 1


def test_oracle_finds_overdue_rows_before_and_none_after(world: World) -> None:
    from persondata.retention.oracle import overdue

    before = overdue(world.policy, AS_OF)
    assert set(before) == {"main.contact", "main.applicant", "main.sms_email", "main.sms_log", "main.account",
                           "main.invoice", "main.invoice_line", "main.customer"}
    assert sorted(before["main.contact"]) == [1, 3]
    Runner(_engine(world)).run()
    assert overdue(world.policy, AS_OF) == {}
    assert overdue(world.policy, AS_OF + timedelta(days=400))  # the 2020 invoice comes due later
