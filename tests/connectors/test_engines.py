"""The process-wide engine and reflection cache behind `Systems`."""

from __future__ import annotations

import subprocess
import sys

import yaml

from persondata.connectors import engines
from persondata.connectors.sql import Systems
from persondata.policy.model import Policy
from persondata.testing.databases import run_sql


def _policy(url: str, note: bool = False) -> Policy:
    tables = "      note: {primary_key: id, belongs_to: {person_id: person.id}}\n" if note else ""
    return Policy.model_validate(yaml.safe_load(f"""
controller: {{name: X, country: DK, email: x@example.dk}}
systems:
  crm:
    url: "{url}"
    tables:
      person: {{primary_key: id, identities: {{email: email}}}}
{tables}"""))


def test_new_systems_share_one_engine_and_its_reflection(sqlite_url: str) -> None:
    run_sql(sqlite_url, "CREATE TABLE person (id INTEGER PRIMARY KEY, email VARCHAR(100))",
         "INSERT INTO person VALUES (1, 'Jane@Example.DK')")
    policy = _policy(sqlite_url)
    with Systems(policy) as first:
        crm = first.get("crm")
        person = crm.table("person")
        with crm.session() as s:
            assert [r["id"] for r in s.fetch("person", {"email": ["jane@example.dk"]})] == [1]
    # closing a Systems leaves the shared engine and its pooled connection open
    assert crm.engine.pool.checkedin() == 1
    with Systems(policy) as second:
        again = second.get("crm")
        assert again.engine is crm.engine and again.table("person") is person
        with again.session() as s:
            assert [r["id"] for r in s.fetch("person", {"email": ["JANE@example.dk"]})] == [1]
    engines.clear()
    assert crm.engine.pool.checkedin() == 0  # disposed
    with Systems(policy) as third:
        assert third.get("crm").engine is not crm.engine


def test_tables_and_columns_added_later_are_reflected(sqlite_url: str) -> None:
    run_sql(sqlite_url, "CREATE TABLE person (id INTEGER PRIMARY KEY, email VARCHAR(100))")
    policy = _policy(sqlite_url)
    with Systems(policy) as first:
        assert "name" not in first.get("crm").table("person").c
    run_sql(sqlite_url, "ALTER TABLE person ADD COLUMN name VARCHAR(100)",
         "CREATE TABLE note (id INTEGER PRIMARY KEY, person_id INTEGER, body TEXT)",
         "INSERT INTO person VALUES (7, 'a@b.dk', 'Ann')", "INSERT INTO note VALUES (1, 7, 'hi')")
    with Systems(_policy(sqlite_url, note=True)) as second:  # same URL, a table more
        crm = second.get("crm")
        assert crm.column("person", "name").name == "name"  # re-reflected on the missing column
        with crm.session() as s:
            assert s.fetch("note", {"person_id": [7]}) == [{"id": 1, "person_id": 7, "body": "hi"}]
            assert s.fetch("person", {"email": ["a@b.dk"]}, ["name"]) == [{"name": "Ann"}]
    engines.clear()


def test_nothing_is_built_at_import() -> None:
    code = ("import persondata.connectors.sql, persondata.dsr.service\n"
            "from persondata.connectors import engines\n"
            "assert engines._cache == [], engines._cache\n")
    subprocess.run([sys.executable, "-c", code], check=True)
