"""The five example companies shipped with persondata: where they are and how to build them.

Each example lives in the package (`persondata/example_data/<module>/`) so that a plain
install finds it: `privacy.yaml` (the policy), `build_db.py` (a synthetic company database,
a script and an importable `build()`), `README.md` (what the seed promised and how the
policy expresses it). `persondata init DIR --example NAME` copies those three files.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from persondata.errors import NotFoundError
from persondata.policy.model import Policy
from persondata.policy.retention import CONSENT_WITHDRAWN, RetentionSyntaxError, parse_retention
from persondata.policy.source import unresolved_vars

EXAMPLES: tuple[str, ...] = ("it-house-webshop", "network-software-vendor", "agency-with-payments",
                             "business-telephony", "sms-gateway")
"""Names of the examples, in seed order (000 ... 004)."""

FILES: tuple[str, ...] = ("privacy.yaml", "build_db.py", "README.md")
"""The files of an example that `persondata init` copies."""


def module_name(name: str) -> str:
    """The package module of an example: 'sms-gateway' -> 'sms_gateway'."""
    check_name(name)
    return name.replace("-", "_")


def check_name(name: str) -> None:
    """Raise NotFoundError listing the valid names when name is not an example."""
    if name not in EXAMPLES:
        raise NotFoundError(f"no example named {name!r}; the examples are: {', '.join(EXAMPLES)}")


def example_dir(name: str) -> Path:
    """The directory holding an example's files (inside the installed package)."""
    root = resources.files("persondata.example_data") / module_name(name)
    return Path(str(root))


def policy_path(name: str) -> Path:
    """The path of an example's privacy.yaml."""
    return example_dir(name) / "privacy.yaml"


def build(name: str, url: str, *, customers: int = 50, seed: int = 1,
          now: datetime | None = None, **options: Any) -> dict[str, int]:
    """Create and fill an example company's database at url; returns rows per table.

    `options` go to the example's own build (sms-gateway takes `encrypt`).
    """
    module = importlib.import_module(f"persondata.example_data.{module_name(name)}.build_db")
    counts: dict[str, int] = module.build(url, customers=customers, seed=seed, now=now, **options)
    return counts


def system_env_vars(name: str) -> list[str]:
    """The environment variables the example's system URLs refer to, e.g. ['GATEWAY_DB_URL']."""
    text = policy_path(name).read_text(encoding="utf-8")
    seen: list[str] = []
    for line in text.splitlines():
        if line.strip().startswith("url:"):
            for var in unresolved_vars(line):
                if var not in seen:
                    seen.append(var)
    return seen


def env_for(name: str, url: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment where every system URL of the example points at one database url."""
    env = dict(base or {})
    for var in system_env_vars(name):
        env[var] = url
    return env


def catalogue() -> list[tuple[str, str]]:
    """(name, one-line description) of every example, from the first line of its README."""
    out: list[tuple[str, str]] = []
    for name in EXAMPLES:
        readme = example_dir(name) / "README.md"
        first = ""
        if readme.exists():
            for line in readme.read_text(encoding="utf-8").splitlines():
                if line.startswith("# "):
                    first = line[2:].strip()
                    break
        out.append((name, first))
    return out


def _anchor(rule: str | None) -> str | None:
    if not rule:
        return None
    try:
        anchor = parse_retention(rule).anchor
    except RetentionSyntaxError:
        return None
    return None if anchor in ("consent", CONSENT_WITHDRAWN) else anchor


def _covered(category: str, allowed: set[str]) -> bool:
    parts = category.split(".")
    return any(".".join(parts[:i]) in allowed for i in range(1, len(parts) + 1))


def data_map_problems(policy: Policy) -> list[str]:
    """Stricter-than-the-loader consistency of a data map (what the examples hold themselves to).

    Every purpose a table lists has its retention anchor mapped on that table; every field's
    category is one of the table's purposes' categories (or below one); every identity, anchor,
    flag and edge names a column; every purpose and recipient is used somewhere.
    """
    problems: list[str] = []
    used_purposes: set[str] = set()
    for sname, system in policy.systems.items():
        tables = system.tables
        for tname, table in tables.items():
            where = f"systems.{sname}.tables.{tname}"
            allowed: set[str] = set()
            for pkey in table.purposes:
                used_purposes.add(pkey)
                purpose = policy.purposes.get(pkey)
                if purpose is None:
                    problems.append(f"{where}: unknown purpose {pkey}")
                    continue
                allowed.update(purpose.categories)
                anchor = _anchor(purpose.retention)
                if anchor is not None and anchor not in table.anchors:
                    problems.append(f"{where}: purpose {pkey} needs anchor {anchor} mapped")
            for column in table.fields:
                category = table.field_spec(column).category
                if not _covered(category, allowed):
                    problems.append(f"{where}.fields.{column}: {category} is in none of the table's purposes")
            for edge in [*table.belongs_to.values(), *table.references.values()]:
                target, _, _col = edge.partition(".")
                if target not in tables:
                    problems.append(f"{where}: edge to unknown table {edge}")
    for pkey in policy.purposes:
        if pkey not in used_purposes:
            problems.append(f"purposes.{pkey}: no table lists it")
    used_recipients = {r for p in policy.purposes.values() for r in p.recipients}
    used_recipients |= {v for c in policy.cookies.values() for v in c.vendors}
    used_recipients |= {s for a in policy.processor_activities.values() for s in a.sub_processors}
    for rkey in policy.recipients:
        if rkey not in used_recipients:
            problems.append(f"recipients.{rkey}: used by no purpose, cookie category or processor activity")
    return problems


def columns_of(policy: Policy) -> dict[str, set[str]]:
    """Every table the data map names, with every column it names (pk, identities, edges, anchors...)."""
    out: dict[str, set[str]] = {}
    for system in policy.systems.values():
        for tname, table in system.tables.items():
            cols = out.setdefault(tname, set())
            cols.add(table.primary_key)
            cols.update(table.identities.values())
            cols.update(table.belongs_to)
            cols.update(table.references)
            cols.update(table.anchors.values())
            cols.update(table.fields)
            cols.update(c for c in (table.restricted_flag, table.opt_out_flag) if c)
            for edge in [*table.belongs_to.values(), *table.references.values()]:
                target, _, col = edge.partition(".")
                out.setdefault(target, set()).add(col)
    return out
