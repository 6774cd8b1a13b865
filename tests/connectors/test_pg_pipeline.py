"""PostgreSQL batches sent straight through libpq (`pg_pipeline`): answers, prepared statements,
errors part-way, and a connection left usable whatever happens."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from persondata.connectors import pg_pipeline


@pytest.fixture
def raw(pg_url: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit psycopg connection to a new database with one table of three rows."""
    url = make_url(pg_url)
    with psycopg.connect(host=url.host, port=url.port or 5432, user=url.username, dbname=url.database,
                         autocommit=True) as conn:
        conn.execute('CREATE TABLE "kunde_æøå" (id bigint PRIMARY KEY, navn text, født date, saldo numeric)')
        conn.execute("""INSERT INTO "kunde_æøå" VALUES (1, 'Jane', '1980-05-01', 10.50),"""
                     """ (2, '100% Jens', NULL, NULL), (3, 'Åse', '1990-01-02', 0)""")
        yield conn


def _prepared(conn: psycopg.Connection[Any]) -> list[str]:
    rows = conn.execute("SELECT statement FROM pg_prepared_statements WHERE name LIKE 'persondata%%'")
    return sorted(r[0] for r in rows)


BY_ID = 'SELECT id, navn, "født", saldo FROM "kunde_æøå" WHERE id = ANY(%(keys)s::BIGINT[]) ORDER BY id'


def test_answers_come_in_order_with_their_types_and_a_shape_is_prepared_once(
        raw: psycopg.Connection[Any]) -> None:
    batch: list[tuple[str, dict[str, Any]]] = [(BY_ID, {"keys": "{1,3}"}),
             ("""SELECT navn, '%%' FROM "kunde_æøå" WHERE navn LIKE '%%' || %(p)s AND id <> %(k)s""",
              {"p": "Jens", "k": 2**40}),  # %% is a literal %; a key beyond 32 bits
             ('UPDATE "kunde_æøå" SET saldo = %(v)s WHERE id = %(k)s OR id = %(k)s + 1',
              {"v": Decimal("1.25"), "k": 2})]
    first = pg_pipeline.run(raw, batch, begin="BEGIN", commit=True)
    assert first[0].rows == [(1, "Jane", date(1980, 5, 1), Decimal("10.50")), (3, "Åse", date(1990, 1, 2), 0)]
    assert first[1].rows == [("100% Jens", "%")] and first[1].rowcount == 1
    assert first[2].rows == [] and first[2].rowcount == 2
    assert raw.info.transaction_status == psycopg.pq.TransactionStatus.IDLE  # committed
    assert raw.execute('SELECT saldo FROM "kunde_æøå" WHERE id = 3').fetchone() == (Decimal("1.25"),)
    assert len(_prepared(raw)) == 3
    again = pg_pipeline.run(raw, [(BY_ID, {"keys": "{2}"}), (BY_ID, {"keys": "{1}"})])
    assert [a.rows[0][1] for a in again] == ["100% Jens", "Jane"]
    assert len(_prepared(raw)) == 3  # the same shape runs prepared


def test_a_failing_statement_stops_the_rest_and_the_connection_stays_usable(
        raw: psycopg.Connection[Any]) -> None:
    batch: list[tuple[str, dict[str, Any]]] = [
        ('UPDATE "kunde_æøå" SET navn = %(n)s WHERE id = 1', {"n": "changed"}),
        ('INSERT INTO "kunde_æøå" (id) VALUES (%(k)s)', {"k": 2}),  # a duplicate key
        ('DELETE FROM "kunde_æøå" WHERE id = %(k)s', {"k": 3})]
    with pytest.raises(psycopg.errors.UniqueViolation):
        pg_pipeline.run(raw, batch, begin="BEGIN", commit=True)
    assert raw.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
    raw.rollback()
    assert raw.execute('SELECT id, navn FROM "kunde_æøå" ORDER BY id').fetchall() == [
        (1, "Jane"), (2, "100% Jens"), (3, "Åse")]
    for _ in range(2):  # it fails when prepared, so it is not taken for prepared the second time
        with pytest.raises(psycopg.errors.UndefinedColumn):
            pg_pipeline.run(raw, [('SELECT nope FROM "kunde_æøå" WHERE id = %(k)s', {"k": 1})])
    assert pg_pipeline.run(raw, [(BY_ID, {"keys": "{1}"})])[0].rows[0][1] == "Jane"


def test_work_done_meanwhile_that_fails_leaves_the_connection_out_of_the_pipeline(
        raw: psycopg.Connection[Any]) -> None:
    def meanwhile() -> None:
        raise RuntimeError("the caller's own work failed")

    with pytest.raises(RuntimeError):
        pg_pipeline.run(raw, [('DELETE FROM "kunde_æøå" WHERE id = %(k)s', {"k": 3})], begin="BEGIN",
                        meanwhile=meanwhile)
    raw.rollback()  # the caller's transaction ends as it would after any failure
    assert raw.pgconn.pipeline_status == psycopg.pq.PipelineStatus.OFF
    assert raw.execute('SELECT count(*) FROM "kunde_æøå"').fetchone() == (3,)
    with pytest.raises(KeyError):  # a parameter missing: nothing sent is left half-answered
        pg_pipeline.run(raw, [(BY_ID, {"keys": "{1}"}), (BY_ID, {})], begin="BEGIN")
    raw.rollback()
    assert pg_pipeline.run(raw, [(BY_ID, {"keys": "{3}"})])[0].rows[0][1] == "Åse"


def test_a_table_changed_under_a_prepared_statement_fails_once_then_is_planned_anew(
        raw: psycopg.Connection[Any]) -> None:
    assert pg_pipeline.run(raw, [(BY_ID, {"keys": "{1}"})])[0].rows[0][3] == Decimal("10.50")
    raw.execute('ALTER TABLE "kunde_æøå" ALTER COLUMN saldo TYPE text')
    with pytest.raises(psycopg.errors.FeatureNotSupported):  # "cached plan must not change result type"
        pg_pipeline.run(raw, [(BY_ID, {"keys": "{1}"})])
    assert pg_pipeline.run(raw, [(BY_ID, {"keys": "{1}"})])[0].rows[0][3] == "10.50"


def test_a_big_batch_with_big_answers_does_not_stall(raw: psycopg.Connection[Any]) -> None:
    raw.execute("""INSERT INTO "kunde_æøå" SELECT g, repeat('x', 200), NULL, g"""
                """ FROM generate_series(4, 20000) g""")
    every = "{" + ",".join(str(i) for i in range(1, 20001)) + "}"
    answers = pg_pipeline.run(raw, [(BY_ID, {"keys": every})] * 10)  # ~45 MB of answers in flight
    assert [len(a.rows) for a in answers] == [20000] * 10
