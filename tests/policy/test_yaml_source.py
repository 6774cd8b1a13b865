"""YAML details: merges, aliases, keys as text, lines after duplicates, checks past broken entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from persondata.errors import PolicyError
from persondata.policy.loader import check_policy, load_policy

HEAD = "controller: {name: X ApS, country: DK, registration: '12345674', email: a@x.dk}\n"


def _problems(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    _, problems = check_policy(path, env={})
    return [f"{p.line}: {'warning: ' if p.severity == 'warning' else ''}{p.message}" for p in problems
            if "not named by any purpose" not in p.message]


def test_merge_keys_may_be_overridden_without_a_duplicate_report(tmp_path: Path) -> None:
    body = ("recipients:\n"
            "  a: &proc {name: A, role: processor, country: DK, dpa_signed: 2020-01-01}\n"
            "  b:\n    <<: *proc\n    name: B\n"
            "subjects: {c: {name: C}}\n"
            "purposes:\n  p: {name: P, basis: contract, subjects: [c], categories: [user.name], recipients: "
            "[a, b],"
            " retention: 1 year after x}\n")
    path = tmp_path / "p.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    loaded = load_policy(path, env={})
    assert loaded.policy.recipients["b"].name == "B"
    assert loaded.policy.recipients["b"].role.value == "processor"


def test_recursive_alias_is_reported(tmp_path: Path) -> None:
    assert _problems(tmp_path, "security_measures: &x [*x]\n") == [
        "2: security_measures[0]: a YAML alias refers to a node that contains it (a recursive structure)"]


def test_alias_expansion_is_bounded(tmp_path: Path) -> None:
    body = "x0: &a0 [a, b, c, d, e, f, g, h, i, j]\n"
    for i in range(1, 8):
        body += f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n"
    problems = _problems(tmp_path, body)
    assert len(problems) == 1
    assert "the file expands to more than 200000 values through YAML aliases" in problems[0]


def test_keys_are_text_as_written(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "subjects:\n  5: {name: Five}\n  Yes: {name: Y}\n")
    assert problems == [
        "4: subjects.Yes: 'Yes' is not a valid key: use lower-case letters, digits, '_', '.' and '-', "
        "starting with a letter or digit"]
    assert _problems(tmp_path, "[a]: 1\n") == [
        "2: YAML syntax error: found a list or mapping used as a key (while constructing a mapping on line "
        "1)"]


def test_lines_after_a_duplicate_follow_the_kept_value(tmp_path: Path) -> None:
    body = ("subjects:\n  c:\n    name: First\n    description: only in the first\n"
            "  c:\n    name: {da: Anden}\n")
    assert _problems(tmp_path, body) == [
        "6: subjects.c: duplicate key 'c' (first given on line 3); YAML would silently keep only the last "
        "one",
        "7: warning: subjects.c.name: no en text (the notice in en falls back to another language)"]


def test_one_broken_purpose_does_not_hide_the_others(tmp_path: Path) -> None:
    body = ("purposes:\n  newsletter: consent\n"
            "  other: {name: O, basis: contract, subjects: [nobody], categories: [user.name],"
            " retention: 1 year after x}\n")
    problems = [p for p in _problems(tmp_path, body) if "warning" not in p]
    assert problems == [
        "3: purposes.newsletter: expected a mapping (key: value), got 'consent'",
        "4: purposes.other.subjects[0]: undefined subject 'nobody'; define it under subjects:",
    ]


def test_a_wrong_basis_still_checks_the_rest_of_the_purpose(tmp_path: Path) -> None:
    body = ("subjects: {c: {name: C}}\n"
            "purposes:\n  p:\n    name: P\n    basis: consnet\n    subjects: [d]\n    retention: 2 yars "
            "after x\n")
    problems = [p for p in _problems(tmp_path, body) if "warning" not in p]
    assert problems[0].startswith("6: purposes.p.basis: 'consnet' is not allowed")
    assert problems[1].startswith("7: purposes.p.subjects[0]: undefined subject 'd'")
    assert problems[2].startswith("8: purposes.p.retention: '2 yars after x' does not parse at column 3")
    assert len(problems) == 3


def test_controller_missing_reports_once(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("version: 1\nsubjects: {c: {name: C}}\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    errors = [p for p in info.value.problems if p.severity == "error"]
    assert [(p.line, p.message) for p in errors] == [(1, "controller: required field is missing")]


def test_fast_and_pure_python_parsers_agree() -> None:
    from persondata.policy import source

    files = [Path(__file__).parent / "fixtures" / "good.yaml",
             *sorted((Path(source.__file__).parents[1] / "example_data").glob("*/privacy.yaml"))]
    for path in files:
        text = path.read_text(encoding="utf-8")
        fast, slow = source.Locator(str(path)), source.Locator(str(path))
        assert source._parse(text, fast, source._FastLoader) == source._parse(text, slow, source._Loader)
        assert fast.lines == slow.lines
