"""Loading a policy file: every problem found, each as `file:line: message`, or a LoadedPolicy.

    loaded = load_policy(Path("privacy.yaml"))       # raises PolicyError listing all errors
    loaded.policy.purposes["newsletter"].basis       # the validated model
    loaded.warnings                                  # suspicious but legal (exit 0)
    loaded.line_of("purposes", "newsletter")         # where a node is in the file

Steps: read (missing, unreadable, not UTF-8), YAML with the line of each node (duplicate
keys reported), `${VAR}` interpolation, the pydantic schema (errors mapped back to lines,
"did you mean" for unknown keys), then the cross-reference checks of policy.checks — run
on what is valid even when other parts of the file are not, so one run reports everything.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from persondata.errors import PolicyError as PolicyError
from persondata.errors import Problem
from persondata.policy.model import Policy
from persondata.policy.schema_errors import best_effort_policy, schema_problems
from persondata.policy.source import Locator, interpolate, parse_yaml
from persondata.policy.source import resolve_env as _resolve_env

__all__ = ["LoadedPolicy", "PolicyError", "check_policy", "load_policy", "resolve_env"]


@dataclass(frozen=True)
class LoadedPolicy:
    """A valid policy with where it came from, its warnings and the line of each node."""

    policy: Policy
    path: Path
    warnings: list[Problem] = field(default_factory=list)
    source_hash: str = ""
    locator: Locator = field(default_factory=lambda: Locator(""), repr=False, compare=False)

    def line_of(self, *keys: Any) -> int:
        """The line of a node, e.g. line_of("purposes", "newsletter", "retention") (nearest ancestor)."""
        return self.locator.line_of(*keys)

    def where(self, *keys: Any) -> str:
        """`file:line` of a node, for messages."""
        return f"{self.locator.file}:{self.line_of(*keys)}"


def resolve_env(text: str, env: Mapping[str, str] | None = None, where: str | None = None) -> str:
    """Fill the ${VAR} references left in a system URL; an unset variable raises InputError naming it."""
    return _resolve_env(text, os.environ if env is None else env, where)


def _sort_key(p: Problem) -> tuple[int, int, str]:
    return (p.line, 0 if p.severity == "error" else 1, p.message)


def check_policy(
    path: Path, env: Mapping[str, str] | None = None
) -> tuple[LoadedPolicy | None, list[Problem]]:
    """Load and check a policy file: (the policy, or None when it has errors; every problem in line order)."""
    name = str(path)
    locator = Locator(name)
    if not path.exists():
        return None, [Problem(name, 1, "policy file not found")]
    if path.is_dir():
        return None, [Problem(name, 1, "is a directory, not a policy file")]
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        return None, [Problem(name, 1, f"cannot read the policy file: {exc.strerror or exc}")]
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw_bytes[: exc.start].count(b"\n") + 1
        return None, [Problem(name, line, f"not UTF-8 text (byte 0x{raw_bytes[exc.start]:02x})")]
    text = text.removeprefix("\ufeff")
    data, problems = parse_yaml(text, locator)
    if data is None:
        return None, problems
    if not isinstance(data, dict):
        problems.append(Problem(name, locator.line_of(), "the policy file must be a mapping of sections "
                                "(controller:, purposes:, ...)"))
        return None, problems
    written = data
    data, env_problems, broken = interpolate(data, os.environ if env is None else env, locator)
    problems += env_problems
    policy: Policy | None
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems += schema_problems(exc, data, locator)
        policy, pruned = best_effort_policy(data)
        broken |= pruned
    if policy is not None:
        from persondata.policy.checks import run_checks

        problems += run_checks(policy, data, locator, broken=broken, written=written)
    problems.sort(key=_sort_key)
    errors = [p for p in problems if p.severity == "error"]
    if errors or policy is None:
        return None, problems
    loaded = LoadedPolicy(
        policy=policy,
        path=path,
        warnings=[p for p in problems if p.severity != "error"],
        source_hash=hashlib.sha256(raw_bytes).hexdigest(),
        locator=locator,
    )
    return loaded, problems


def load_policy(path: Path, env: Mapping[str, str] | None = None) -> LoadedPolicy:
    """Load, validate and cross-check a policy file; raises PolicyError listing every error.

    Warnings are in the returned LoadedPolicy's `.warnings`; `check_policy` gives both at once.
    """
    loaded, problems = check_policy(Path(path), env)
    if loaded is None:
        raise PolicyError([p for p in problems if p.severity == "error"])
    return loaded
