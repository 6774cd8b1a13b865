"""The webshop on every company database engine (support system on SQLite beside it).

The engines' databases are created once per test process and refilled before each test
(creating a PostgreSQL or MariaDB database per test costs seconds).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from persondata.testing.databases import ServiceUnavailable, mariadb_database, postgres_database
from persondata.testing.webshop import Shop, build_support, reset_shop, webshop_policy


@pytest.fixture(scope="session", params=["sqlite", "postgres", "mariadb"])
def company_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One company database per engine and test process, refilled before each test that uses it."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('company') / 'company.db'}"
        return
    factory = postgres_database if request.param == "postgres" else mariadb_database
    try:
        with factory("pdshop") as url:
            yield url
    except ServiceUnavailable as exc:
        message = f"{request.param} unavailable ({exc})"
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture
def shop(company_db: str, tmp_path: Path) -> Shop:
    """The webshop on SQLite, PostgreSQL and MariaDB."""
    reset_shop(company_db)
    support_url = f"sqlite:///{tmp_path / 'support.db'}"
    build_support(support_url)
    return Shop(webshop_policy(), {"SHOP_DB": company_db, "SUPPORT_DB": support_url}, company_db, support_url)
