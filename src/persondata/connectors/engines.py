"""A process-wide cache of system engines and reflected tables, keyed by the resolved URL.

Every `Systems` (one per CLI call, job or request) gets the same engine and the same
reflected tables for the same database, so a worker, a server or a benchmark is warm from
its second request on: no new engine, no new connection, no second reflection. The cache
is filled on first use (nothing is built at import time); a table not yet reflected is
reflected when first asked for (tables created later are found), and a table whose columns
changed can be reflected again (`SharedEngine.forget`). `clear()` disposes every engine:
for tests that change a database's schema under the same URL, and for process shutdown.
At most `LIMIT` databases are kept; the least recently used is disposed beyond that
(connections it has lent out keep working and are closed when given back).
"""

from __future__ import annotations

import atexit
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

LIMIT = 64


@dataclass
class SharedEngine:
    """One database's engine, its reflected tables (table name -> Table) and the statements built
    on them (by shape, see `persondata.connectors.sql_batch`), shared by connectors."""

    engine: Engine
    metadata: sa.MetaData = field(default_factory=sa.MetaData)
    tables: dict[str, sa.Table] = field(default_factory=dict)
    statements: dict[Any, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def key(self) -> str:
        """The database's URL with its password: which database this is."""
        return self.engine.url.render_as_string(hide_password=False)

    def forget(self, name: str) -> None:
        """Drop a reflected table so that the next use reflects it again (and every built statement:
        a statement may reach the table through a subquery)."""
        with self.lock:
            table = self.tables.pop(name, None)
            if table is not None:
                self.metadata.remove(table)
            self.statements.clear()


class EngineCache:
    """Engines and reflected tables by resolved URL (thread-safe, least recently used first out)."""

    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._entries: OrderedDict[str, SharedEngine] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, url: str, create: Callable[[str], Engine]) -> SharedEngine:
        """The shared engine for a URL, created with `create(url)` on first use."""
        with self._lock:
            entry = self._entries.get(url)
            if entry is not None:
                self._entries.move_to_end(url)
                return entry
            entry = self._entries[url] = SharedEngine(create(url))
            evicted: list[SharedEngine] = []
            while len(self._entries) > self.limit:
                evicted.append(self._entries.popitem(last=False)[1])
        for old in evicted:
            old.engine.dispose()
        return entry

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        """Forget every engine and reflected table, disposing the engines' pooled connections."""
        with self._lock:
            entries = list(self._entries.values())
            self._entries.clear()
        for entry in entries:
            entry.engine.dispose()


_cache: list[EngineCache] = []
_cache_lock = threading.Lock()


def engines() -> EngineCache:
    """The process's cache (created on first use; disposed at exit)."""
    with _cache_lock:
        if not _cache:
            _cache.append(EngineCache())
            atexit.register(clear)
        return _cache[0]


def clear() -> None:
    """Dispose every cached engine and forget every reflected table (tests, process shutdown)."""
    with _cache_lock:
        cache = _cache[0] if _cache else None
    if cache is not None:
        cache.clear()
