"""Legacy import (all or nothing, bad rows by line) and filtering send lists."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from persondata.consent import service
from persondata.consent.filtering import filter_text
from persondata.consent.importing import ImportRejected, import_csv
from persondata.consent.schemas import Source
from persondata.consent.suppression import suppress
from persondata.db.engine import Database
from persondata.errors import InputError
from persondata.identity import Hasher
from persondata.policy.model import Policy

from .test_ledger import counts

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)

GOOD = """email,name,purpose,date,provenance
ole@example.no,Ole,newsletter,2016-04-02,Customer register 2016 (sign-up form)
KARI@Example.no,Kari,newsletter,2017-11-30T10:15:00,Customer register 2017
kari@example.no,Kari,profiling,2017-11-30,Customer register 2017
"""


def run_import(db: Database, policy: Policy, hasher: Hasher, text: str, **kwargs: object) -> object:
    with db.transaction() as s:
        return import_csv(s, policy, hasher, io.StringIO(text), actor="cli:dpo", now=NOW, **kwargs)  # type: ignore[arg-type]


def test_import_records_legacy_consents_with_provenance(db: Database, policy: Policy,
                                                        hasher: Hasher) -> None:
    report = run_import(db, policy, hasher, GOOD)
    assert report.imported == 3 and report.by_purpose == {"newsletter": 2, "profiling": 1}  # type: ignore[attr-defined]
    assert report.ignored_columns == ["name"]  # type: ignore[attr-defined]
    kari = service.parse(policy, "email=kari@example.no")
    with db.transaction() as s:
        assert service.status(s, policy, hasher, kari, "newsletter").allowed
        events = service.history(s, hasher, kari, actor="t")
    assert events[0].at == datetime(2017, 11, 30, 10, 15, tzinfo=UTC)
    assert events[0].source == "import" and events[0].provenance == "Customer register 2017"
    assert events[0].policy_version == "legacy" and events[0].notice_hash is None


def test_dry_run_writes_nothing(db: Database, policy: Policy, hasher: Hasher) -> None:
    report = run_import(db, policy, hasher, GOOD, dry_run=True)
    assert report.rows == 3 and report.imported == 0  # type: ignore[attr-defined]
    assert counts(db) == (0, 0, 0)


def test_bad_rows_are_named_by_line_and_nothing_is_imported(db: Database, policy: Policy,
                                                            hasher: Hasher) -> None:
    bad = GOOD + (
        "not-an-email,X,newsletter,2016-01-01,Register\n"      # line 5
        "a@example.no,A,marketing_calls,2016-01-01,Register\n"  # line 6
        "b@example.no,B,newsletter,01/02/2016,Register\n"       # line 7
        "c@example.no,C,newsletter,2016-01-01,\n"               # line 8
        "d@example.no,D,newsletter\n"                           # line 9
        "e@example.no,E,sms_offers,2019-01-01,Register\n"       # line 10
        "f@example.no,F,newsletter,2099-01-01,Register\n"       # line 11
    )
    with pytest.raises(ImportRejected) as caught:
        run_import(db, policy, hasher, bad)
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == [f"line {n}" for n in range(5, 12)]
    assert "not a valid e-mail" in problems[0]
    assert "not a consent purpose" in problems[1]
    assert "not a date" in problems[2]
    assert "provenance is empty" in problems[3]
    assert "3 fields, the header has 5" in problems[4]
    assert "legacy" in problems[5]
    assert "in the future" in problems[6]
    assert counts(db) == (0, 0, 0)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "the file is empty"),
        ("name,purpose,date,provenance\nx,newsletter,2016-01-01,r\n", "no identity column"),
        ("email,phone,purpose,date,provenance\n", "several identity columns"),
        ("email,purpose,provenance\n", "missing column 'at"),
        ('email,purpose,date,provenance\n"a@b.dk,newsletter,2016-01-01,r\n', "line"),
        ("email,purpose,date,provenance\na@b.dk,newsletter,2016-01-01,r\x00x\n", "broken CSV"),
    ],
)
def test_broken_files(db: Database, policy: Policy, hasher: Hasher, text: str, words: str) -> None:
    with pytest.raises(InputError, match=words):
        run_import(db, policy, hasher, text)
    assert counts(db) == (0, 0, 0)


def test_import_cannot_readd_suppressed_marketing_consent(db: Database, policy: Policy,
                                                          hasher: Hasher) -> None:
    with db.transaction() as s:
        suppress(s, policy, hasher, service.parse(policy, "email=ole@example.no"), actor="dsr")
    before = counts(db)
    with pytest.raises(ImportRejected, match=r"line 2: email=ole@example\.no objected"):
        run_import(db, policy, hasher, GOOD)
    assert counts(db) == before


def _consents(s: Session, policy: Policy, hasher: Hasher) -> None:
    for who, purpose in [("email=a@x.dk", "newsletter"), ("email=b@x.dk", "newsletter"),
                         ("email=c@x.dk", "profiling"), ("phone=20304050", "newsletter")]:
        service.give(s, policy, hasher, service.parse(policy, who), purpose, source=Source.web_form,
                     actor="w")
    service.withdraw(s, policy, hasher, service.parse(policy, "email=b@x.dk"), "newsletter",
                     source=Source.web_form, actor="w")


def test_filter_lines_and_csv(db: Database, policy: Policy, hasher: Hasher) -> None:
    with db.transaction() as s:
        _consents(s, policy, hasher)
    lines = "A@X.dk\nb@x.dk\n# a comment\nc@x.dk\nnot an identity\n+45 20 30 40 50\nemail=a@x.dk\n"
    with db.transaction() as s:
        out, report = filter_text(s, policy, hasher, lines, "newsletter", actor="t")
    assert out == "A@X.dk\n+45 20 30 40 50\nemail=a@x.dk\n"
    assert (report.read, report.written, report.invalid) == (6, 3, 1)
    assert report.problems == ["line 5: 'not an identity': cannot tell which kind of identity this "
                               "is; write KIND=VALUE or choose the kind"]
    csv_in = 'name;email\n"Doe, A";a@x.dk\nB;b@x.dk\nC;c@x.dk\n'
    with db.transaction() as s:
        out, report = filter_text(s, policy, hasher, csv_in, "newsletter", actor="t")
    assert out == 'name;email\nDoe, A;a@x.dk\n'
    with db.transaction() as s:
        out, _ = filter_text(s, policy, hasher, "a@x.dk\nc@x.dk\n", "profiling", actor="t")
    assert out == "c@x.dk\n"


def test_filter_excludes_restricted_and_suppressed(db: Database, policy: Policy, hasher: Hasher) -> None:
    with db.transaction() as s:
        _consents(s, policy, hasher)
        suppress(s, policy, hasher, service.parse(policy, "email=c@x.dk"), actor="dsr")
    restricted = hasher.hash(service.parse(policy, "email=a@x.dk"))
    with db.transaction() as s:
        out, report = filter_text(s, policy, hasher, "a@x.dk\n+4520304050\n", "newsletter", actor="t",
                                  excluded_hashes=lambda _s: [restricted])
        assert out == "+4520304050\n" and report.excluded == 1
        out, _ = filter_text(s, policy, hasher, "a@x.dk\nb@x.dk\nc@x.dk\n", "customer_offers",
                             actor="t")
        assert out == "a@x.dk\nb@x.dk\n"


def test_filter_long_list_uses_the_loaded_set(db: Database, policy: Policy, hasher: Hasher,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import persondata.consent.filtering as filtering

    monkeypatch.setattr(filtering, "CHUNK", 2)
    with db.transaction() as s:
        _consents(s, policy, hasher)
    with db.transaction() as s:
        out, report = filter_text(s, policy, hasher, "a@x.dk\nb@x.dk\nc@x.dk\nemail=a@x.dk\nx@x.dk\n",
                                  "newsletter", actor="t")
    assert out == "a@x.dk\nemail=a@x.dk\n" and report.read == 5


def test_filter_bad_input(db: Database, policy: Policy, hasher: Hasher) -> None:
    with db.transaction() as s:
        with pytest.raises(InputError, match="not a consent purpose"):
            filter_text(s, policy, hasher, "a@x.dk\n", "invoicing", actor="t")
        with pytest.raises(InputError, match="has no column mail"):
            filter_text(s, policy, hasher, "name,email\nA,a@x.dk\n", "newsletter", actor="t",
                        fmt="csv", column="mail")
        with pytest.raises(InputError, match="unknown identity kind"):
            filter_text(s, policy, hasher, "a@x.dk\n", "newsletter", actor="t", kind="shoe")
