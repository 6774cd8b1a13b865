"""Shared fixtures: throwaway databases on SQLite, PostgreSQL and MariaDB, Redis, Chromium.

In CI (CI=true) a missing service fails the test; elsewhere it skips with what to start.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from persondata.testing.databases import (
    REDIS_URL,
    ServiceUnavailable,
    mariadb_database,
    postgres_database,
    redis_available,
)
from persondata.testing.webshop import Shop, build_support, reset_shop, webshop_policy

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
HINTS = {
    "postgres": "start PostgreSQL on 127.0.0.1:5432 (trust auth for user postgres)",
    "mariadb": "start MariaDB on 127.0.0.1:3306 (root, empty password)",
    "redis": "start Redis on 127.0.0.1:6379",
    "chromium": "apt-get install chromium (needs /usr/bin/chromium)",
}


def unavailable(service: str, reason: str) -> None:
    """Fail in CI, skip elsewhere, naming what to start."""
    message = f"{service} unavailable ({reason}); {HINTS[service]}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _test_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs with fixed, non-secret keys unless it sets its own."""
    monkeypatch.setenv("PERSONDATA_SECRET_KEY", "test-secret-key-not-for-production")
    monkeypatch.setenv("PERSONDATA_HASH_KEY", "test-hash-key-not-for-production")
    monkeypatch.setenv("PERSONDATA_MASTER_KEY", "dGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmchISE=")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A new SQLite database file."""
    return f"sqlite:///{tmp_path / 'test.db'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A new PostgreSQL database, dropped afterwards."""
    try:
        with postgres_database() as url:
            yield url
    except ServiceUnavailable as exc:
        unavailable("postgres", str(exc))


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A new MariaDB database, dropped afterwards."""
    try:
        with mariadb_database() as url:
            yield url
    except ServiceUnavailable as exc:
        unavailable("mariadb", str(exc))


@pytest.fixture(params=["sqlite", "postgres"])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """persondata's own state on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'state.db'}"
        return
    try:
        with postgres_database() as url:
            yield url
    except ServiceUnavailable as exc:
        unavailable("postgres", str(exc))


def _company_database(engine: str, directory: Path, prefix: str) -> Iterator[str]:
    """A new database on an engine: SQLite in a directory, else a throwaway server database."""
    if engine == "sqlite":
        yield f"sqlite:///{directory / 'company.db'}"
        return
    factory = postgres_database if engine == "postgres" else mariadb_database
    try:
        with factory(prefix) as url:
            yield url
    except ServiceUnavailable as exc:
        unavailable(engine, str(exc))


@pytest.fixture(params=["sqlite", "postgres", "mariadb"])
def company_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A company database (the systems persondata acts on) on all three engines."""
    yield from _company_database(request.param, tmp_path, "pdco")


@pytest.fixture(scope="session", params=["sqlite", "postgres", "mariadb"])
def company_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One webshop database per engine and test process, refilled by `shop` before each test
    (creating a PostgreSQL or MariaDB database per test costs seconds)."""
    yield from _company_database(request.param, tmp_path_factory.mktemp("company"), "pdshop")


@pytest.fixture
def shop(company_db: str, tmp_path: Path) -> Shop:
    """The webshop on SQLite, PostgreSQL and MariaDB (its support system on SQLite beside it)."""
    reset_shop(company_db)
    support_url = f"sqlite:///{tmp_path / 'support.db'}"
    build_support(support_url)
    return Shop(webshop_policy(), {"SHOP_DB": company_db, "SUPPORT_DB": support_url}, company_db, support_url)


@pytest.fixture
def redis_url() -> str:
    """The local Redis (flushes nothing; tests use their own key prefixes)."""
    if not redis_available(REDIS_URL):
        unavailable("redis", "no answer to PING")
    return REDIS_URL


@pytest.fixture
def chromium_path() -> str:
    """Path of Debian's chromium."""
    path = "/usr/bin/chromium"
    if not Path(path).exists() and not shutil.which("chromium"):
        unavailable("chromium", "binary not found")
    return path
