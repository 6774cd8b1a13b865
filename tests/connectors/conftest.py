"""The webshop on every company database engine (support system on SQLite beside it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from persondata.testing.webshop import Shop, build


@pytest.fixture
def shop(company_url: str, tmp_path: Path) -> Shop:
    """The webshop on SQLite, PostgreSQL and MariaDB."""
    return build(company_url, tmp_path)
