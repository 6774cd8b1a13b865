"""A batch of statements through PostgreSQL's pipeline, driven on libpq through psycopg's `pq`
layer: sent in one go, answered together, one round trip.

psycopg's own pipeline (a cursor per statement inside `Connection.pipeline()`) costs about 20 µs
of Python per statement, more than PostgreSQL takes to run a lookup by index; a subject's
erasure sends a dozen. Here each statement goes with libpq's extended protocol, its parameters
dumped and its rows loaded by psycopg's own adapters (its `Transformer`, as its cursors do), and
each statement shape is prepared once per connection (`persondata_N`, at most `MAX_PREPARED`),
so PostgreSQL plans it once. A statement's `%(name)s` placeholders become `$n`.

Used on connections in autocommit, whose transactions the caller opens and ends itself (BEGIN and
COMMIT go in the batch). Errors are psycopg's (`psycopg.Error` subclasses by SQLSTATE); after a
failed statement the rest of the batch is not run, and the connection is left out of pipeline
mode, ready for a ROLLBACK.
"""

from __future__ import annotations

import re
import select
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import psycopg
from psycopg import errors, pq
from psycopg.abc import Transformer as AdaptTransformer
from psycopg.adapt import PyFormat, Transformer

MAX_PREPARED = 100  # statement shapes prepared per connection (as psycopg); beyond, planned each time
_PLACEHOLDER = re.compile(rb"%\(([^)]+)\)s|%%")
_PLAN_GONE = ("0A000", "26000")  # a plan whose result type changed; a prepared statement gone
_OK = (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK, pq.ExecStatus.EMPTY_QUERY)


@dataclass
class Answer:
    """One statement's answer: its rows (tuples) and the rows it returned or changed."""

    rows: list[tuple[Any, ...]]
    rowcount: int


@dataclass
class _Prepared:
    """The statements prepared on one connection (by text and parameter types) and their names."""

    names: dict[tuple[bytes, tuple[int, ...]], bytes] = field(default_factory=dict)
    made: int = 0


_LOCK = threading.Lock()
_PREPARED: weakref.WeakKeyDictionary[psycopg.Connection[Any], _Prepared] = weakref.WeakKeyDictionary()


@lru_cache(maxsize=4096)
def _convert(sql: str, encoding: str) -> tuple[bytes, tuple[str, ...]]:
    """A statement's `%(name)s` placeholders as `$n` (`%%` as `%`), and the names in $-order."""
    names: list[str] = []

    def number(m: re.Match[bytes]) -> bytes:
        if m.group(1) is None:
            return b"%"
        name = m.group(1).decode(encoding)
        if name not in names:
            names.append(name)
        return b"$%d" % (names.index(name) + 1)

    return _PLACEHOLDER.sub(number, sql.encode(encoding)), tuple(names)


def run(raw: psycopg.Connection[Any], statements: Sequence[tuple[str, dict[str, Any]]], *,
        begin: str | None = None, commit: bool = False,
        meanwhile: Callable[[], None] | None = None) -> list[Answer]:
    """Run statements in one pipeline (after `begin`, before a COMMIT with `commit`); their answers.
    `meanwhile` runs once everything is sent, before the answers are read. Raises the first
    statement error as psycopg does."""
    pg = raw.pgconn
    encoding = raw.info.encoding
    tx = Transformer(raw)
    with _LOCK:
        prepared = _PREPARED.get(raw)
        if prepared is None:
            prepared = _PREPARED[raw] = _Prepared()
    sent: list[int | tuple[tuple[bytes, tuple[int, ...]], bytes] | None] = []  # per pipeline item
    preparing: dict[tuple[bytes, tuple[int, ...]], bytes] = {}  # in this batch
    synced = False
    pg.enter_pipeline_mode()
    try:
        if begin:
            pg.send_query_params(begin.encode(), None)
            sent.append(None)
        for i, (sql, params) in enumerate(statements):
            query, names = _convert(sql, encoding)
            values = tx.dump_sequence([params[n] for n in names], [PyFormat.AUTO] * len(names))
            types, formats = tuple(tx.types or ()), tx.formats
            key = (query, types)
            name = prepared.names.get(key) or preparing.get(key)
            if name is None and len(prepared.names) + len(preparing) < MAX_PREPARED:
                prepared.made += 1
                name = preparing[key] = b"persondata_%d" % prepared.made
                pg.send_prepare(name, query, param_types=types)
                sent.append((key, name))
            if name is None:
                pg.send_query_params(query, values, param_types=types, param_formats=formats)
            else:
                pg.send_query_prepared(name, values, param_formats=formats)
            sent.append(i)
        if commit:
            pg.send_query_params(b"COMMIT", None)
            sent.append(None)
        pg.pipeline_sync()
        synced = True
        _flush(pg)
        if meanwhile is not None:
            meanwhile()
    except BaseException:
        _abandon(pg, synced)
        raise
    results = _collect(pg)
    pg.exit_pipeline_mode()
    return _answers(raw, tx, prepared, sent, results, len(statements))


def _abandon(pg: pq.abc.PGconn, synced: bool) -> None:
    """After a failure while sending: what was sent runs to its end, unanswered; out of pipeline mode."""
    if pg.status != pq.ConnStatus.OK:
        return  # the connection is gone
    try:
        if not synced:
            pg.pipeline_sync()
        _flush(pg)
        _collect(pg)
        pg.exit_pipeline_mode()
    except psycopg.Error:
        pass  # the connection broke meanwhile; the caller's error stands


def _answers(raw: psycopg.Connection[Any], tx: AdaptTransformer, prepared: _Prepared, sent: list[Any],
             results: list[pq.abc.PGresult], n: int) -> list[Answer]:
    """Each statement's answer; the first error raised (statements prepared are remembered)."""
    out: list[Answer] = []
    error: psycopg.Error | None = None
    for item, res in zip(sent, results, strict=True):
        status = res.status
        if status == pq.ExecStatus.PIPELINE_ABORTED:
            continue
        if status not in _OK:
            if error is None:
                error = errors.error_from_result(res, encoding=raw.info.encoding)
                if error.sqlstate in _PLAN_GONE:
                    prepared.names.clear()
            continue
        if isinstance(item, tuple):  # a statement prepared
            prepared.names[item[0]] = item[1]
        elif isinstance(item, int):
            if status == pq.ExecStatus.TUPLES_OK:
                tx.set_pgresult(res)
                rows: list[tuple[Any, ...]] = tx.load_rows(0, res.ntuples, tuple)
                out.append(Answer(rows, res.ntuples))
            else:
                out.append(Answer([], res.command_tuples or 0))
    if error is not None:
        raise error
    assert len(out) == n
    return out


def _wait(pg: pq.abc.PGconn, events: int) -> int:
    """Wait until the connection's socket is ready (POLLIN / POLLOUT); the events ready."""
    poller = select.poll()
    poller.register(pg.socket, events)
    ready = 0
    while not ready:
        ready = sum(ev for _, ev in poller.poll())
    return ready


def _flush(pg: pq.abc.PGconn) -> None:
    """Send everything queued (taking in answers meanwhile, so neither side waits on the other)."""
    while pg.flush():
        if _wait(pg, select.POLLIN | select.POLLOUT) & select.POLLIN:
            pg.consume_input()


def _collect(pg: pq.abc.PGconn) -> list[pq.abc.PGresult]:
    """Every result up to the pipeline's sync point, in order (one per item sent; all sent)."""
    out: list[pq.abc.PGresult] = []
    separator = False  # libpq ends each item's results with None
    while True:
        if pg.is_busy():
            _wait(pg, select.POLLIN)
            pg.consume_input()
            continue
        res = pg.get_result()
        if res is None:
            if separator:  # nothing more until the server answers
                _wait(pg, select.POLLIN)
                pg.consume_input()
            separator = True
            continue
        separator = False
        if res.status == pq.ExecStatus.PIPELINE_SYNC:
            return out
        out.append(res)
