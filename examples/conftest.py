"""Fixtures for the example companies' scenario tests: the shared ones from tests/conftest.py.

tests/conftest.py only applies under tests/, so its fixtures (sqlite_url, pg_url,
mariadb_url, state_url, company_url, redis_url, chromium_path and the autouse test keys)
are loaded from that file and re-exported here, plus a few example-specific helpers; the
retention scenarios' shared part is in retention_scenario.py.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from retention_scenario import NOW, build_and_run

from persondata import examples
from persondata.policy.loader import LoadedPolicy, load_policy


def _shared_conftest() -> ModuleType:
    path = Path(__file__).resolve().parents[1] / "tests" / "conftest.py"
    spec = importlib.util.spec_from_file_location("persondata_tests_conftest", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _shared_conftest()
for _name in dir(_shared):
    _value = getattr(_shared, _name)
    if type(_value).__name__ == "FixtureFunctionDefinition" or hasattr(_value, "_pytestfixturefunction"):
        globals()[_name] = _value

@pytest.fixture
def example_policy(request: pytest.FixtureRequest) -> LoadedPolicy:
    """The example's loaded policy; the test module sets EXAMPLE = '<name>'."""
    name: str = request.module.EXAMPLE
    return load_policy(examples.policy_path(name), env={})


@pytest.fixture
def example_db(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The example's synthetic company database on SQLite, built at NOW (20 customers)."""
    name: str = request.module.EXAMPLE
    url = f"sqlite:///{tmp_path / 'company.db'}"
    examples.build(name, url, customers=20, seed=1, now=NOW)
    return url


@pytest.fixture(scope="module")
def company(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A retention scenario's company after `retention run` (see retention_scenario.build_and_run)."""
    built = build_and_run(tmp_path_factory.mktemp("company"), request.module)
    yield built
    built["state"].dispose()
