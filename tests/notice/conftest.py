"""Fixtures for the notice and record-of-processing tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from persondata.policy.loader import load_policy
from persondata.policy.model import Policy

FIXTURES = Path(__file__).parent / "fixtures"
COMPACT = FIXTURES / "compact.yaml"


@pytest.fixture(scope="session")
def compact() -> Policy:
    """The compact fixture policy, through the real loader."""
    return load_policy(COMPACT, env={}).policy
