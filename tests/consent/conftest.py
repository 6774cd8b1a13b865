"""Fixtures of the consent tests: the fixture policy, a hasher, a migrated state database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from persondata.db.engine import Database
from persondata.db.migrate import upgrade
from persondata.identity import Hasher
from persondata.policy.model import Policy

POLICY_FILE = Path(__file__).parent / "policy.yaml"
HASH_KEY = "test-hash-key-not-for-production"


def load_fixture_policy() -> Policy:
    """The fixture policy as a Policy object."""
    return Policy.model_validate(yaml.safe_load(POLICY_FILE.read_text()))


@pytest.fixture
def policy() -> Policy:
    return load_fixture_policy()


@pytest.fixture
def hasher() -> Hasher:
    return Hasher(HASH_KEY)


@pytest.fixture
def db(state_url: str) -> Iterator[Database]:
    database = Database(state_url)
    upgrade(database)
    yield database
    database.dispose()
