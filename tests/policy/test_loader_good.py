"""The loader on a complete, valid policy: model, lines, hash, env interpolation."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from persondata.errors import InputError, PolicyError
from persondata.policy.loader import LoadedPolicy, load_policy, resolve_env
from persondata.policy.model import Basis

FIXTURES = Path(__file__).parent / "fixtures"
GOOD = FIXTURES / "good.yaml"


def test_good_policy_loads_without_problems() -> None:
    loaded = load_policy(GOOD, env={})
    assert isinstance(loaded, LoadedPolicy)
    assert loaded.warnings == []
    assert loaded.path == GOOD
    assert loaded.policy.controller.name == "Nordlys Tele A/S"
    assert loaded.policy.purposes["invoicing"].basis is Basis.legal_obligation
    assert loaded.source_hash == hashlib.sha256(GOOD.read_bytes()).hexdigest()


def test_line_of_finds_nodes_and_falls_back_to_ancestors() -> None:
    loaded = load_policy(GOOD, env={})
    lines = GOOD.read_text().splitlines()
    line = loaded.line_of("purposes", "newsletter", "retention")
    assert lines[line - 1].strip() == "retention: until consent withdrawn"
    first_category = loaded.line_of("purposes", "invoicing", "categories", 0)
    assert lines[first_category - 1].strip().startswith("categories: [user.name")
    assert loaded.line_of("purposes", "newsletter", "no_such_key") == loaded.line_of("purposes", "newsletter")
    assert loaded.where("controller").endswith(f"good.yaml:{loaded.line_of('controller')}")


def test_unset_system_url_variable_stays_literal_and_resolve_env_names_it() -> None:
    loaded = load_policy(GOOD, env={})
    url = loaded.policy.systems["billing"].url
    assert url == "${BILLING_DB_URL}"
    with pytest.raises(InputError, match="BILLING_DB_URL is not set"):
        resolve_env(url, {})
    assert resolve_env(url, {"BILLING_DB_URL": "sqlite:///b.db"}) == "sqlite:///b.db"


def test_set_system_url_variable_is_interpolated_at_load() -> None:
    loaded = load_policy(GOOD, env={"BILLING_DB_URL": "sqlite:///billing.db"})
    assert loaded.policy.systems["billing"].url == "sqlite:///billing.db"


def test_policy_error_is_an_input_error_with_problems(tmp_path: Path) -> None:
    path = tmp_path / "privacy.yaml"
    path.write_text("controller: {name: X, country: DK, email: a@b.dk}\npurposes: {p: {name: P}}\n")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert isinstance(info.value, InputError)
    assert info.value.exit_code == 2
    assert [(p.line, p.severity) for p in info.value.problems] == [(2, "error")]  # errors only
    assert f"{path}:2: purposes.p.basis: required field is missing" in str(info.value)
